"""Renewal invoices charged off-session: InvoicePaymentRequested (invoicing) → one intent per
(invoice, attempt), recorded in the consumer's transaction with its inbox entry; the provider call
made afterwards, outside any transaction, with `off_session=True` and the row's provider key; the
answer published as PaymentSucceeded / PaymentFailed v2 carrying invoiceId, subscriptionId and
attempt (ADR 0003). On PostgreSQL, with the in-memory gateway (`fake`) counting calls; events go
through the kit's real inbox (`EventConsumer.apply`)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient
from payments_testing import invoice_event, renewal_request
from sqlalchemy import func, select

from billing_shared.events import contracts
from billing_shared.events.catalog import TOPIC_INVOICES
from billing_shared.events.envelope import Envelope
from billing_shared.ids import new_id
from billing_shared.inbox.consumer import EventConsumer, bind
from billing_shared.web.context import deps_of
from payments.bootstrap import Deps
from payments.config import PaymentsSettings
from payments.handlers import HANDLERS
from payments.service_layer import provider_calls, recovery, renewals
from payments.service_layer.intent_calls import drive_intent
from payments.service_layer.provider_calls import CallPending
from payments.store.intents import IntentRepository
from payments.store.tables import payment_intents

Outbox = Callable[..., list[dict[str, Any]]]


request_data = renewal_request


def deps(app: Flask) -> Deps:
    return deps_of(app, Deps)


def consumer(app: Flask, dlq: Any = None) -> EventConsumer:
    """The kit's consumer as the worker builds it; only `apply` (inbox + handler, one transaction)
    and `handle_record` (the contract check, then `apply`) are used, so no Kafka client is needed."""
    return EventConsumer(deps(app).db, None, dlq, name="payments", handlers=bind(HANDLERS, deps(app)))


def receive(app: Flask, data: dict[str, Any], *, event_id: str | None = None) -> bool:
    env = invoice_event("InvoicePaymentRequested", data, event_id=event_id)
    contracts.check(env.name, env.version, env.data)  # as the inbox does before `apply`
    return consumer(app).apply(env, TOPIC_INVOICES)


def record_of(env: Envelope) -> SimpleNamespace:
    """`env` as Kafka hands it to the consumer."""
    key, headers, value = env.to_kafka()
    return SimpleNamespace(topic=TOPIC_INVOICES, partition=0, offset=0, key=key, headers=headers, value=value)


def dead_letters() -> tuple[list[dict[str, Any]], Any]:
    """A DLQ producer that keeps what it is sent: (what was parked, the producer)."""
    parked: list[dict[str, Any]] = []
    return parked, SimpleNamespace(
        send=lambda *a, **kw: parked.append(kw) or SimpleNamespace(get=lambda timeout: None)
    )


def intents_of(app: Flask, invoice_id: str) -> list[Any]:
    with deps(app).db.engine.connect() as conn:
        return list(
            conn.execute(
                select(payment_intents).where(payment_intents.c.invoice_id == invoice_id).order_by("attempt")
            )
        )


def intent_count(app: Flask) -> int:
    with deps(app).db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(payment_intents)).scalar_one())


def check_contracts(outbox: Outbox, name: str) -> list[dict[str, Any]]:
    found = outbox(name)
    for data in found:
        contracts.check(name, 2, data)  # the kit checks on emit too; this says which version
    return found


def test_a_renewal_request_is_charged_once_off_session_and_answered_with_payment_succeeded_v2(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    data = request_data()
    assert receive(app, data) is True
    [row] = intents_of(app, data["invoiceId"])
    # recorded in the consumer's transaction; the provider has not been called inside it
    assert fake.calls == [] and row.provider_pending and row.provider_call_at is None
    assert (row.status, row.off_session, row.client_id, row.order_id) == (
        "requires_payment_method",
        True,
        "billing:invoicing",
        None,
    )
    [created] = check_contracts(outbox, "PaymentIntentCreated")
    assert (created["orderId"], created["invoiceId"], created["attempt"], created["offSession"]) == (
        None,
        data["invoiceId"],
        1,
        True,
    )

    assert renewals.charge_off_session(deps(app)) == 1
    key = f"{row.id}:create"
    assert fake.calls_of("create_intent") == [key] and fake.off_session_keys == {key: True}
    [charge] = fake.charges_by_ref.values()
    assert charge.metadata == {
        "paymentIntentId": row.id,
        "invoiceId": data["invoiceId"],
        "subscriptionId": data["subscriptionId"],
        "attempt": "1",
        "customerId": data["customerId"],
    }
    [paid] = check_contracts(outbox, "PaymentSucceeded")
    assert paid == {
        "id": row.id,
        "orderId": None,
        "customerId": data["customerId"],
        "amount": 2900,
        "currency": "EUR",
        "gatewayId": "test",
        "gatewayReference": charge.intent.reference,
        "invoiceId": data["invoiceId"],
        "subscriptionId": data["subscriptionId"],
        "attempt": 1,
        "paymentMethodToken": "tok_visa",
    }
    assert outbox("PaymentSucceeded", version=1) == [] and outbox("PaymentFailed") == []

    # nothing is left to drive: a second pass, and the recovery sweep, call nobody
    assert renewals.charge_off_session(deps(app)) == 0 and recovery.recover(deps(app)) == 0
    assert len(fake.calls_of("create_intent")) == 1

    got = client.get(f"/api/v1/PaymentIntents/{row.id}", headers=admin)
    assert got.status_code == 200
    assert {k: got.json[k] for k in ("orderId", "invoiceId", "subscriptionId", "attempt", "offSession")} == {
        "orderId": None,
        "invoiceId": data["invoiceId"],
        "subscriptionId": data["subscriptionId"],
        "attempt": 1,
        "offSession": True,
    }
    assert (got.json["status"], got.json["amount"], got.json["customerId"]) == (
        "succeeded",
        2900,
        data["customerId"],
    )
    listed = client.get(f"/api/v1/PaymentIntents?invoiceId={data['invoiceId']}", headers=admin).json
    assert [i["id"] for i in listed["data"]] == [row.id]
    assert client.get(f"/api/v1/PaymentIntents?invoiceId={new_id('in')}", headers=admin).json["data"] == []


def test_a_repeated_request_makes_no_second_intent_and_no_second_charge(
    app: Flask, fake: FakeProvider, outbox: Outbox
) -> None:
    data = request_data()
    event_id = str(uuid.uuid4())
    assert receive(app, data, event_id=event_id) is True
    assert receive(app, data, event_id=event_id) is False  # the same event redelivered: the inbox
    assert receive(app, data) is True  # another event id, the same invoice and attempt
    assert receive(app, data | {"amount": 3100}) is True  # even with other data: the first stands
    assert len(intents_of(app, data["invoiceId"])) == 1
    renewals.charge_off_session(deps(app))
    assert receive(app, data) is True  # after the charge, too
    renewals.charge_off_session(deps(app))
    assert len(intents_of(app, data["invoiceId"])) == 1 and len(fake.calls_of("create_intent")) == 1
    assert len(outbox("PaymentIntentCreated")) == 1 and len(outbox("PaymentSucceeded")) == 1

    # a later attempt for an invoice already paid charges nothing: one payment per invoice, ever
    assert receive(app, data | {"attempt": 2}) is True
    renewals.charge_off_session(deps(app))
    rows = intents_of(app, data["invoiceId"])
    assert [(r.attempt, r.status, r.failure_code) for r in rows] == [
        (1, "succeeded", None),
        (2, "failed", "invoice_already_paid"),
    ]
    assert len(fake.calls_of("create_intent")) == 1
    assert [e["attempt"] for e in outbox("PaymentSucceeded")] == [1]


def test_concurrent_deliveries_and_drivers_make_one_intent_and_one_charge(
    app: Flask, fake: FakeProvider
) -> None:
    data = request_data()
    fake.delay = 0.2  # every provider call takes a while: the drivers overlap
    errors: list[BaseException] = []

    def run(fn: Callable[[], object]) -> None:
        try:
            fn()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(lambda: receive(app, data),)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(intents_of(app, data["invoiceId"])) == 1
    drivers = [
        threading.Thread(target=run, args=(lambda: renewals.charge_off_session(deps(app)),)) for _ in range(4)
    ]
    for t in drivers:
        t.start()
    for t in drivers:
        t.join()
    assert errors == [] and len(fake.calls_of("create_intent")) == 1
    assert intents_of(app, data["invoiceId"])[0].status == "succeeded"


def test_a_declined_card_is_payment_failed_v2_with_the_decline_code(
    app: Flask, fake: FakeProvider, outbox: Outbox
) -> None:
    data = request_data("tok_chargeDeclined", attempt=3)
    receive(app, data)
    renewals.charge_off_session(deps(app))
    [row] = intents_of(app, data["invoiceId"])
    assert (row.status, row.failure_code, row.provider_pending) == ("failed", "card_declined", False)
    [failed] = check_contracts(outbox, "PaymentFailed")
    assert failed == {
        "id": row.id,
        "orderId": None,
        "customerId": data["customerId"],
        "amount": 2900,
        "currency": "EUR",
        "gatewayId": "test",
        "failureCode": "card_declined",
        "failureMessage": "Your card has insufficient funds.",
        "invoiceId": data["invoiceId"],
        "subscriptionId": data["subscriptionId"],
        "attempt": 3,
        "paymentMethodToken": "tok_chargeDeclined",
    }
    assert outbox("PaymentSucceeded") == [] and len(fake.calls_of("create_intent")) == 1


def test_a_card_asking_for_3ds_off_session_fails_with_authentication_required(
    app: Flask, client: FlaskClient, admin: dict[str, str], fake: FakeProvider, outbox: Outbox
) -> None:
    data = request_data("tok_threeDSecureRequired")
    receive(app, data)
    renewals.charge_off_session(deps(app))
    [row] = intents_of(app, data["invoiceId"])
    # the fake answers requires_action as a provider may; nobody is there to authenticate
    assert fake.off_session_keys == {f"{row.id}:create": True}
    got = client.get(f"/api/v1/PaymentIntents/{row.id}", headers=admin).json
    assert (got["status"], got["failureCode"], got["nextAction"], got["allowedActions"]) == (
        "failed",
        "authentication_required",
        None,
        [],
    )
    [failed] = check_contracts(outbox, "PaymentFailed")
    assert (failed["failureCode"], failed["invoiceId"], failed["orderId"]) == (
        "authentication_required",
        data["invoiceId"],
        None,
    )
    assert "3D Secure" in failed["failureMessage"]


def test_a_worker_dying_between_recording_and_calling_is_driven_exactly_once(
    app: Flask, settings: PaymentsSettings, fake: FakeProvider, outbox: Outbox
) -> None:
    quick = settings.model_copy(update={"stale_call_seconds": 0.3, "retry_after_seconds": 0.3})
    # 1. recorded; the process died before its loop ran: the next process's loop charges it
    first = request_data()
    receive(app, first)
    restarted = replace(deps(app), settings=quick)
    assert renewals.charge_off_session(restarted) == 1 and len(fake.calls_of("create_intent")) == 1

    # 2. claimed, then the process died before (or during) the call: no loop takes a claimed row
    #    until its claim is stale; then the recovery sweep sends the same call, once
    second = request_data()
    receive(app, second)
    [row] = intents_of(app, second["invoiceId"])
    assert provider_calls.claim(deps(app), IntentRepository, row.id)  # ... and the process is gone
    assert renewals.charge_off_session(restarted) == 0 and recovery.recover(restarted) == 0
    time.sleep(0.4)
    assert recovery.recover(restarted) == 1
    assert fake.calls_of("create_intent")[1:] == [f"{row.id}:create"]
    assert recovery.recover(restarted) == 0 and renewals.charge_off_session(restarted) == 0
    assert intents_of(app, second["invoiceId"])[0].status == "succeeded"

    # 3. the provider charged and the answer was lost: the sweep asks again under the same key and
    #    the provider replays its first answer: one charge
    third = request_data()
    receive(app, third)
    fake.lose_answers = 1
    with pytest.raises(CallPending):
        [iid] = [r.id for r in intents_of(app, third["invoiceId"])]
        drive_intent(restarted, iid, idle=0.0)
    charges_before = len(fake.charges_by_ref)
    assert renewals.charge_off_session(restarted) == 0  # a call was made: it is recovery's now
    time.sleep(0.4)
    assert recovery.recover(restarted) == 1
    assert len(fake.charges_by_ref) == charges_before == 3
    assert fake.calls_of("create_intent")[2:] == [f"{iid}:create", f"{iid}:create"]
    assert intents_of(app, third["invoiceId"])[0].status == "succeeded"
    assert sorted(e["invoiceId"] for e in outbox("PaymentSucceeded")) == sorted(
        d["invoiceId"] for d in (first, second, third)
    )


def test_a_renewal_charge_can_be_refunded_and_publishes_payment_refunded_v2(
    app: Flask, client: FlaskClient, admin: dict[str, str], outbox: Outbox
) -> None:
    data = request_data()
    receive(app, data)
    renewals.charge_off_session(deps(app))
    [row] = intents_of(app, data["invoiceId"])
    r = client.post(
        "/api/v1/Refunds",
        json={"paymentIntentId": row.id, "amount": 900, "reason": "requested_by_customer"},
        headers=admin,
    )
    assert r.status_code == 201, r.json
    assert (r.json["status"], r.json["orderId"], r.json["amount"]) == ("succeeded", None, 900)
    [refunded] = check_contracts(outbox, "PaymentRefunded")
    assert refunded == {
        "id": row.id,
        "orderId": None,
        "customerId": data["customerId"],
        "refundId": r.json["id"],
        "amount": 900,
        "amountRefunded": 900,
        "currency": "EUR",
        "invoiceId": data["invoiceId"],
        "subscriptionId": data["subscriptionId"],
    }


def test_a_request_breaking_its_contract_charges_nothing(app: Flask, fake: FakeProvider) -> None:
    parked, dlq = dead_letters()
    bad = {k: v for k, v in request_data().items() if k != "paymentMethodToken"}
    consumer(app, dlq).handle_record(record_of(invoice_event("InvoicePaymentRequested", bad)))
    [error] = [dict(p["headers"])["dlq_error"].decode() for p in parked]
    assert error.startswith("breaks its contract") and "paymentMethodToken" in error  # parked at once
    card_data = request_data(paymentMethodToken="4242424242424242") | {"cardNumber": "4242424242424242"}
    consumer(app, dlq).handle_record(record_of(invoice_event("InvoicePaymentRequested", card_data)))
    assert len(parked) == 2 and dict(parked[1]["headers"])["dlq_error"].startswith(b"breaks its contract")
    assert intent_count(app) == 0 and fake.calls == []


def test_a_gateway_not_configured_here_fails_the_charge_at_once(
    app: Flask, fake: FakeProvider, outbox: Outbox
) -> None:
    data = request_data(gatewayId="stripe")  # the app's only gateway is `test`
    receive(app, data)
    [row] = intents_of(app, data["invoiceId"])
    assert (row.status, row.failure_code, row.provider_pending) == ("failed", "gateway_not_configured", False)
    assert renewals.charge_off_session(deps(app)) == 0 and fake.calls == []
    [failed] = check_contracts(outbox, "PaymentFailed")
    assert (failed["invoiceId"], failed["failureCode"]) == (data["invoiceId"], "gateway_not_configured")
