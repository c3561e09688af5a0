"""TestGatewayProvider against the running test gateway: our states, errors and webhook events, and
retries that never make a second charge."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from payments.adapters.test_gateway import TestGatewayProvider
from payments.domain import intent_states, payment_provider
from payments.domain.payment_provider import PaymentProvider, ProviderError, SignatureError
from test_psp.testing import RunningPsp, WebhookReceiver, free_port, running_test_psp


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def psp(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[RunningPsp]:
    with running_test_psp(tmp_path_factory.mktemp("psp"), webhook_url=receiver.url) as p:
        yield p


@pytest.fixture()
def provider(psp: RunningPsp) -> TestGatewayProvider:
    return TestGatewayProvider(psp.settings())


def create(provider: PaymentProvider, token: str, key: str, **kw: Any) -> payment_provider.ProviderIntent:
    args: dict[str, Any] = {
        "amount": 2000,
        "currency": "USD",
        "payment_method_token": token,
        "idempotency_key": key,
        "metadata": {"orderId": "ord_" + key},
        "return_url": None,
        "capture_method": "automatic",
    } | kw
    return provider.create_intent(payment_provider.IntentRequest(**args))


def test_describes_itself_as_the_test_gateway(provider: TestGatewayProvider) -> None:
    assert provider.id == "test" and provider.currencies == frozenset()
    assert provider.capabilities == {"three_ds", "refunds", "manual_capture"}
    assert "sk_test" not in repr(provider)


def test_charges_map_onto_our_states(provider: TestGatewayProvider) -> None:
    ok = create(provider, "tok_visa", "a1")
    assert (ok.status, ok.amount, ok.currency, ok.next_action) == (intent_states.SUCCEEDED, 2000, "USD", None)
    assert ok.reference.startswith("ch_") and ok.client_secret
    action = create(provider, "tok_threeDSecureRequired", "a2", return_url="https://shop.example/back")
    assert action.status == intent_states.REQUIRES_ACTION and action.next_action is not None
    assert action.next_action.type == "three_ds" and "/3ds/" in action.next_action.url
    declined = create(provider, "tok_chargeDeclined", "a3")
    assert declined.status == intent_states.FAILED
    assert (declined.failure_code, declined.failure_message) == (
        "insufficient_funds",
        "Your card has insufficient funds.",
    )
    assert provider.retrieve(ok.reference) == ok


def test_off_session_a_3ds_card_is_declined_as_authentication_required(provider: TestGatewayProvider) -> None:
    """Nobody is there to authenticate a renewal charge: the gateway declines instead of asking."""
    ok = create(provider, "tok_visa", "o1", off_session=True)
    assert ok.status == intent_states.SUCCEEDED
    auth = create(provider, "tok_threeDSecureRequired", "o2", off_session=True)
    assert (auth.status, auth.failure_code, auth.next_action) == (
        intent_states.FAILED,
        "authentication_required",
        None,
    )
    assert auth.failure_message and provider.retrieve(auth.reference) == auth
    declined = create(provider, "tok_chargeDeclined", "o3", off_session=True)
    assert (declined.status, declined.failure_code) == (intent_states.FAILED, "insufficient_funds")
    # the same key replays the first answer: no second charge
    assert create(provider, "tok_visa", "o1", off_session=True) == ok


def test_manual_capture_and_cancel(provider: TestGatewayProvider) -> None:
    held = create(provider, "tok_visa", "m1", capture_method="manual")
    assert held.status == intent_states.REQUIRES_CAPTURE
    assert provider.capture(held.reference, idempotency_key="m1-capture").status == intent_states.SUCCEEDED
    other = create(provider, "tok_visa", "m2", capture_method="manual")
    assert provider.cancel(other.reference, idempotency_key="m2-cancel").status == intent_states.CANCELED
    with pytest.raises(ProviderError) as err:
        provider.capture(other.reference, idempotency_key="m2-capture")
    assert err.value.code == "charge_not_capturable" and not err.value.retryable


def test_same_key_same_charge(provider: TestGatewayProvider, psp: RunningPsp) -> None:
    first = create(provider, "tok_visa", "same-key")
    assert create(provider, "tok_visa", "same-key") == first
    with pytest.raises(ProviderError) as err:
        create(provider, "tok_visa", "same-key", amount=2001)
    assert err.value.code == "idempotency_key_in_use" and not err.value.retryable


def test_refunds_partial_full_and_over(provider: TestGatewayProvider) -> None:
    c = create(provider, "tok_visa", "r1")
    part = provider.refund(c.reference, amount=500, reason="requested_by_customer", idempotency_key="r1-a")
    assert (part.amount, part.status) == (500, "succeeded") and part.reference.startswith("re_")
    again = provider.refund(c.reference, amount=500, reason="requested_by_customer", idempotency_key="r1-a")
    assert again == part  # a retried refund is the same refund
    with pytest.raises(ProviderError) as err:
        provider.refund(c.reference, amount=1501, reason="requested_by_customer", idempotency_key="r1-b")
    assert err.value.code == "amount_too_large" and not err.value.retryable
    assert (
        provider.refund(c.reference, amount=1500, reason="duplicate", idempotency_key="r1-c").amount == 1500
    )


def test_refusals_are_not_retryable_and_outages_are(psp: RunningPsp) -> None:
    good = TestGatewayProvider(psp.settings())
    with pytest.raises(ProviderError) as err:
        create(good, "tok_nonexistent", "e1")
    assert err.value.code == "resource_missing" and not err.value.retryable
    wrong_key = TestGatewayProvider(SimpleNamespace(test_psp_url=psp.url, test_psp_api_key="sk_wrong"))
    with pytest.raises(ProviderError) as err:
        wrong_key.retrieve("ch_x")
    assert err.value.code == "invalid_api_key" and not err.value.retryable
    down = TestGatewayProvider(
        SimpleNamespace(test_psp_url=f"http://127.0.0.1:{free_port()}", test_psp_api_key="k")
    )
    with pytest.raises(ProviderError) as err:
        create(down, "tok_visa", "e2")
    assert err.value.retryable


def test_a_timeout_after_the_gateway_charged_is_retried_into_the_same_charge(
    provider: TestGatewayProvider, psp: RunningPsp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is lost after the charge was made; the retry carries the same key, so one charge."""
    real = requests.Session.request
    calls: list[str] = []

    def lossy(self: requests.Session, method: str, url: str, **kw: Any) -> requests.Response:
        response = real(self, method, url, **kw)
        calls.append(url)
        if len(calls) == 1:
            raise requests.ReadTimeout("answer lost")
        return response

    monkeypatch.setattr(requests.Session, "request", lossy)
    intent = create(provider, "tok_visa", "lost-answer", metadata={"marker": "lost-answer"})
    monkeypatch.undo()
    assert len(calls) == 2 and intent.status == intent_states.SUCCEEDED
    now = int(time.time())
    made = [
        c for c in provider.charges(created_from=now - 60, created_to=now + 60) if c.metadata.get("marker")
    ]
    assert [c.reference for c in made] == [intent.reference]


