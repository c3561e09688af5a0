"""/api/v1/Reconciliation?date=YYYY-MM-DD (admin): one UTC day of our intents against each
configured gateway's own records: missing on either side, amount or status mismatches, duplicate
charges of one order."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.web.context import deps
from billing_shared.web.routes import reads
from payments.api.caller import require_admin
from payments.api.reconciliation_json import report_json
from payments.api.schemas import ReconciliationArgs, ReconciliationReportSchema
from payments.bootstrap import Deps
from payments.domain.commands import Reconcile
from payments.service_layer import reconciliation

blp = Blueprint(
    "reconciliation", __name__, url_prefix="/api/v1/Reconciliation", description="Reconciliation (admin)"
)


@blp.route("")
class Reconciliation(MethodView):
    @reads(blp, "payments:read", response=ReconciliationReportSchema, query=ReconciliationArgs)
    def get(self, args: dict[str, Any]) -> Response:
        """Compare one day (UTC) with the gateways' records; `clean` is true when all agree."""
        require_admin()
        return jsonify(report_json(reconciliation.reconcile(deps(Deps), Reconcile(args["date"]))))
