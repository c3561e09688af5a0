"""The Stripe adapter against stripe-mock, Stripe's mock built from its OpenAPI spec.

stripe-mock validates every request against the spec (unknown parameters, enum values, types) and
answers with the real response shapes, so these tests prove that what the adapter sends is what the
API accepts and that it reads what the API returns. It is stateless: its objects are fixtures with
some request values echoed, it does not replay by idempotency key, and it never declines. Declines,
3DS and retry behaviour are therefore covered with canned answers in test_stripe_mapping.py; here
the idempotency key is checked on the wire by a recording HTTP client.

The session fixture starts stripe-mock through deploy/local/stripe-mock.sh on its own test ports
(`TEST_STRIPE_MOCK_PORT`, default 12211), or uses `STRIPE_MOCK_URL` when set.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from payments.adapters.stripe import StripeProvider
from payments.domain.payment_provider import IntentRequest, PaymentProvider, ProviderError, ProviderIntent

pytestmark = pytest.mark.stripe_mock

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy/local/stripe-mock.sh"
TEST_PORT = int(os.environ.get("TEST_STRIPE_MOCK_PORT", "12211"))
OUR_STATES = {
    "requires_payment_method",
    "requires_action",
    "processing",
    "requires_capture",
    "succeeded",
    "failed",
    "canceled",
}


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "STRIPE_MOCK_PORT": str(TEST_PORT),
        "STRIPE_MOCK_HTTPS_PORT": str(TEST_PORT + 1),
        "STRIPE_MOCK_DIR": str(ROOT / "var/test-stripe-mock"),
    }
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def stripe_mock_url() -> Iterator[str]:
    given = os.environ.get("STRIPE_MOCK_URL")
    if given:
        yield given.rstrip("/")
        return
    started = _script("status").returncode != 0
    if started:
        res = _script("start")
        if res.returncode != 0:
            pytest.fail(
                f"deploy/local/stripe-mock.sh start failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
            )
    yield f"http://127.0.0.1:{TEST_PORT}"
    if started:
        _script("stop")


class RecordingClient(stripe.HTTPClient):
    """The SDK's own requests-based client underneath, keeping each request's method, URL, headers
    and form."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.inner = stripe.RequestsClient(timeout=10)
        self.sent: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        form = parse_qs(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
        self.sent.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "form": {k: v[0] for k, v in form.items()},
            }
        )
        content, status, response_headers = self.inner.request(method, url, headers, post_data)
        return content.decode(), status, response_headers

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def recorder() -> RecordingClient:
    return RecordingClient()


@pytest.fixture
def stripe_provider(stripe_mock_url: str, recorder: RecordingClient) -> StripeProvider:
    settings = SimpleNamespace(
        stripe_api_key="sk_test_123",
        stripe_webhook_secret="whsec_test",
        stripe_api_base=stripe_mock_url,
        stripe_max_network_retries=0,
    )
    return StripeProvider(settings, http_client=recorder)


def create(p: StripeProvider, **over: Any) -> ProviderIntent:
    kw: dict[str, Any] = {
        "amount": 4200,
        "currency": "EUR",
        "payment_method_token": "pm_card_visa",
        "idempotency_key": "pay_pi_0001:create",
        "metadata": {"orderId": "ord_0001", "intentId": "pay_pi_0001"},
        "return_url": None,
        "capture_method": "automatic",
    }
    kw.update(over)
    return p.create_intent(IntentRequest(**kw))


def assert_intent(intent: ProviderIntent) -> None:
    assert intent.reference.startswith("pi_")
    assert intent.status in OUR_STATES
    assert intent.client_secret


def test_it_implements_the_provider_interface(stripe_provider: StripeProvider) -> None:
    p: PaymentProvider = stripe_provider
    assert p.id == "stripe"
    assert p.capabilities == {"three_ds", "redirect", "refunds", "manual_capture"}
    assert p.currencies == frozenset()


def test_create_and_confirm_with_a_test_card(
    stripe_provider: StripeProvider, recorder: RecordingClient
) -> None:
    intent = create(stripe_provider)
    assert_intent(intent)
    assert (intent.amount, intent.currency) == (4200, "EUR")
    (sent,) = recorder.sent
    assert sent["url"].endswith("/v1/payment_intents")
    assert sent["form"]["payment_method"] == "pm_card_visa"
    assert sent["form"]["confirm"] == "true"
    assert sent["form"]["currency"] == "eur"
    assert sent["form"]["metadata[orderId]"] == "ord_0001"


