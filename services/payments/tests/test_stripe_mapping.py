"""The Stripe adapter's translation, without stripe-mock: the SDK talks to a canned HTTP client that
answers what real Stripe answers in cases stripe-mock cannot produce (declines, 3DS next actions,
rate limits, 5xx, idempotency conflicts), and records what the adapter sent."""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from payments.adapters.stripe import StripeProvider
from payments.domain.intent_states import (
    CANCELED,
    FAILED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_CAPTURE,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
)
from payments.domain.payment_provider import IntentRequest, NextAction, ProviderError

API_KEY = "sk_test_canned0123456789"


class CannedClient(stripe.HTTPClient):
    """Answers each request with the next canned (status, body); records method, path, form, headers."""

    name = "canned"

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        parts = urlsplit(url)
        form = parse_qs(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
        self.requests.append(
            {
                "method": method,
                "path": parts.path,
                "query": parse_qs(parts.query),
                "form": {k: v[0] for k, v in form.items()},
                "headers": dict(headers or {}),
            }
        )
        status, body = self.answers.pop(0)
        return json.dumps(body), status, {"request-id": "req_canned"}

    def close(self) -> None:
        pass


def provider(client: CannedClient, retries: int = 0) -> StripeProvider:
    settings = SimpleNamespace(
        stripe_api_key=API_KEY,
        stripe_api_base="http://stripe.invalid",
        stripe_max_network_retries=retries,
    )
    return StripeProvider(settings, http_client=client)


def pi(**fields: Any) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 1999,
        "currency": "usd",
        "status": "succeeded",
        "client_secret": "pi_1_secret_abc",
        "payment_method": {"id": "pm_1", "object": "payment_method", "type": "card"},
        "metadata": {"orderId": "ord_1"},
        **fields,
    }


def create(p: StripeProvider, **over: Any):
    kw: dict[str, Any] = {
        "amount": 1999,
        "currency": "USD",
        "payment_method_token": "pm_card_visa",
        "idempotency_key": "pay_pi_abc:create",
        "metadata": {"orderId": "ord_1"},
        "return_url": None,
        "capture_method": "automatic",
    }
    kw.update(over)
    return p.create_intent(IntentRequest(**kw))


def test_create_sends_the_intent_confirmed_with_our_key_and_metadata() -> None:
    client = CannedClient((200, pi()))
    intent = create(provider(client), capture_method="manual", return_url="https://shop.example/back")
    (req,) = client.requests
    assert (req["method"], req["path"]) == ("post", "/v1/payment_intents")
    assert req["headers"]["Idempotency-Key"] == "pay_pi_abc:create"
    assert req["headers"]["Authorization"] == f"Bearer {API_KEY}"
    form = req["form"]
    assert form["amount"] == "1999"
    assert form["currency"] == "usd"
    assert form["payment_method"] == "pm_card_visa"
    assert form["confirm"] == "true"
    assert form["capture_method"] == "manual"
    assert form["return_url"] == "https://shop.example/back"
    assert form["metadata[orderId]"] == "ord_1"
    assert "automatic_payment_methods[enabled]" not in form
    assert (intent.reference, intent.status, intent.amount, intent.currency) == (
        "pi_1",
        SUCCEEDED,
        1999,
        "USD",
    )
    assert intent.client_secret == "pi_1_secret_abc"


def test_create_without_return_url_offers_no_redirecting_methods() -> None:
    """Stripe refuses to confirm without a return_url when a method might redirect."""
    client = CannedClient((200, pi()))
    create(provider(client))
    form = client.requests[0]["form"]
    assert form["automatic_payment_methods[enabled]"] == "true"
    assert form["automatic_payment_methods[allow_redirects]"] == "never"
    assert form["capture_method"] == "automatic_async"
    assert "return_url" not in form


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [
        ("requires_payment_method", REQUIRES_PAYMENT_METHOD),
        ("requires_confirmation", REQUIRES_PAYMENT_METHOD),
        ("requires_action", REQUIRES_ACTION),
        ("processing", PROCESSING),
        ("requires_capture", REQUIRES_CAPTURE),
        ("succeeded", SUCCEEDED),
        ("canceled", CANCELED),
        ("some_future_status", PROCESSING),
    ],
)
def test_statuses(stripe_status: str, ours: str) -> None:
    client = CannedClient((200, pi(status=stripe_status)))
    assert provider(client).retrieve("pi_1").status == ours