def test_charges_for_reconciliation_follow_the_pages(provider: TestGatewayProvider) -> None:
    start = int(time.time())
    time.sleep(1.05)
    made = [create(provider, "tok_visa", f"page-{start}-{i}", amount=100 + i).reference for i in range(5)]
    refunded = provider.refund(made[0], amount=40, reason="duplicate", idempotency_key=f"page-{start}-r")
    assert refunded.amount == 40
    provider.page_size = 2
    listed = provider.charges(created_from=start + 1, created_to=int(time.time()) + 1)
    assert [c.reference for c in listed] == made
    first = listed[0]
    assert (first.amount, first.currency, first.status, first.amount_refunded) == (
        100,
        "USD",
        intent_states.SUCCEEDED,
        40,
    )
    assert first.metadata == {"orderId": f"ord_page-{start}-0"} and first.created >= start + 1


# -- webhooks -----------------------------------------------------------------------------------


def signed(secret: str, event: dict[str, Any], at: int | None = None) -> tuple[dict[str, str], bytes]:
    body = json.dumps(event).encode()
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Test-Psp-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}, body


def event(kind: str, **charge: Any) -> dict[str, Any]:
    obj = {
        "id": "ch_1",
        "status": "succeeded",
        "amount": 1000,
        "currency": "USD",
        "amountRefunded": 0,
    } | charge
    return {"id": "evt_1", "type": kind, "created": 1700000000, "data": {"object": obj}}