def test_create_with_a_return_url_and_manual_capture(
    stripe_provider: StripeProvider, recorder: RecordingClient
) -> None:
    intent = create(
        stripe_provider, capture_method="manual", return_url="https://shop.example/done", currency="JPY"
    )
    assert_intent(intent)
    assert (intent.amount, intent.currency) == (4200, "JPY")
    assert recorder.sent[0]["form"]["capture_method"] == "manual"
    assert recorder.sent[0]["form"]["return_url"] == "https://shop.example/done"


def test_create_off_session(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    """stripe-mock accepts an off-session confirmation (a renewal charge with a saved method)."""
    intent = create(stripe_provider, off_session=True)
    assert_intent(intent)
    form = recorder.sent[0]["form"]
    assert (form["off_session"], form["confirm"]) == ("true", "true") and "return_url" not in form


def test_idempotency_key_is_sent_as_given(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    """stripe-mock does not replay by key (each create is a new id), so the key is checked on the wire:
    the same key twice goes out twice unchanged, which is what makes real Stripe replay the first."""
    create(stripe_provider, idempotency_key="pay_pi_0042:create")
    create(stripe_provider, idempotency_key="pay_pi_0042:create")
    assert [s["headers"]["Idempotency-Key"] for s in recorder.sent] == ["pay_pi_0042:create"] * 2


def test_retrieve(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    intent = stripe_provider.retrieve("pi_3RetrieveMe")
    assert_intent(intent)
    assert intent.reference == "pi_3RetrieveMe"
    assert recorder.sent[0]["method"] == "get"
    assert "Idempotency-Key" not in recorder.sent[0]["headers"]


def test_manual_capture(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    created = create(stripe_provider, capture_method="manual")
    captured = stripe_provider.capture(created.reference, idempotency_key="pay_pi_0001:capture")
    assert_intent(captured)
    assert captured.reference == created.reference
    assert recorder.sent[1]["url"].endswith(f"/v1/payment_intents/{created.reference}/capture")
    assert recorder.sent[1]["headers"]["Idempotency-Key"] == "pay_pi_0001:capture"


def test_cancel(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    canceled = stripe_provider.cancel("pi_3CancelMe", idempotency_key="pay_pi_0001:cancel")
    assert_intent(canceled)
    assert canceled.reference == "pi_3CancelMe"
    assert recorder.sent[0]["url"].endswith("/v1/payment_intents/pi_3CancelMe/cancel")
    assert recorder.sent[0]["headers"]["Idempotency-Key"] == "pay_pi_0001:cancel"


@pytest.mark.parametrize("reason", ["requested_by_customer", "fraud", "duplicate", "a goodwill gesture"])
def test_refund(stripe_provider: StripeProvider, recorder: RecordingClient, reason: str) -> None:
    refund = stripe_provider.refund("pi_3RefundMe", amount=1500, reason=reason, idempotency_key="pay_re_1")
    assert refund.reference.startswith("re_")
    assert refund.amount == 1500
    assert refund.status in {"succeeded", "pending", "failed"}
    post = recorder.sent[-1]
    assert post["url"].endswith("/v1/refunds")
    assert post["form"]["payment_intent"] == "pi_3RefundMe"
    assert post["headers"]["Idempotency-Key"] == "pay_re_1"


def test_reconciliation_list(stripe_provider: StripeProvider, recorder: RecordingClient) -> None:
    charges = stripe_provider.charges(created_from=1_700_000_000, created_to=1_700_086_400)
    assert charges
    for c in charges:
        assert c.reference.startswith("pi_")
        assert c.status in OUR_STATES
        assert c.amount > 0 and c.currency.isupper()
    query = parse_qs(urlsplit(recorder.sent[0]["url"]).query)
    assert (query["created[gte]"], query["created[lt]"]) == (["1700000000"], ["1700086400"])


def test_a_request_stripe_refuses_is_not_retryable(stripe_provider: StripeProvider) -> None:
    with pytest.raises(ProviderError) as info:
        create(stripe_provider, amount=2**70)  # not an integer Stripe can take
    assert info.value.retryable is False
    assert info.value.code == "invalid_request_error"


def test_an_unknown_path_is_not_retryable(stripe_provider: StripeProvider) -> None:
    with pytest.raises(ProviderError) as info:
        stripe_provider.retrieve("")
    assert info.value.retryable is False


def test_a_refused_api_key_is_reported_without_echoing_it(stripe_mock_url: str) -> None:
    key = "sk_test_not_a_valid_looking_key"  # stripe-mock refuses keys with more underscores
    p = StripeProvider(SimpleNamespace(stripe_api_key=key, stripe_api_base=stripe_mock_url))
    with pytest.raises(ProviderError) as info:
        p.retrieve("pi_1")
    assert (info.value.retryable, info.value.code) == (False, "authentication_error")
    assert key not in str(info.value)