def test_a_failed_confirmation_left_in_requires_payment_method_is_failed() -> None:
    error = {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "do_not_honor",
        "message": "Declined.",
    }
    client = CannedClient((200, pi(status="requires_payment_method", last_payment_error=error)))
    intent = provider(client).retrieve("pi_1")
    assert (intent.status, intent.failure_code, intent.failure_message) == (
        FAILED,
        "do_not_honor",
        "Declined.",
    )


def test_a_decline_on_create_is_a_failed_intent_not_an_error() -> None:
    body = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_intent": pi(id="pi_declined", status="requires_payment_method"),
        }
    }
    intent = create(provider(CannedClient((402, body))))
    assert intent.status == FAILED
    assert intent.reference == "pi_declined"
    assert intent.failure_code == "insufficient_funds"
    assert intent.failure_message == "Your card has insufficient funds."
    assert (intent.amount, intent.currency) == (1999, "USD")


def test_an_off_session_create_tells_stripe_and_never_sends_a_return_url() -> None:
    client = CannedClient((200, pi()))
    intent = create(
        provider(client),
        off_session=True,
        return_url="https://shop.example/back",
        customer_reference="cus_Stripe1",
        saved_method=True,
    )
    form = client.requests[0]["form"]
    assert (form["off_session"], form["confirm"], form["customer"]) == ("true", "true", "cus_Stripe1")
    assert "return_url" not in form and form["automatic_payment_methods[allow_redirects]"] == "never"
    assert intent.status == SUCCEEDED
    on_session = CannedClient((200, pi()))
    create(provider(on_session))
    assert "off_session" not in on_session.requests[0]["form"]


def test_an_off_session_create_without_the_customer_is_refused_before_stripe_hears_of_it() -> None:
    """Real Stripe refuses to charge a saved method off-session without its Customer (stripe-mock
    does not): the adapter never sends such a call."""
    client = CannedClient((200, pi()))
    with pytest.raises(ProviderError) as info:
        create(provider(client), off_session=True)
    assert (info.value.retryable, info.value.code, client.requests) == (False, "customer_required", [])


def test_an_off_session_card_that_needs_authentication_is_a_failed_intent() -> None:
    """What Stripe answers off-session for a card that asks for 3DS: a card error, not an action."""
    body = {
        "error": {
            "type": "card_error",
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "message": "Your card was declined. This transaction requires authentication.",
            "payment_intent": pi(id="pi_auth", status="requires_payment_method"),
        }
    }
    intent = create(provider(CannedClient((402, body))), off_session=True, customer_reference="cus_Stripe1")
    assert (intent.status, intent.failure_code, intent.reference) == (
        FAILED,
        "authentication_required",
        "pi_auth",
    )


def test_a_decline_without_decline_code_keeps_stripes_code() -> None:
    body = {"error": {"type": "card_error", "code": "expired_card", "message": "Your card has expired."}}
    intent = create(provider(CannedClient((402, body))), amount=500, currency="EUR")
    assert (intent.status, intent.failure_code, intent.reference) == (FAILED, "expired_card", "")
    assert (intent.amount, intent.currency) == (500, "EUR")


def test_3ds_redirect_of_a_card_is_three_ds() -> None:
    action = {"type": "redirect_to_url", "redirect_to_url": {"url": "https://hooks.stripe.com/3ds/x"}}
    intent = provider(CannedClient((200, pi(status="requires_action", next_action=action)))).retrieve("pi_1")
    assert intent.status == REQUIRES_ACTION
    assert intent.next_action == NextAction(type="three_ds", url="https://hooks.stripe.com/3ds/x")


