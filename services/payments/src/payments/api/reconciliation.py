"""/api/v1/Reconciliation?date=YYYY-MM-DD (admin): one UTC day of our intents against each
configured gateway's own records: missing on either side, amount or status mismatches, duplicate
charges of one order."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.web.context import deps
from billing_shared.web.responses import BEARER
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
    @requires("payments:read")
    @blp.arguments(ReconciliationArgs, location="query")
    @blp.response(200, ReconciliationReportSchema)
    @blp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Response:
        """Compare one day (UTC) with the gateways' records; `clean` is true when all agree."""
        require_admin()
        return jsonify(report_json(reconciliation.reconcile(deps(Deps), Reconcile(args["date"]))))
