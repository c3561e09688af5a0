"""The recurring biller: one run bills every subscription due at `as_of`, exactly once per period.

It walks due subscriptions in id order, in batches of one transaction each; every subscription
is billed inside its own savepoint, so one that fails is skipped (and billed by a later run)
without undoing the rest. Exactly once holds three ways: the subscription's row is locked (rows
another run holds are skipped, not waited on), its period is re-checked under the lock, and the
database refuses a second invoice or history row for the same (subscription, period).
Then it retries the past-due periods whose dunning date has come.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from billing_shared.db.uow import Database, UnitOfWork
from invoicing import subscription_flows as sflows
from invoicing.domain.subscriptions import Subscription
from invoicing.store.subscriptions import BillingHistoryRepository, SubscriptionRepository

log = logging.getLogger(__name__)


@dataclass
class RunReport:
    asOf: str
    due: int = 0
    invoiced: int = 0
    chargesRequested: int = 0
    retried: int = 0
    canceled: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Part:
    invoiced: int = 0
    charges: int = 0
    canceled: int = 0
    skipped: int = 0


def _bill(uow: UnitOfWork, subs: list[Subscription], as_of: datetime, now: datetime) -> list[_Part]:
    """The batch in one savepoint; if the database refuses it (a period billed before), each
    subscription alone in its own, so one bad row only skips itself."""
    try:
        with uow.session.begin_nested():
            o = sflows.write_batch(uow, subs, as_of, now)
        return [_Part(o.invoiced, o.charges, o.canceled)]
    except Exception:
        if len(subs) == 1:
            log.exception("subscription skipped: billing failed", extra={"subscription": subs[0].id})
            return [_Part(skipped=1)]
    return [p for sub in subs for p in _bill(uow, [sub], as_of, now)]


def run(db: Database, as_of: datetime, now: datetime, *, batch: int = 200) -> RunReport:
    report = RunReport(asOf=as_of.isoformat())
    after: str | None = None
    while True:
        with db.unit_of_work() as uow:
            repo = SubscriptionRepository(uow.session)
            ids = repo.due_ids(as_of, after=after, limit=batch)
            if not ids:
                break
            after = ids[-1]
            locked = repo.lock_many(ids)
            report.skipped += len(ids) - len(locked)
            report.due += len(locked)
            for part in _bill(uow, locked, as_of, now):
                report.invoiced += part.invoiced
                report.chargesRequested += part.charges
                report.canceled += part.canceled
                report.skipped += part.skipped
            uow.commit()
    after = None
    while True:
        with db.unit_of_work() as uow:
            histories = BillingHistoryRepository(uow.session)
            ids = histories.retry_ids(as_of, after=after, limit=batch)
            if not ids:
                break
            after = ids[-1]
            for history in histories.lock_many(ids):
                with uow.session.begin_nested():
                    if sflows.retry(uow, history, now):
                        report.retried += 1
            uow.commit()
    return report