def test_redirect_of_another_method_is_redirect() -> None:
    action = {"type": "redirect_to_url", "redirect_to_url": {"url": "https://bank.example/ideal"}}
    answer = pi(status="requires_action", next_action=action, payment_method={"id": "pm_2", "type": "ideal"})
    intent = provider(CannedClient((200, answer))).retrieve("pi_1")
    assert intent.next_action == NextAction(type="redirect", url="https://bank.example/ideal")


def test_use_stripe_sdk_is_three_ds_completed_with_the_client_secret() -> None:
    action = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "stripe_3ds2_fingerprint"}}
    intent = provider(CannedClient((200, pi(status="requires_action", next_action=action)))).retrieve("pi_1")
    assert intent.next_action == NextAction(type="three_ds", url="")
    assert intent.client_secret == "pi_1_secret_abc"


def test_next_action_only_while_action_is_required() -> None:
    action = {"type": "redirect_to_url", "redirect_to_url": {"url": "https://x.example"}}
    assert provider(CannedClient((200, pi(next_action=action)))).retrieve("pi_1").next_action is None


def test_isk_and_mga_are_converted_to_stripes_minor_units() -> None:
    client = CannedClient((200, pi(amount=50000, currency="isk")), (200, pi(amount=10, currency="mga")))
    p = provider(client)
    isk = create(p, amount=500, currency="ISK")
    mga = create(p, amount=1000, currency="MGA")
    assert [r["form"]["amount"] for r in client.requests] == ["50000", "10"]
    assert (isk.amount, isk.currency, mga.amount, mga.currency) == (500, "ISK", 1000, "MGA")


def test_an_amount_stripe_cannot_express_is_refused_before_any_call() -> None:
    client = CannedClient()
    with pytest.raises(ProviderError) as info:
        create(provider(client), amount=1050, currency="MGA")
    assert (info.value.retryable, info.value.code) == (False, "amount_not_representable")
    assert client.requests == []


def test_capture_and_cancel_carry_their_own_keys() -> None:
    client = CannedClient((200, pi(status="requires_capture")), (200, pi(status="canceled")))
    p = provider(client)
    assert p.capture("pi_1", idempotency_key="k-capture").status == REQUIRES_CAPTURE
    assert p.cancel("pi_1", idempotency_key="k-cancel").status == CANCELED
    assert [(r["path"], r["headers"]["Idempotency-Key"]) for r in client.requests] == [
        ("/v1/payment_intents/pi_1/capture", "k-capture"),
        ("/v1/payment_intents/pi_1/cancel", "k-cancel"),
    ]


@pytest.mark.parametrize(
    ("reason", "stripe_reason"),
    [
        ("requested_by_customer", "requested_by_customer"),
        ("Requested by customer", "requested_by_customer"),
        ("duplicate", "duplicate"),
        ("fraud", "fraudulent"),
        ("goodwill gesture", None),
    ],
)
def test_refund_reason_is_mapped_where_stripe_has_one(reason: str, stripe_reason: str | None) -> None:
    refund = {"id": "re_1", "object": "refund", "amount": 700, "currency": "usd", "status": "succeeded"}
    client = CannedClient((200, pi()), (200, refund))
    r = provider(client).refund("pi_1", amount=700, reason=reason, idempotency_key="k-refund")
    form = client.requests[1]["form"]
    assert (r.reference, r.amount, r.status) == ("re_1", 700, "succeeded")
    assert form["payment_intent"] == "pi_1"
    assert form["amount"] == "700"
    assert form.get("reason") == stripe_reason
    assert form["metadata[reason]"] == reason
    assert client.requests[1]["headers"]["Idempotency-Key"] == "k-refund"


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [("pending", "pending"), ("requires_action", "pending"), ("failed", "failed"), ("canceled", "failed")],
)
def test_refund_statuses(stripe_status: str, ours: str) -> None:
    refund = {"id": "re_1", "object": "refund", "amount": 5, "currency": "usd", "status": stripe_status}
    assert (
        provider(CannedClient((200, pi()), (200, refund)))
        .refund("pi_1", amount=5, reason="x", idempotency_key="k")
        .status
        == ours
    )