def test_webhooks_translate_into_our_events(provider: TestGatewayProvider, psp: RunningPsp) -> None:
    cases = [
        (event("charge.succeeded"), payment_provider.WEBHOOK_PAYMENT_SUCCEEDED, None),
        (event("charge.refunded", amountRefunded=300), payment_provider.WEBHOOK_REFUNDED, 300),
        (
            event("charge.dispute.created", dispute={"amount": 1000}),
            payment_provider.WEBHOOK_DISPUTE_CREATED,
            1000,
        ),
        (event("charge.updated"), payment_provider.WEBHOOK_IGNORED, None),
    ]
    for e, kind, amount in cases:
        got = provider.parse_webhook(*signed(psp.webhook_secret, e))
        assert (got.event_id, got.kind, got.reference, got.amount) == ("evt_1", kind, "ch_1", amount)
        assert (got.raw_type, got.created) == (e["type"], 1700000000)
    failed = event(
        "charge.failed", status="failed", failureCode="insufficient_funds", failureMessage="No money."
    )
    got = provider.parse_webhook(*signed(psp.webhook_secret, failed))
    assert (got.kind, got.failure_code, got.failure_message) == (
        payment_provider.WEBHOOK_PAYMENT_FAILED,
        "insufficient_funds",
        "No money.",
    )
    headers, body = signed(psp.webhook_secret, event("charge.succeeded"))
    lower = {k.lower(): v for k, v in headers.items()}
    assert provider.parse_webhook(lower, body).kind == payment_provider.WEBHOOK_PAYMENT_SUCCEEDED


def test_unverifiable_webhooks_are_refused(provider: TestGatewayProvider, psp: RunningPsp) -> None:
    e = event("charge.succeeded")
    headers, body = signed(psp.webhook_secret, e)
    refusals: list[tuple[dict[str, str], bytes]] = [
        (signed("whsec_forged", e)[0], body),  # another secret
        (headers, body.replace(b"1000", b"1")),  # body changed after signing
        (signed(psp.webhook_secret, e, at=int(time.time()) - 301)[0], body),  # stale
        (signed(psp.webhook_secret, e, at=int(time.time()) + 301)[0], body),  # from the future
        ({}, body),  # no header
        ({"Test-Psp-Signature": "v1=abc"}, body),  # no timestamp
        ({"Test-Psp-Signature": headers["Test-Psp-Signature"].split(",")[0]}, body),  # no signature
    ]
    for h, b in refusals:
        with pytest.raises(SignatureError):
            provider.parse_webhook(h, b)
    recent = signed(psp.webhook_secret, e, at=int(time.time()) - 290)
    assert provider.parse_webhook(*recent).kind == payment_provider.WEBHOOK_PAYMENT_SUCCEEDED
    no_secret = TestGatewayProvider(SimpleNamespace(test_psp_url=psp.url, test_psp_api_key=psp.api_key))
    with pytest.raises(SignatureError):
        no_secret.parse_webhook(headers, body)
    junk = signed(psp.webhook_secret, {"not": "an event"})
    with pytest.raises(SignatureError):
        provider.parse_webhook(*junk)


def test_real_deliveries_parse_end_to_end(provider: TestGatewayProvider, receiver: WebhookReceiver) -> None:
    c = create(provider, "tok_threeDSecureRequired", "e2e")
    assert c.next_action is not None
    page = requests.get(c.next_action.url, timeout=5)
    assert "Complete authentication" in page.text
    sig = c.next_action.url.split("sig=")[1]
    requests.post(c.next_action.url.split("?")[0], data={"sig": sig, "result": "complete"}, timeout=5)
    [d] = receiver.wait_for(receiver.of_charge(c.reference))
    got = provider.parse_webhook(d.headers, d.body)
    assert (got.kind, got.reference, got.extra["status"]) == (
        payment_provider.WEBHOOK_PAYMENT_SUCCEEDED,
        c.reference,
        intent_states.SUCCEEDED,
    )
    assert provider.retrieve(c.reference).status == intent_states.SUCCEEDED
