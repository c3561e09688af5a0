"""Reconciliation of one UTC day: our intents against each configured gateway's own records."""

from __future__ import annotations

from billing_shared.errors import Problem
from payments.bootstrap import Deps
from payments.domain import reconciliation
from payments.domain.commands import Reconcile
from payments.domain.payment_provider import ProviderError
from payments.domain.reconciliation import MARGIN, Day, Report
from payments.store.intents import IntentRepository


def reconcile(deps: Deps, query: Reconcile) -> Report:
    """Each gateway is asked for its charges of the day (and a margin either side) with no
    transaction open; our side is read after its answer. A gateway that cannot list them is a
    503 (may retry) or a 502."""
    day = Day.of(query.day)
    report = Report(date=query.day.isoformat(), gateways=sorted(deps.providers))
    for gateway_id, provider in sorted(deps.providers.items()):
        try:
            charges = provider.charges(created_from=day.start_unix - MARGIN, created_to=day.end_unix + MARGIN)
        except ProviderError as exc:
            raise Problem(
                503 if exc.retryable else 502,
                f"Gateway '{gateway_id}' could not list its charges: {exc}",
                headers={"Retry-After": "5"} if exc.retryable else {},
            ) from exc
        with deps.db.unit_of_work(write=False) as uow:
            repo = IntentRepository(uow.session)
            ours = repo.created_between(gateway_id, day.start, day.end)
            by_reference = repo.by_references(gateway_id, sorted({c.reference for c in charges}))
        reconciliation.compare(
            report,
            gateway_id,
            day_start=day.start_unix,
            day_end=day.end_unix,
            ours_of_day=ours,
            ours_by_reference=by_reference,
            charges=charges,
        )
    return report
