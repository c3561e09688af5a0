"""The pure rules of payments: the intent state machine, the checks before any charge, webhook
application (repeated and out of order), refunds and reconciliation. No I/O."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_shared.errors import Problem
from billing_shared.events import contracts
from payments.api.reconciliation_json import report_json
from payments.domain import intents, orders, reconciliation, refunds, webhooks
from payments.domain.commands import RequestRenewalCharge
from payments.domain.intent_states import (
    CANCELED,
    FAILED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_CAPTURE,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
)
from payments.domain.intents import Payable, PaymentIntent
from payments.domain.orders import OrderView
from payments.domain.payment_methods import ChargedWith
from payments.domain.payment_provider import (
    WEBHOOK_DISPUTE_CREATED,
    WEBHOOK_IGNORED,
    WEBHOOK_PAYMENT_FAILED,
    WEBHOOK_PAYMENT_SUCCEEDED,
    NextAction,
    ProviderCharge,
    ProviderIntent,
    WebhookEvent,
)
from payments.store.tables import LIVE_STATUSES

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ORDER = OrderView("ord_01JDA4V2Q3X8Y7Z6W5V4T3S2R1", "cus_01JDA4V2Q3X8Y7Z6W5V4T3S2R1", "GBP", 6296, "draft")
_ids = itertools.count(1)


def new_intent(**over: object) -> PaymentIntent:
    intent, _ = intents.create(
        intent_id=f"pi_01JDA4V2Q3X8Y7Z6W5V4T3S{next(_ids):03d}",
        payable=Payable.of_order(ORDER),
        amount=ORDER.total,
        currency="GBP",
        gateway_id="test",
        charged_with=ChargedWith("tok_visa"),
        capture_method="automatic",
        return_url=None,
        client_id="cli_test",
        idempotency_key="k1",
        now=NOW,
    )
    return replace(intent, **over)  # type: ignore[arg-type]


def answered(status: str, **over: object) -> PaymentIntent:
    return new_intent(**({"provider_pending": False, "gateway_reference": "ch_1", "status": status} | over))


def check_contracts(events: list) -> None:  # type: ignore[type-arg]
    for e in events:
        contracts.check(e.name, e.version, e.data)


# -- checks before any charge ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "amount", "currency", "fields"),
    [
        (ORDER, 6295, "GBP", ["amount"]),
        (ORDER, 6296, "USD", ["currency"]),
        (ORDER, 1, "EUR", ["currency", "amount"]),
        (replace(ORDER, status="cancelled"), 6296, "GBP", ["orderId"]),
        (replace(ORDER, status="paid"), 6296, "GBP", ["orderId"]),
        (replace(ORDER, total=0, status="paid"), 0, "GBP", ["orderId"]),
    ],
)
def test_an_intent_must_match_an_unpaid_order(
    order: OrderView, amount: int, currency: str, fields: list[str]
) -> None:
    with pytest.raises(Problem) as exc:
        intents.check_payable(order, amount=amount, currency=currency)
    assert exc.value.status == 422 and [e.field for e in exc.value.errors] == fields


def test_a_zero_total_order_is_told_it_needs_no_payment() -> None:
    with pytest.raises(Problem) as exc:
        intents.check_payable(replace(ORDER, total=0, status="paid"), amount=0, currency="GBP")
    assert "needs no payment" in exc.value.detail


def test_a_matching_draft_order_passes() -> None:
    intents.check_payable(ORDER, amount=6296, currency="GBP")


def test_a_new_intent_holds_its_order_and_announces_itself() -> None:
    intent, events = intents.create(
        intent_id="pi_01JDA4V2Q3X8Y7Z6W5V4T3S2R1",
        payable=Payable.of_order(ORDER),
        amount=6296,
        currency="GBP",
        gateway_id="test",
        charged_with=ChargedWith("tok_visa"),
        capture_method="automatic",
        return_url=None,
        client_id="cli",
        idempotency_key=None,
        now=NOW,
    )
    assert intent.status == REQUIRES_PAYMENT_METHOD and intent.live and intent.provider_pending
    assert intent.allowed_actions == []  # nothing to do until the gateway answered
    [e] = events
    assert e.name == "PaymentIntentCreated" and e.aggregate_id == intent.id
    assert {"id", "orderId", "customerId"} <= e.data.keys()
    check_contracts(events)
    assert intents.live_conflict(intent).status == 409 and intent.id in intents.live_conflict(intent).detail


def test_the_databases_live_states_are_the_domains() -> None:
    assert set(LIVE_STATUSES) == intents.LIVE


# -- the provider's answers ----------------------------------------------------------------------------


def test_a_succeeded_answer_raises_payment_succeeded_once() -> None:
    intent = new_intent()
    after, events = intents.apply_answer(intent, ProviderIntent("ch_1", SUCCEEDED, 6296, "GBP", "sec"), NOW)
    assert after.status == SUCCEEDED and after.gateway_reference == "ch_1" and after.client_secret == "sec"
    assert not after.provider_pending and after.allowed_actions == ["refund"]
    assert [e.name for e in events] == ["PaymentSucceeded"] and events[0].data["gatewayReference"] == "ch_1"
    check_contracts(events)
    again, more = intents.apply_answer(after, ProviderIntent("ch_1", SUCCEEDED, 6296, "GBP", "sec"), NOW)
    assert (again, more) == (after, [])


def test_a_declined_answer_fails_with_a_reason_a_payer_can_read() -> None:
    answer = ProviderIntent(
        "ch_1",
        FAILED,
        6296,
        "GBP",
        failure_code="card_declined",
        failure_message="Your card has insufficient funds.",
    )
    after, events = intents.apply_answer(new_intent(), answer, NOW)
    assert after.status == FAILED and not after.live and after.allowed_actions == []
    assert after.failure_message == "Your card has insufficient funds."
    assert [e.name for e in events] == ["PaymentFailed"]
    check_contracts(events)
    silent, _ = intents.apply_answer(new_intent(), ProviderIntent("ch_2", FAILED, 6296, "GBP"), NOW)
    assert silent.failure_message == intents.GENERIC_DECLINE and silent.failure_code == "payment_failed"


def test_three_ds_answer_shows_the_next_action() -> None:
    answer = ProviderIntent(
        "ch_1", REQUIRES_ACTION, 6296, "GBP", next_action=NextAction("three_ds", "https://x/3ds")
    )
    after, events = intents.apply_answer(new_intent(), answer, NOW)
    assert after.status == REQUIRES_ACTION and after.next_action == intents.NextActionView(
        "three_ds", "https://x/3ds"
    )
    assert events == [] and after.allowed_actions == ["cancel"]
    done, events = intents.apply_payment_outcome(
        after, succeeded=True, failure_code=None, failure_message=None, now=NOW
    )
    assert (
        done.status == SUCCEEDED
        and done.next_action is None
        and [e.name for e in events] == ["PaymentSucceeded"]
    )


def test_a_refusal_fails_the_intent() -> None:
    after, events = intents.refused(new_intent(), code="resource_missing", message="No such token", now=NOW)
    assert after.status == FAILED and after.failure_code == "resource_missing" and not after.provider_pending
    assert [e.name for e in events] == ["PaymentFailed"]


def test_manual_capture_waits_then_succeeds() -> None:
    held, events = intents.apply_answer(
        new_intent(), ProviderIntent("ch_1", REQUIRES_CAPTURE, 6296, "GBP"), NOW
    )
    assert held.allowed_actions == ["capture", "cancel"] and events == []
    intents.check_capturable(held)
    done, events = intents.apply_answer(held, ProviderIntent("ch_1", SUCCEEDED, 6296, "GBP"), NOW)
    assert done.status == SUCCEEDED and [e.name for e in events] == ["PaymentSucceeded"]
    with pytest.raises(Problem):
        intents.check_capturable(done)
    with pytest.raises(Problem):
        intents.check_cancelable(done)


def test_nothing_leaves_succeeded_and_nothing_goes_backwards() -> None:
    order = [REQUIRES_PAYMENT_METHOD, REQUIRES_ACTION, PROCESSING, REQUIRES_CAPTURE]
    for i, a in enumerate(order):
        for b in order[:i]:
            assert not intents.may_move(a, b), (a, b)
    for final in (SUCCEEDED, FAILED, CANCELED):
        for other in intents.STATUSES:
            # the one way out of a final state: the provider says money moved, the record follows
            assert intents.may_move(final, other) == (final == FAILED and other == SUCCEEDED), (final, other)


@given(st.lists(st.sampled_from([WEBHOOK_PAYMENT_SUCCEEDED, WEBHOOK_PAYMENT_FAILED]), min_size=1, max_size=6))
def test_outcome_webhooks_in_any_order_and_number_succeed_at_most_once(kinds: list[str]) -> None:
    intent = answered(REQUIRES_ACTION)
    names: list[str] = []
    for n, kind in enumerate(kinds):
        effect = webhooks.apply(
            intent, WebhookEvent(f"ev_{n}", kind, "ch_1"), pending_refunds=[], new_refund_id="re_x", now=NOW
        )
        intent = effect.intent
        names += [e.name for e in effect.events]
    assert names.count("PaymentSucceeded") <= 1 and names.count("PaymentFailed") <= 1
    if WEBHOOK_PAYMENT_SUCCEEDED in kinds:
        assert intent.status == SUCCEEDED and names[-1] == "PaymentSucceeded"
    else:
        assert intent.status == FAILED and names == ["PaymentFailed"]


def test_a_failure_after_success_changes_nothing() -> None:
    done = answered(SUCCEEDED)
    effect = webhooks.apply(
        done,
        WebhookEvent("ev_late", WEBHOOK_PAYMENT_FAILED, "ch_1"),
        pending_refunds=[],
        new_refund_id="re_x",
        now=NOW,
    )
    assert effect.intent is done and not effect.changed


def test_a_dispute_is_flagged_once() -> None:
    done = answered(SUCCEEDED)
    first = webhooks.apply(
        done,
        WebhookEvent("ev_d", WEBHOOK_DISPUTE_CREATED, "ch_1", amount=6296),
        pending_refunds=[],
        new_refund_id="x",
        now=NOW,
    )
    assert first.intent.disputed and [e.name for e in first.events] == ["PaymentDisputed"]
    check_contracts(first.events)
    again = webhooks.apply(
        first.intent,
        WebhookEvent("ev_d2", WEBHOOK_DISPUTE_CREATED, "ch_1"),
        pending_refunds=[],
        new_refund_id="x",
        now=NOW,
    )
    assert not again.changed
    ignored = webhooks.apply(
        done, WebhookEvent("ev_i", WEBHOOK_IGNORED, "ch_1"), pending_refunds=[], new_refund_id="x", now=NOW
    )
    assert ignored.intent is done and not ignored.changed


# -- refunds -------------------------------------------------------------------------------------------


def test_refunds_never_exceed_what_is_left() -> None:
    done = answered(SUCCEEDED, amount_refunded=1000)
    assert refunds.check_refund(done, amount=None, in_flight=296) == 5000
    assert refunds.check_refund(done, amount=5000, in_flight=296) == 5000
    with pytest.raises(Problem) as exc:
        refunds.check_refund(done, amount=5001, in_flight=296)
    assert exc.value.status == 422 and exc.value.errors[0].field == "amount" and "5000" in exc.value.detail
    with pytest.raises(Problem):
        refunds.check_refund(done, amount=None, in_flight=5296)
    with pytest.raises(Problem) as exc:
        refunds.check_refund(answered(REQUIRES_CAPTURE), amount=1, in_flight=0)
    assert exc.value.errors[0].field == "paymentIntentId"


def _refund(intent: PaymentIntent, amount: int, n: int = 1) -> refunds.Refund:
    return refunds.create(
        refund_id=f"re_01JDA4V2Q3X8Y7Z6W5V4T3S{n:03d}",
        intent=intent,
        amount=amount,
        reason="requested_by_customer",
        client_id="cli",
        idempotency_key=None,
        now=NOW,
    )


def test_partial_then_full_refund_reports_the_running_total() -> None:
    intent = answered(SUCCEEDED)
    r1 = _refund(intent, 1000)
    done1, intent, events = refunds.settle(
        r1, intent, status="succeeded", reference="rf_1", message=None, now=NOW
    )
    assert done1.status == "succeeded" and intent.amount_refunded == 1000
    assert events[0].data["amount"] == 1000 and events[0].data["amountRefunded"] == 1000
    r2 = _refund(intent, refunds.check_refund(intent, amount=None, in_flight=0), 2)
    _, intent, events = refunds.settle(
        r2, intent, status="succeeded", reference="rf_2", message=None, now=NOW
    )
    assert intent.amount_refunded == 6296 and events[0].data["amountRefunded"] == 6296
    assert intent.allowed_actions == []
    check_contracts(events)
    again = refunds.settle(done1, intent, status="succeeded", reference="rf_1", message=None, now=NOW)
    assert again == (done1, intent, [])


def test_a_refused_refund_gives_nothing_back() -> None:
    intent = answered(SUCCEEDED)
    failed, after, events = refunds.settle(
        _refund(intent, 10),
        intent,
        status="failed",
        reference=None,
        message="Refund exceeds the charge.",
        now=NOW,
    )
    assert failed.status == "failed" and after is intent and events == []


def test_provider_refund_totals_confirm_ours_then_record_the_rest_once() -> None:
    intent = answered(SUCCEEDED)
    ours = replace(_refund(intent, 1000), provider_pending=False, gateway_reference="rf_1")
    changed, intent, events = refunds.provider_refunded(
        intent, [ours], total_at_provider=1500, new_refund_id="re_01JDA4V2Q3X8Y7Z6W5V4T3S999", now=NOW
    )
    assert [(r.id, r.amount, r.status) for r in changed] == [
        (ours.id, 1000, "succeeded"),
        ("re_01JDA4V2Q3X8Y7Z6W5V4T3S999", 500, "succeeded"),
    ]
    assert intent.amount_refunded == 1500 and [e.data["amountRefunded"] for e in events] == [1000, 1500]
    # the same total again, or an older, smaller one: nothing
    for total in (1500, 1000):
        changed, same, events = refunds.provider_refunded(
            intent, [], total_at_provider=total, new_refund_id="x", now=NOW
        )
        assert (changed, same, events) == ([], intent, [])


# -- the order projection ------------------------------------------------------------------------------


def test_the_order_projection_never_goes_back() -> None:
    data = {"id": ORDER.id, "customerId": ORDER.customer_id, "currency": "GBP", "total": 6296}
    created = orders.from_event("OrderCreated", data, None)
    assert created == ORDER
    paid = orders.from_event("OrderPaid", data, created)
    assert paid is not None and paid.status == "paid"
    assert orders.from_event("OrderCreated", data, paid) == paid
    assert orders.from_event("OrderCancelled", data, paid) == paid
    assert orders.from_event("OrderCancelled", {"id": "ord_x"}, None) is None
    assert orders.from_event("OrderPaid", data | {"id": "ord_y"}, None) == replace(
        ORDER, id="ord_y", status="paid"
    )


# -- reconciliation --------------------------------------------------------------------------------------


def test_reconciliation_finds_every_kind_of_difference() -> None:
    day = int(datetime(2026, 11, 25, tzinfo=UTC).timestamp())

    def charge(
        ref: str, amount: int = 6296, status: str = SUCCEEDED, order: str = "ord_a", at: int = 100
    ) -> ProviderCharge:
        return ProviderCharge(ref, amount, "GBP", status, 0, {"orderId": order}, day + at)

    ok = answered(SUCCEEDED, gateway_reference="ch_ok", order_id="ord_ok")
    lost = answered(SUCCEEDED, gateway_reference="ch_lost", order_id="ord_lost")
    cheap = answered(SUCCEEDED, gateway_reference="ch_cheap", order_id="ord_cheap")
    stuck = answered(REQUIRES_ACTION, gateway_reference="ch_stuck", order_id="ord_stuck")
    waiting = new_intent(order_id="ord_wait")
    dup = answered(SUCCEEDED, gateway_reference="ch_dup1", order_id="ord_dup")
    ours = [ok, lost, cheap, stuck, waiting, dup]
    charges = [
        charge("ch_ok", order="ord_ok"),
        charge("ch_cheap", amount=100, order="ord_cheap"),
        charge("ch_stuck", order="ord_stuck"),
        charge("ch_stranger", order="ord_stranger"),
        charge("ch_dup1", order="ord_dup"),
        charge("ch_dup2", order="ord_dup"),
        charge("ch_tomorrow", order="ord_t", at=86400 + 5),  # in the margin: not this day's
    ]
    by_ref = {i.gateway_reference: i for i in ours if i.gateway_reference}
    report = reconciliation.Report(date="2026-11-25", gateways=["test"])
    reconciliation.compare(
        report,
        "test",
        day_start=day,
        day_end=day + 86400,
        ours_of_day=ours,
        ours_by_reference=by_ref,
        charges=charges,
    )
    wire = report_json(report)
    assert not report.clean
    assert [m["paymentIntentId"] for m in wire["missingAtGateway"]] == [lost.id]
    assert sorted(m["gatewayReference"] for m in wire["missingHere"]) == ["ch_dup2", "ch_stranger"]
    assert [m["ours"]["paymentIntentId"] for m in wire["amountMismatches"]] == [cheap.id]
    assert [m["ours"]["paymentIntentId"] for m in wire["statusMismatches"]] == [stuck.id]
    assert wire["duplicateCharges"] == [
        {"gatewayId": "test", "orderId": "ord_dup", "gatewayReferences": ["ch_dup1", "ch_dup2"]}
    ]
    assert [m["paymentIntentId"] for m in wire["awaitingGateway"]] == [waiting.id]
    assert wire["summary"]["matched"] == 4


def test_reconciliation_of_agreeing_records_is_clean() -> None:
    day = int(datetime(2026, 11, 25, tzinfo=UTC).timestamp())
    ok = answered(SUCCEEDED, gateway_reference="ch_ok", amount_refunded=100)
    report = reconciliation.Report(date="2026-11-25", gateways=["test"])
    reconciliation.compare(
        report,
        "test",
        day_start=day,
        day_end=day + 86400,
        ours_of_day=[ok],
        ours_by_reference={"ch_ok": ok},
        charges=[ProviderCharge("ch_ok", 6296, "GBP", SUCCEEDED, 100, {"orderId": ok.order_id}, day + 1)],
    )
    assert report.clean and report_json(report)["summary"]["matched"] == 1


# -- renewal charges (off-session) -----------------------------------------------------------------------


def new_renewal(attempt: int = 1) -> PaymentIntent:
    charge = RequestRenewalCharge(
        invoice_id="in_01JDA4V2Q3X8Y7Z6W5V4T3S2R1",
        subscription_id="sub_01JDA4V2Q3X8Y7Z6W5V4T3S2R1",
        attempt=attempt,
        customer_id=ORDER.customer_id,
        amount=2900,
        currency="EUR",
        gateway_id="test",
        payment_method_token="tok_threeDSecureRequired",
    )
    intent, events = intents.create_renewal(
        f"pi_01JDA4V2Q3X8Y7Z6W5V4T3S{next(_ids):03d}",
        charge,
        ChargedWith(charge.payment_method_token),
        charge.gateway_id,
        NOW,
    )
    check_contracts(events)
    assert events[0].version == 2 and events[0].data["orderId"] is None and events[0].data["offSession"]
    return intent


def test_an_off_session_intent_asked_for_3ds_fails_with_authentication_required() -> None:
    action = ProviderIntent(
        "ch_1", REQUIRES_ACTION, 2900, "EUR", next_action=NextAction("three_ds", "https://psp/3ds/ch_1")
    )
    after, events = intents.apply_answer(new_renewal(), action, NOW)
    assert (after.status, after.failure_code, after.next_action, after.provider_pending) == (
        FAILED,
        intents.AUTHENTICATION_REQUIRED,
        None,
        False,
    )
    assert [(e.name, e.version) for e in events] == [("PaymentFailed", 2)]
    assert events[0].data["invoiceId"] == after.invoice_id and events[0].data["attempt"] == 1
    check_contracts(events)
    # the same answer for an order's intent (the payer is there) asks the payer
    on_session, _ = intents.apply_answer(new_intent(), action, NOW)
    assert on_session.status == REQUIRES_ACTION and on_session.next_action is not None


def test_a_renewal_charge_succeeds_refunds_and_disputes_with_v2_events_naming_its_invoice() -> None:
    paid, events = intents.apply_answer(new_renewal(2), ProviderIntent("ch_1", SUCCEEDED, 2900, "EUR"), NOW)
    assert [(e.name, e.version) for e in events] == [("PaymentSucceeded", 2)]
    assert (events[0].data["orderId"], events[0].data["attempt"]) == (None, 2)
    refund = refunds.create(
        refund_id="re_01JDA4V2Q3X8Y7Z6W5V4T3S2R1",
        intent=paid,
        amount=900,
        reason="requested_by_customer",
        client_id="c",
        idempotency_key=None,
        now=NOW,
    )
    assert refund.order_id is None
    _, _, refunded = refunds.settle(
        refund, paid, status=refunds.SUCCEEDED, reference="rf", message=None, now=NOW
    )
    _, disputed = intents.mark_disputed(paid, None, NOW)
    for e in [*events, *refunded, *disputed]:
        assert e.version == 2 and e.data["orderId"] is None
        assert e.data["invoiceId"] == "in_01JDA4V2Q3X8Y7Z6W5V4T3S2R1"
    check_contracts([*events, *refunded, *disputed])