def err(type_: str, code: str | None = None, message: str = "boom") -> dict[str, Any]:
    return {"error": {"type": type_, "code": code, "message": message}}


@pytest.mark.parametrize(
    ("status", "body", "retryable", "code"),
    [
        (400, err("invalid_request_error", "parameter_invalid_integer"), False, "parameter_invalid_integer"),
        (404, err("invalid_request_error", "resource_missing"), False, "resource_missing"),
        (400, err("idempotency_error"), False, "idempotency_error"),
        (402, err("card_error", "card_declined"), False, "card_declined"),
        (409, err("invalid_request_error", "idempotency_key_in_use"), True, "idempotency_key_in_use"),
        (429, err("invalid_request_error", "rate_limit"), True, "rate_limit"),
        (500, err("api_error"), True, "api_error"),
        (503, {"error": {"message": "unavailable"}}, True, None),
    ],
)
def test_errors_say_whether_a_retry_can_help(
    status: int, body: dict[str, Any], retryable: bool, code: str | None
) -> None:
    with pytest.raises(ProviderError) as info:
        provider(CannedClient((status, body))).capture("pi_1", idempotency_key="k")
    assert info.value.retryable is retryable
    assert info.value.code == code


def test_a_refused_key_is_never_repeated_in_the_error() -> None:
    body = err("invalid_request_error", message=f"Invalid API Key provided: {API_KEY}")
    with pytest.raises(ProviderError) as info:
        provider(CannedClient((401, body))).retrieve("pi_1")
    assert (info.value.retryable, info.value.code) == (False, "authentication_error")
    assert API_KEY not in "".join(traceback.format_exception(info.value))  # as a logged traceback


def test_an_unreachable_stripe_is_retryable() -> None:
    p = StripeProvider(
        SimpleNamespace(
            stripe_api_key=API_KEY, stripe_api_base="http://127.0.0.1:9", stripe_max_network_retries=0
        )
    )
    with pytest.raises(ProviderError) as info:
        p.retrieve("pi_1")
    assert (info.value.retryable, info.value.code) == (True, "api_connection_error")


def test_the_sdks_retry_after_a_5xx_reuses_our_key_so_it_cannot_charge_twice() -> None:
    client = CannedClient((500, err("api_error")), (200, pi()))
    intent = create(provider(client, retries=1))
    assert intent.status == SUCCEEDED
    assert [r["headers"]["Idempotency-Key"] for r in client.requests] == ["pay_pi_abc:create"] * 2


def test_unconfigured_stripe_refuses_calls_without_contacting_anyone() -> None:
    p = StripeProvider(SimpleNamespace(stripe_api_key="", stripe_webhook_secret=""))
    with pytest.raises(ProviderError) as info:
        create(p)
    assert (info.value.retryable, info.value.code) == (False, "not_configured")
    assert "configured=False" in repr(p)


def test_reconciliation_lists_intents_of_the_window_across_pages() -> None:
    charge = {"id": "ch_1", "object": "charge", "amount_refunded": 300}
    page1 = {
        "object": "list",
        "url": "/v1/payment_intents",
        "has_more": True,
        "data": [pi(id="pi_a", created=100, latest_charge=charge)],
    }
    page2 = {
        "object": "list",
        "url": "/v1/payment_intents",
        "has_more": False,
        "data": [pi(id="pi_b", created=150, status="requires_capture", latest_charge=None, metadata={})],
    }
    client = CannedClient((200, page1), (200, page2))
    got = provider(client).charges(created_from=100, created_to=200)
    assert [(c.reference, c.status, c.amount_refunded, c.metadata, c.created) for c in got] == [
        ("pi_a", SUCCEEDED, 300, {"orderId": "ord_1"}, 100),
        ("pi_b", REQUIRES_CAPTURE, 0, {}, 150),
    ]
    first, second = client.requests
    assert first["query"]["created[gte]"] == ["100"]
    assert first["query"]["created[lt]"] == ["200"]
    assert first["query"]["expand[0]"] == ["data.latest_charge"]
    assert second["query"]["starting_after"] == ["pi_a"]
