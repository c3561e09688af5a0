"""/api/v1/Reconciliation?date=YYYY-MM-DD (admin): one UTC day of our intents against each
configured gateway's own records: missing on either side, amount or status mismatches, duplicate
charges of one order."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.auth.flask import requires
from billing_shared.errors import Problem
from payments.api.common import BEARER, db, flows, require_admin
from payments.api.schemas import ReconciliationArgs, ReconciliationReportSchema
from payments.domain import reconciliation as recon
from payments.providers.base import ProviderError
from payments.store.intents import IntentRepository

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
        start = datetime.combine(args["date"], time(0), tzinfo=UTC)
        end = start + timedelta(days=1)
        day_start, day_end = int(start.timestamp()), int(end.timestamp())
        report = recon.Report(date=args["date"].isoformat(), gateways=sorted(flows().providers))
        for gateway_id, provider in sorted(flows().providers.items()):
            try:
                charges = provider.charges(
                    created_from=day_start - recon.MARGIN, created_to=day_end + recon.MARGIN
                )
            except ProviderError as exc:
                raise Problem(
                    503 if exc.retryable else 502,
                    f"Gateway '{gateway_id}' could not list its charges: {exc}",
                    headers={"Retry-After": "5"} if exc.retryable else {},
                ) from exc
            with db().unit_of_work(write=False) as uow:
                repo = IntentRepository(uow.session)
                ours = repo.created_between(gateway_id, start, end)
                by_ref = repo.by_references(gateway_id, sorted({c.reference for c in charges}))
            recon.compare(
                report,
                gateway_id,
                day_start=day_start,
                day_end=day_end,
                ours_of_day=ours,
                ours_by_reference=by_ref,
                charges=charges,
            )
        return jsonify(report.to_wire())
