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

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from stripe_mock_testing import RecordingClient

from payments.adapters.stripe import StripeProvider
from payments.domain.payment_provider import IntentRequest, PaymentProvider, ProviderError, ProviderIntent

pytestmark = pytest.mark.stripe_mock

OUR_STATES = {
    "requires_payment_method",
    "requires_action",
    "processing",
    "requires_capture",
    "succeeded",
    "failed",
    "canceled",
}


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


def test_a_saved_card_is_charged_off_session_with_its_customer(
    stripe_provider: StripeProvider, recorder: RecordingClient
) -> None:
    """Attach → off-session renewal, as real Stripe requires it: a Customer, the PaymentMethod
    attached to it, and the charge naming both with `off_session` and `confirm`."""
    customer = stripe_provider.create_customer(
        customer_id="cus_01JOURS", idempotency_key="cus_01JOURS:customer"
    )
    assert customer.startswith("cus_")
    card = stripe_provider.attach_method(
        customer_reference=customer, token="pm_card_visa", idempotency_key="attach:k1"
    )
    assert card.reference.startswith("pm_") and card.last4 and card.brand and 1 <= card.exp_month <= 12
    intent = create(
        stripe_provider,
        off_session=True,
        customer_reference=customer,
        saved_method=True,
        payment_method_token=card.reference,
    )
    assert_intent(intent)
    made, attached, charged = recorder.sent
    assert made["url"].endswith("/v1/customers") and made["form"]["metadata[customerId]"] == "cus_01JOURS"
    assert attached["url"].endswith("/v1/payment_methods/pm_card_visa/attach")
    assert attached["form"]["customer"] == customer and attached["headers"]["Idempotency-Key"] == "attach:k1"
    form = charged["form"]
    assert (form["customer"], form["payment_method"], form["off_session"], form["confirm"]) == (
        customer,
        card.reference,
        "true",
        "true",
    )
    assert "return_url" not in form
    stripe_provider.detach_method(card.reference, idempotency_key="pm:detach")
    assert recorder.sent[-1]["url"].endswith(f"/v1/payment_methods/{card.reference}/detach")


def test_a_legacy_card_token_becomes_a_payment_method_before_it_is_attached(
    stripe_provider: StripeProvider, recorder: RecordingClient
) -> None:
    stripe_provider.attach_method(customer_reference="cus_123", token="tok_visa", idempotency_key="attach:k2")
    created, attached = recorder.sent
    assert created["url"].endswith("/v1/payment_methods") and created["form"]["card[token]"] == "tok_visa"
    assert created["headers"]["Idempotency-Key"] == "attach:k2:method"
    assert "/attach" in attached["url"] and attached["form"]["customer"] == "cus_123"


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


def test_a_setup_intent_is_confirmed_for_off_session_use_with_the_customer(
    stripe_provider: StripeProvider, recorder: RecordingClient
) -> None:
    setup = stripe_provider.create_setup(
        customer_reference="cus_123",
        token="pm_card_visa",
        return_url="https://shop.example/back",
        idempotency_key="setup:k1",
    )
    assert setup.reference.startswith("seti_") and setup.status in {
        "requires_action",
        "processing",
        "succeeded",
        "failed",
    }
    (sent,) = recorder.sent
    form = sent["form"]
    assert sent["url"].endswith("/v1/setup_intents") and sent["headers"]["Idempotency-Key"] == "setup:k1"
    assert (form["customer"], form["payment_method"], form["confirm"], form["usage"]) == (
        "cus_123",
        "pm_card_visa",
        "true",
        "off_session",
    )
    assert form["return_url"] == "https://shop.example/back"
    again = stripe_provider.retrieve_setup(setup.reference)
    assert again.reference == setup.reference and recorder.sent[-1]["method"] == "get"
