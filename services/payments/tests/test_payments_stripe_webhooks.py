"""Stripe's webhooks through payments' own route, verified by the real Stripe adapter: a signed
`payment_intent.succeeded` settles the intent once, a stale timestamp or a forged signature is a 400
that changes nothing, a dispute raises PaymentDisputed. No network: only the signature matters."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fake_provider import FakeProvider
from flask import Flask
from flask.testing import FlaskClient

from billing_devtools.testing.tokens import TokenFactory
from billing_shared.ids import new_id
from billing_shared.web.context import deps_of
from payments.adapters.stripe import StripeProvider
from payments.app import create_app
from payments.config import PaymentsSettings
from payments.domain import intents
from payments.domain.intent_states import REQUIRES_ACTION
from payments.domain.intents import Payable
from payments.domain.orders import OrderView
from payments.domain.payment_methods import ChargedWith
from payments.domain.payment_provider import NextAction, ProviderIntent
from payments.store.intents import IntentRepository

pytestmark = pytest.mark.integration

SECRET = "whsec_payments_test"
HOOK = "/api/v1/PaymentGateways/stripe/webhooks"


@pytest.fixture()
def app(settings: PaymentsSettings, fake: FakeProvider, tokens: TokenFactory) -> Iterator[Flask]:
    stripe_settings = settings.model_copy(
        update={
            "stripe_api_key": "sk_test_unused",
            "stripe_webhook_secret": SECRET,
            "stripe_api_base": "http://127.0.0.1:9",
        }
    )
    providers = {"test": fake, "stripe": StripeProvider(stripe_settings)}
    app = create_app(settings, providers=providers, verifier=tokens.verifier())
    yield app
    deps_of(app).db.dispose()


def stripe_intent(app: Flask, reference: str) -> intents.PaymentIntent:
    """An intent Stripe answered with requires_action (3DS), as the create call would have left it."""
    order = OrderView(new_id("ord"), new_id("cus"), "EUR", 4200, "draft")
    now = datetime.now(UTC)
    intent, _ = intents.create(
        intent_id=new_id("pi"),
        payable=Payable.of_order(order),
        amount=4200,
        currency="EUR",
        gateway_id="stripe",
        charged_with=ChargedWith("pm_card_threeDSecure2Required"),
        capture_method="automatic",
        return_url="https://shop.example/return",
        client_id="cli_test",
        idempotency_key=None,
        now=now,
    )
    answer = ProviderIntent(
        reference, REQUIRES_ACTION, 4200, "EUR", "sec", NextAction("redirect", "https://hooks.stripe.com/3ds")
    )
    answered, _ = intents.apply_answer(intent, answer, now)
    with deps_of(app).db.unit_of_work() as uow:
        IntentRepository(uow.session).add(answered, calling_since=None)
        uow.commit()
    return answered


def signed(
    event: dict[str, Any], *, at: int | None = None, secret: str = SECRET
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(event).encode()
    t = at if at is not None else int(time.time())
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={sig}", "Content-Type": "application/json"}, body


def pi_event(event_id: str, kind: str, reference: str, status: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": reference,
                "object": "payment_intent",
                "amount": 4200,
                "currency": "eur",
                "status": status,
                "metadata": {},
            }
        },
    }


def test_a_signed_stripe_success_settles_the_intent_once(
    client: FlaskClient, admin: dict[str, str], app: Flask, outbox: Callable[[str], list[dict[str, Any]]]
) -> None:
    intent = stripe_intent(app, "pi_3StripeRef0001")
    headers, body = signed(pi_event("evt_1", "payment_intent.succeeded", "pi_3StripeRef0001", "succeeded"))
    for expected_duplicate in (False, True, True):
        r = client.post(HOOK, data=body, headers=headers)
        assert r.status_code == 200 and r.json["duplicate"] is expected_duplicate, r.json
    got = client.get(f"/api/v1/PaymentIntents/{intent.id}", headers=admin).json
    assert got["status"] == "succeeded" and got["gatewayId"] == "stripe" and got["nextAction"] is None
    [paid] = outbox("PaymentSucceeded")
    assert paid["gatewayReference"] == "pi_3StripeRef0001" and paid["gatewayId"] == "stripe"


def test_stale_or_forged_stripe_deliveries_are_400_and_change_nothing(
    client: FlaskClient, admin: dict[str, str], app: Flask, outbox: Callable[[str], list[dict[str, Any]]]
) -> None:
    intent = stripe_intent(app, "pi_3StripeRef0002")
    event = pi_event("evt_2", "payment_intent.succeeded", "pi_3StripeRef0002", "succeeded")
    stale_headers, body = signed(event, at=int(time.time()) - 400)  # Stripe's tolerance is 300 s
    stale = client.post(HOOK, data=body, headers=stale_headers)
    assert stale.status_code == 400 and stale.content_type == "application/problem+json"
    forged_headers, body = signed(event, secret="whsec_someone_else")
    assert client.post(HOOK, data=body, headers=forged_headers).status_code == 400
    assert client.post(HOOK, data=body, headers={"Content-Type": "application/json"}).status_code == 400
    assert (
        client.get(f"/api/v1/PaymentIntents/{intent.id}", headers=admin).json["status"] == "requires_action"
    )
    assert outbox("PaymentSucceeded") == []


def test_a_stripe_dispute_raises_payment_disputed(
    client: FlaskClient, app: Flask, outbox: Callable[[str], list[dict[str, Any]]]
) -> None:
    intent = stripe_intent(app, "pi_3StripeRef0003")
    headers, body = signed(pi_event("evt_3", "payment_intent.succeeded", "pi_3StripeRef0003", "succeeded"))
    assert client.post(HOOK, data=body, headers=headers).status_code == 200
    dispute = {
        "id": "evt_4",
        "object": "event",
        "type": "charge.dispute.created",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": "dp_1",
                "object": "dispute",
                "amount": 4200,
                "currency": "eur",
                "charge": "ch_1",
                "payment_intent": "pi_3StripeRef0003",
                "reason": "fraudulent",
            }
        },
    }
    headers, body = signed(dispute)
    r = client.post(HOOK, data=body, headers=headers)
    assert r.status_code == 200 and r.json["applied"] is True, r.json
    [disputed] = outbox("PaymentDisputed")
    assert disputed["id"] == intent.id and disputed["amount"] == 4200 and disputed["currency"] == "EUR"
