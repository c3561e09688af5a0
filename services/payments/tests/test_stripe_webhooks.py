"""Stripe webhooks, without stripe-mock: each payload is signed here with the scheme Stripe documents
(`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`), computed independently of the SDK, so a change in
how the adapter verifies cannot hide behind the SDK's own helper."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from typing import Any

import pytest

from payments.adapters.stripe import StripeProvider
from payments.domain.payment_provider import (
    WEBHOOK_DISPUTE_CREATED,
    WEBHOOK_IGNORED,
    WEBHOOK_PAYMENT_FAILED,
    WEBHOOK_PAYMENT_SUCCEEDED,
    WEBHOOK_REFUNDED,
    SignatureError,
)

SECRET = "whsec_test_0123456789abcdef"


def provider(secret: str = SECRET) -> StripeProvider:
    return StripeProvider(SimpleNamespace(stripe_api_key="", stripe_webhook_secret=secret))


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(type_: str, obj: dict[str, Any], *, event_id: str = "evt_1", created: int = 1_700_000_000) -> bytes:
    return json.dumps(
        {"id": event_id, "object": "event", "type": type_, "created": created, "data": {"object": obj}}
    ).encode()


def payment_intent(**fields: Any) -> dict[str, Any]:
    return {
        "id": "pi_123",
        "object": "payment_intent",
        "amount": 1999,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"orderId": "ord_1"},
        **fields,
    }


def parse(body: bytes, header: str | None = None, **kw: Any):
    headers = {"Stripe-Signature": sign(body) if header is None else header}
    return provider(**kw).parse_webhook(headers, body)


def test_payment_succeeded() -> None:
    ev = parse(event("payment_intent.succeeded", payment_intent(), event_id="evt_ok", created=1_700_000_123))
    assert ev.kind == WEBHOOK_PAYMENT_SUCCEEDED
    assert ev.event_id == "evt_ok"
    assert ev.reference == "pi_123"
    assert ev.raw_type == "payment_intent.succeeded"
    assert ev.created == 1_700_000_123
    assert ev.extra["status"] == "succeeded"
    assert ev.extra["amount"] == 1999
    assert ev.extra["currency"] == "USD"
    assert ev.extra["metadata"] == {"orderId": "ord_1"}


def test_payment_failed_carries_the_decline_reason() -> None:
    pi = payment_intent(
        status="requires_payment_method",
        last_payment_error={
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    )
    ev = parse(event("payment_intent.payment_failed", pi))
    assert ev.kind == WEBHOOK_PAYMENT_FAILED
    assert ev.reference == "pi_123"
    assert ev.failure_code == "insufficient_funds"
    assert ev.failure_message == "Your card has insufficient funds."
    assert ev.extra["status"] == "failed"


def test_failed_3ds_is_a_failure_with_stripes_code() -> None:
    pi = payment_intent(
        status="requires_payment_method",
        last_payment_error={
            "code": "payment_intent_authentication_failure",
            "message": "Authentication failed.",
        },
    )
    ev = parse(event("payment_intent.payment_failed", pi))
    assert (ev.failure_code, ev.failure_message) == (
        "payment_intent_authentication_failure",
        "Authentication failed.",
    )


def test_charge_refunded_reports_the_refunded_total_of_the_intent() -> None:
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_123",
        "amount": 1999,
        "amount_refunded": 1500,
        "currency": "eur",
        "refunded": False,
    }
    ev = parse(event("charge.refunded", charge))
    assert ev.kind == WEBHOOK_REFUNDED
    assert ev.reference == "pi_123"
    assert ev.amount == 1500
    assert ev.extra["chargeId"] == "ch_1"
    assert ev.extra["currency"] == "EUR"


def test_dispute_created_names_the_intent_and_the_disputed_amount() -> None:
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_1",
        "payment_intent": "pi_123",
        "amount": 1999,
        "currency": "usd",
        "reason": "fraudulent",
        "status": "needs_response",
    }
    ev = parse(event("charge.dispute.created", dispute))
    assert ev.kind == WEBHOOK_DISPUTE_CREATED
    assert ev.reference == "pi_123"
    assert ev.amount == 1999
    assert ev.extra["disputeId"] == "dp_1"
    assert ev.extra["reason"] == "fraudulent"


def test_amounts_come_back_in_iso_minor_units() -> None:
    """Stripe writes ISK in hundredths: 50000 at Stripe is 500 krónur, our 500."""
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_1",
        "amount_refunded": 50000,
        "currency": "isk",
    }
    assert parse(event("charge.refunded", charge)).amount == 500


@pytest.mark.parametrize("type_", ["payment_intent.created", "charge.succeeded", "customer.created"])
def test_other_types_are_verified_but_ignored(type_: str) -> None:
    ev = parse(event(type_, {"id": "x_1", "object": type_.split(".")[0]}))
    assert ev.kind == WEBHOOK_IGNORED
    assert ev.raw_type == type_


def test_header_name_is_case_insensitive_and_a_rotated_secret_still_verifies() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    t = int(time.time())
    old = sign(body, secret="whsec_old", timestamp=t).split(",")[1]
    header = f"{sign(body, timestamp=t)},{old}"
    assert provider().parse_webhook({"stripe-signature": header}, body).kind == WEBHOOK_PAYMENT_SUCCEEDED


def test_forged_signature_is_refused() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    with pytest.raises(SignatureError):
        parse(body, sign(body, secret="whsec_attacker"))


def test_stale_timestamp_is_refused() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    with pytest.raises(SignatureError, match="tolerance"):
        parse(body, sign(body, timestamp=int(time.time()) - 301))


def test_timestamp_within_tolerance_is_accepted() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    assert parse(body, sign(body, timestamp=int(time.time()) - 240)).kind == WEBHOOK_PAYMENT_SUCCEEDED


def test_body_altered_after_signing_is_refused() -> None:
    body = event(
        "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 100, "currency": "usd"}
    )
    header = sign(body)
    with pytest.raises(SignatureError):
        parse(body.replace(b'"amount_refunded": 100', b'"amount_refunded": 999'), header)


def test_timestamp_altered_after_signing_is_refused() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    t = int(time.time()) - 1000
    mac = sign(body, timestamp=t).split("v1=")[1]
    with pytest.raises(SignatureError):
        parse(body, f"t={int(time.time())},v1={mac}")


@pytest.mark.parametrize("secret", ["", None])
def test_no_secret_configured_refuses_every_delivery(secret: str | None) -> None:
    body = event("payment_intent.succeeded", payment_intent())
    unconfigured = StripeProvider(SimpleNamespace(stripe_webhook_secret=secret))
    with pytest.raises(SignatureError, match="no webhook secret"):
        unconfigured.parse_webhook({"Stripe-Signature": sign(body)}, body)


def test_settings_without_any_stripe_field_still_answer_with_signature_errors() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    with pytest.raises(SignatureError):
        StripeProvider(object()).parse_webhook({"Stripe-Signature": sign(body)}, body)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=abc,v1=00", "t=1700000000", "v1=abc"])
def test_missing_or_malformed_header_is_refused(header: str | None) -> None:
    body = event("payment_intent.succeeded", payment_intent())
    headers = {} if header is None else {"Stripe-Signature": header}
    with pytest.raises(SignatureError):
        provider().parse_webhook(headers, body)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"id": "evt_1", "type": "x"}', b'{"id": "e", "type": "x", "data": {"object": 5}}'],
)
def test_signed_body_that_is_not_an_event_is_refused(body: bytes) -> None:
    with pytest.raises(SignatureError):
        parse(body)


def test_non_utf8_body_is_refused() -> None:
    body = b"\xff\xfe{}"
    with pytest.raises(SignatureError):
        parse(body)


def test_the_secret_never_appears_in_errors_or_repr() -> None:
    body = event("payment_intent.succeeded", payment_intent())
    p = provider()
    with pytest.raises(SignatureError) as info:
        p.parse_webhook({"Stripe-Signature": sign(body, secret="whsec_other")}, body)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(p)
