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

from billing_shared.db.uow import Database
from invoicing import subscription_flows as sflows
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
            for sub in locked:
                report.due += 1
                try:
                    with uow.session.begin_nested():
                        outcome = sflows.bill(uow, sub, as_of, now)
                except sflows.ConcurrentChange as exc:
                    log.info("subscription skipped: billed concurrently", extra={"error": str(exc)})
                    report.skipped += 1
                    continue
                except Exception:  # one bad subscription must not stop everyone's billing
                    log.exception("subscription skipped: billing failed", extra={"subscription": sub.id})
                    report.skipped += 1
                    continue
                report.invoiced += outcome.invoiced
                report.chargesRequested += outcome.charges
                report.canceled += outcome.canceled
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
