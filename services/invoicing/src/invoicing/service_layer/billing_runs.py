"""The recurring biller: one run bills every subscription due at `as_of`, exactly once per period.

It walks due subscriptions in id order, in batches of one transaction each; every subscription
is billed inside its own savepoint, so one that fails is skipped (and billed by a later run)
without undoing the rest. Exactly once holds three ways: the subscription's row is locked (rows
another run holds are skipped, not waited on), its period is re-checked under the lock, and the
database refuses a second invoice or history row for the same (subscription, period).
Then it tells trials that end within three days (SubscriptionTrialWillEnd, once each) and retries
the past-due periods whose dunning date has come.

A run owns its transactions (one per batch), so it takes the database rather than a unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from billing_shared.db.uow import Database, UnitOfWork
from billing_shared.errors import Problem
from invoicing.bootstrap import Deps
from invoicing.domain import subscriptions
from invoicing.domain.billing_runs import RunReport
from invoicing.domain.commands import RunBilling
from invoicing.domain.subscriptions import Subscription
from invoicing.service_layer.dunning import retry_charge
from invoicing.service_layer.renewals import bill_batch
from invoicing.service_layer.subscriptions import save_subscription
from invoicing.store.billing_histories import BillingHistoryRepository
from invoicing.store.subscriptions import SubscriptionRepository

log = logging.getLogger(__name__)


@dataclass
class _Part:
    invoiced: int = 0
    charges: int = 0
    canceled: int = 0
    skipped: int = 0


def run_billing(deps: Deps, cmd: RunBilling) -> RunReport:
    """POST /SubscriptionBillingRuns: the operator's, with the admin scope."""
    if not cmd.by_admin:
        raise Problem(403, "Billing runs need the admin scope.")
    return bill_due(deps.db, cmd.as_of.astimezone(UTC), datetime.now(UTC))


def _bill(uow: UnitOfWork, subs: list[Subscription], as_of: datetime, now: datetime) -> list[_Part]:
    """The batch in one savepoint; if the database refuses it (a period billed before), each
    subscription alone in its own, so one bad row only skips itself."""
    try:
        with uow.session.begin_nested():
            o = bill_batch(uow, subs, as_of, now)
        return [_Part(o.invoiced, o.charges, o.canceled)]
    except Exception:
        if len(subs) == 1:
            log.exception("subscription skipped: billing failed", extra={"subscription": subs[0].id})
            return [_Part(skipped=1)]
    return [p for sub in subs for p in _bill(uow, [sub], as_of, now)]


def _batches(
    db: Database, next_ids: Callable[[UnitOfWork, str | None], list[str]]
) -> Iterator[tuple[UnitOfWork, list[str]]]:
    """Ids in id order, a batch per transaction: each is committed once the caller has done its
    work on the batch, so a failure later in the run undoes nothing already billed."""
    after: str | None = None
    while True:
        with db.unit_of_work() as uow:
            ids = next_ids(uow, after)
            if not ids:
                return
            after = ids[-1]
            yield uow, ids
            uow.commit()


def bill_due(db: Database, as_of: datetime, now: datetime, *, batch: int = 200) -> RunReport:
    """Bill every period begun by `as_of` once, then request the dunning retries due by then."""
    report = RunReport(as_of=as_of.isoformat())
    for uow, ids in _batches(
        db, lambda uow, after: SubscriptionRepository(uow.session).due_ids(as_of, after=after, limit=batch)
    ):
        locked = SubscriptionRepository(uow.session).lock_many(ids)
        report.skipped += len(ids) - len(locked)
        report.due += len(locked)
        for part in _bill(uow, locked, as_of, now):
            report.invoiced += part.invoiced
            report.charges_requested += part.charges
            report.canceled += part.canceled
            report.skipped += part.skipped
    warn_by = as_of + subscriptions.TRIAL_WARNING
    for uow, ids in _batches(
        db,
        lambda uow, after: SubscriptionRepository(uow.session).trial_ending_ids(
            warn_by, after=after, limit=batch
        ),
    ):
        for sub in SubscriptionRepository(uow.session).lock_many(ids):
            warned, events = subscriptions.trial_will_end(sub, as_of, now)
            save_subscription(uow, sub, warned, events)
    for uow, ids in _batches(
        db,
        lambda uow, after: BillingHistoryRepository(uow.session).retry_ids(as_of, after=after, limit=batch),
    ):
        for history in BillingHistoryRepository(uow.session).lock_many(ids):
            with uow.session.begin_nested():
                if retry_charge(uow, history, now):
                    report.retried += 1
    return report
