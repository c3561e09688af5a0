"""The e-mails invoicing sends on its own, and when: which of its events calls for which mail, the
one key that makes each cause one mail ever, and how long a mail waits after a failed try.

A mail is queued in the transaction of its cause (`outgoing_mail`) and sent after it commits, so
a rolled-back finalization mails nothing and a committed one is never forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

INVOICE = "invoice"  # a finalized invoice, with its PDF (renewals included)
RECEIPT = "receipt"  # an invoice paid
PAYMENT_FAILED = "payment_failed"  # a renewal charge declined: one per dunning attempt
TRIAL_ENDING = "trial_ending"  # three days before a trial ends
SUBSCRIPTION_CANCELED = "subscription_canceled"
KINDS = (INVOICE, RECEIPT, PAYMENT_FAILED, TRIAL_ENDING, SUBSCRIPTION_CANCELED)
# The InvoiceSettings `mail` switch of each kind.
SWITCHES = {
    INVOICE: "invoiceFinalized",
    RECEIPT: "receipt",
    PAYMENT_FAILED: "paymentFailed",
    TRIAL_ENDING: "trialEnding",
    SUBSCRIPTION_CANCELED: "subscriptionCanceled",
}
PENDING, SENT, SKIPPED = "pending", "sent", "skipped"
FIRST_RETRY = timedelta(seconds=5)


@dataclass(frozen=True)
class MailRequest:
    kind: str
    dedupe_key: str
    customer_id: str
    invoice_id: str | None = None
    subscription_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def requested_by(event: str, data: dict[str, Any]) -> MailRequest | None:
    """The mail an invoicing event calls for, if any. An invoice of nothing to pay (a trial's,
    a credit) is not mailed, and one the customer's credit paid whole is not receipted."""
    customer = data.get("customerId")
    if not customer:
        return None
    if event == "InvoiceFinalized" and int(data.get("total") or 0) > 0:
        return MailRequest(INVOICE, f"invoice:{data['id']}", customer, invoice_id=data["id"])
    if event == "InvoicePaid" and int(data.get("amountPaid") or 0) > 0:  # not one the credit paid
        return MailRequest(RECEIPT, f"receipt:{data['id']}", customer, invoice_id=data["id"])
    if event == "SubscriptionTrialWillEnd":
        key = f"trial_ending:{data['id']}:{data.get('trialEnd')}"
        return MailRequest(
            TRIAL_ENDING, key, customer, subscription_id=data["id"], data={"trialEnd": data["trialEnd"]}
        )
    if event == "SubscriptionCancelled":
        return MailRequest(
            SUBSCRIPTION_CANCELED,
            f"canceled:{data['id']}",
            customer,
            subscription_id=data["id"],
            data={"reason": data.get("reason"), "canceledAt": data.get("canceledAt")},
        )
    return None


def payment_failed(
    *,
    invoice_id: str,
    customer_id: str,
    subscription_id: str,
    attempt: int,
    next_attempt_at: str | None,
    failure: str | None,
) -> MailRequest:
    """A renewal charge's attempt `attempt` was declined; `next_attempt_at` None: it was the last."""
    return MailRequest(
        PAYMENT_FAILED,
        f"payment_failed:{invoice_id}:{attempt}",
        customer_id,
        invoice_id=invoice_id,
        subscription_id=subscription_id,
        data={"attempt": attempt, "nextAttemptAt": next_attempt_at, "failureCode": failure},
    )


def retry_delay(attempts: int, cap: timedelta) -> timedelta:
    """5 s after the first failed try, doubling, never more than `cap`."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), cap)
