"""Which event calls for which mail, the one key per cause, and the waits between tries: pure."""

from __future__ import annotations

from datetime import timedelta

from invoicing.domain import mail


def test_each_cause_asks_for_one_mail_with_a_key_of_its_own() -> None:
    inv = {"id": "in_1", "customerId": "cus_1", "total": 5398, "amountPaid": 5398}
    assert mail.requested_by("InvoiceFinalized", inv) == mail.MailRequest(
        "invoice", "invoice:in_1", "cus_1", "in_1"
    )
    assert mail.requested_by("InvoicePaid", inv) == mail.MailRequest(
        "receipt", "receipt:in_1", "cus_1", "in_1"
    )
    assert mail.requested_by("InvoiceFinalized", inv | {"total": 0}) is None  # a trial's invoice
    assert mail.requested_by("InvoiceFinalized", inv | {"total": -500}) is None  # a credit
    assert mail.requested_by("InvoicePaid", inv | {"amountPaid": 0}) is None  # paid whole by credit
    assert mail.requested_by("InvoiceSent", inv) is None and mail.requested_by("InvoiceVoided", inv) is None
    sub = {"id": "sub_1", "customerId": "cus_1", "trialEnd": "2026-12-17T00:00:00+00:00"}
    trial = mail.requested_by("SubscriptionTrialWillEnd", sub)
    assert trial is not None and trial.dedupe_key == "trial_ending:sub_1:2026-12-17T00:00:00+00:00"
    ended = mail.requested_by("SubscriptionCancelled", sub | {"reason": "payment_failed"})
    assert (
        ended is not None
        and ended.dedupe_key == "canceled:sub_1"
        and ended.data["reason"] == "payment_failed"
    )
    first, second = (
        mail.payment_failed(
            invoice_id="in_2",
            customer_id="cus_1",
            subscription_id="sub_1",
            attempt=n,
            next_attempt_at=None,
            failure=None,
        )
        for n in (1, 2)
    )
    assert first.dedupe_key != second.dedupe_key  # one reminder per attempt, not per invoice


def test_a_refused_mail_waits_5_s_doubling_up_to_the_cap() -> None:
    cap = timedelta(minutes=5)
    waits = [mail.retry_delay(n, cap).total_seconds() for n in range(1, 10)]
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300]
