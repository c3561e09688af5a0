"""The Stripe adapter: PaymentIntents, refunds and signed webhooks through the official `stripe` SDK.

Why it is built this way:
- One `stripe.StripeClient` per provider, never the module-global `stripe.api_key`: the key lives
  in this object only, and `STRIPE_API_BASE` points every call at stripe-mock in tests.
- Every POST carries the idempotency key payments derived from its own ids. A call retried by us or
  by the SDK's own network retries replays Stripe's first answer instead of charging again.
- A declined card is an answer, not an error: `create_intent` returns a `failed` intent with
  Stripe's decline code and its customer-safe message; only calls that did not happen (network,
  rate limit, 5xx) or can never succeed (bad request, bad key) raise `ProviderError`.
- Our amounts are ISO 4217 minor units; Stripe's differ for two currencies (ISK is two-decimal for
  backwards compatibility, MGA is zero-decimal) and are converted both ways here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import stripe

from payments.domain import intent_states, payment_provider, refunds

if TYPE_CHECKING:
    from stripe.params import (
        CustomerCreateParams,
        PaymentIntentCreateParams,
        PaymentIntentListParams,
        PaymentIntentRetrieveParams,
        PaymentMethodAttachParams,
        PaymentMethodCreateParams,
        RefundCreateParams,
        SetupIntentCreateParams,
        SetupIntentRetrieveParams,
    )

SIGNATURE_HEADER = "stripe-signature"
WEBHOOK_TOLERANCE_SECONDS = 300
DEFAULT_API_BASE = "https://api.stripe.com"
TIMEOUT = (5.0, 30.0)  # connect, read: a stuck call must end well before payments calls it stale (60 s)
NETWORK_RETRIES = 2  # the SDK's own retries of network errors, 409 and 5xx, with the same idempotency key
# Reconciliation of one window reads at most this many intents: a larger window is refused rather than
# compared half-read (a partial list would report the rest as "missing at the provider").
MAX_RECONCILIATION_INTENTS = 10_000
METADATA_VALUE_MAX = 500  # Stripe's limit for one metadata value

# Stripe's minor unit = ours × 10**shift, for the currencies where Stripe's exponent is not ISO 4217's.
_EXPONENT_SHIFT = {"ISK": 2, "MGA": -2}

_STATUSES = {
    "requires_payment_method": intent_states.REQUIRES_PAYMENT_METHOD,
    # we always confirm on create, so an unconfirmed intent still needs (another) payment method
    "requires_confirmation": intent_states.REQUIRES_PAYMENT_METHOD,
    "requires_action": intent_states.REQUIRES_ACTION,
    "processing": intent_states.PROCESSING,
    "requires_capture": intent_states.REQUIRES_CAPTURE,
    "succeeded": intent_states.SUCCEEDED,
    "canceled": intent_states.CANCELED,
}

_REFUND_STATUSES = {
    "succeeded": refunds.SUCCEEDED,
    "pending": refunds.PENDING,
    "requires_action": refunds.PENDING,
    "failed": refunds.FAILED,
    "canceled": refunds.FAILED,
}

RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]
# our free-text reason, normalised (lower case, "_" for spaces and dashes) -> Stripe's enum
_REFUND_REASONS: dict[str, RefundReason] = {
    "duplicate": "duplicate",
    "duplicate_charge": "duplicate",
    "fraud": "fraudulent",
    "fraudulent": "fraudulent",
    "requested_by_customer": "requested_by_customer",
    "customer_request": "requested_by_customer",
    "customer_requested": "requested_by_customer",
    "requested": "requested_by_customer",
}

_EVENTS = {
    "payment_intent.succeeded": payment_provider.WEBHOOK_PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": payment_provider.WEBHOOK_PAYMENT_FAILED,
    "charge.refunded": payment_provider.WEBHOOK_REFUNDED,
    "charge.dispute.created": payment_provider.WEBHOOK_DISPUTE_CREATED,
}


def to_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units -> Stripe's; an amount Stripe cannot express exactly is refused, never rounded."""
    shift = _EXPONENT_SHIFT.get(currency.upper(), 0)
    if shift >= 0:
        return amount * 10**shift
    unit = 10**-shift
    if amount % unit:
        raise payment_provider.ProviderError(
            f"Stripe charges {currency.upper()} in whole units: {amount} minor units is not one",
            retryable=False,
            code="amount_not_representable",
        )
    return amount // unit


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's minor units -> ours (exact: Stripe enforces ISK amounts divisible by 100)."""
    shift = _EXPONENT_SHIFT.get(currency.upper(), 0)
    return amount // 10**shift if shift >= 0 else amount * 10**-shift


def _failure(error: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(code, customer-safe message) of a Stripe error object: the decline code says more than
    `card_declined` (e.g. `insufficient_funds`), so it wins when present."""
    if not error:
        return None, None
    code = error.get("decline_code") or error.get("code")
    message = error.get("message")
    return (str(code) if code else None), (str(message) if message else None)


def _is_card(pi: dict[str, Any]) -> bool:
    """Whether the intent's payment method is a card: a card's redirect is a 3DS challenge."""
    pm = pi.get("payment_method")
    if isinstance(pm, dict):
        return pm.get("type") == "card"
    return pi.get("payment_method_types") == ["card"]


def _next_action(pi: dict[str, Any]) -> payment_provider.NextAction | None:
    action = pi.get("next_action") or {}
    kind = action.get("type")
    if kind == "redirect_to_url":
        url = (action.get("redirect_to_url") or {}).get("url")
        if url:
            return payment_provider.NextAction(type="three_ds" if _is_card(pi) else "redirect", url=str(url))
    elif kind == "use_stripe_sdk":
        # 3DS that Stripe.js completes in the page (confirmed without a return_url): the client
        # calls stripe.handleNextAction(clientSecret); a legacy 3DS1 flow still has a page to open.
        url = (action.get("use_stripe_sdk") or {}).get("stripe_js")
        return payment_provider.NextAction(type="three_ds", url=str(url) if isinstance(url, str) else "")
    return None


def _intent(pi: dict[str, Any]) -> payment_provider.ProviderIntent:
    """One Stripe PaymentIntent in our vocabulary. Stripe has no `failed` state: a confirmation that
    failed (decline, failed 3DS) leaves the intent in `requires_payment_method` with a
    `last_payment_error` naming why, and that is our `failed`."""
    status = _STATUSES.get(str(pi.get("status")), intent_states.PROCESSING)
    error = pi.get("last_payment_error")
    code, message = None, None
    if (
        status == intent_states.REQUIRES_PAYMENT_METHOD
        and isinstance(error, dict)
        and (error.get("code") or error.get("decline_code"))
    ):
        status = intent_states.FAILED
        code, message = _failure(error)
    currency = str(pi["currency"])
    return payment_provider.ProviderIntent(
        reference=str(pi["id"]),
        status=status,
        amount=from_stripe_amount(int(pi["amount"]), currency),
        currency=currency.upper(),
        client_secret=pi.get("client_secret"),
        next_action=_next_action(pi) if status == intent_states.REQUIRES_ACTION else None,
        failure_code=code,
        failure_message=message,
    )


def _setup(seti: dict[str, Any]) -> payment_provider.ProviderSetup:
    """One Stripe SetupIntent in our vocabulary: like a PaymentIntent, a failed confirmation is
    `requires_payment_method` with a `last_setup_error`."""
    raw = str(seti.get("status"))
    error = seti.get("last_setup_error")
    code, message = _failure(error if isinstance(error, dict) else None)
    status = {"requires_action": "requires_action", "succeeded": "succeeded", "processing": "processing"}.get(
        raw,
        "failed",  # requires_payment_method (a failed confirmation), canceled
    )
    pm = seti.get("payment_method")
    card = _saved_card(pm) if status == "succeeded" and isinstance(pm, dict) else None  # expanded
    return payment_provider.ProviderSetup(
        reference=str(seti["id"]),
        status=status,
        next_action=_next_action(seti) if status == "requires_action" else None,
        card=card,
        failure_code=code,
        failure_message=message,
    )


def _saved_card(pm: dict[str, Any]) -> payment_provider.SavedCard:
    card = pm.get("card") or {}
    return payment_provider.SavedCard(
        reference=str(pm["id"]),
        brand=str(card.get("brand") or pm.get("type") or "card"),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


def _error_body(e: stripe.StripeError) -> dict[str, Any]:
    body = e.json_body
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


class StripeProvider:
    """`PaymentProvider` for the gateway id `stripe`: 3DS, redirects, refunds and manual capture in
    every currency Stripe takes. Unconfigured (no `STRIPE_API_KEY`) it still exists, so its webhook
    route answers (400 without a webhook secret), and every API call is a non-retryable error."""

    id = "stripe"
    currencies: frozenset[str] = frozenset()
    capabilities = frozenset({"three_ds", "redirect", "refunds", "manual_capture"})

    def __init__(self, settings: Any, *, http_client: stripe.HTTPClient | None = None) -> None:
        self._api_key: str = getattr(settings, "stripe_api_key", None) or ""
        self._webhook_secret: str = getattr(settings, "stripe_webhook_secret", None) or ""
        self.api_base = str(getattr(settings, "stripe_api_base", "") or DEFAULT_API_BASE).rstrip("/")
        self._client: stripe.StripeClient | None = None
        if self._api_key:
            self._client = stripe.StripeClient(
                self._api_key,
                base_addresses={"api": self.api_base},
                max_network_retries=int(getattr(settings, "stripe_max_network_retries", NETWORK_RETRIES)),
                http_client=http_client or stripe.RequestsClient(timeout=TIMEOUT),
            )

    def __repr__(self) -> str:  # keeps the key out of any log that prints the provider
        return f"StripeProvider({self.api_base}, configured={self._client is not None})"

    # -- calls ----------------------------------------------------------------------------------

    @property
    def _v1(self) -> stripe.V1Services:
        if self._client is None:
            raise payment_provider.ProviderError(
                "stripe is not configured (no STRIPE_API_KEY)", retryable=False, code="not_configured"
            )
        return self._client.v1

    def _error(self, e: stripe.StripeError) -> payment_provider.ProviderError:
        """A Stripe error as ours: retryable when the same call may succeed later (network, rate limit,
        5xx, 409 = the same idempotency key still in flight), never for card or request errors."""
        error = _error_body(e)
        status = e.http_status
        if isinstance(e, stripe.AuthenticationError | stripe.PermissionError):
            # the message may echo the key (stripe-mock does): never pass it on
            return payment_provider.ProviderError(
                f"Stripe refused the configured API key (HTTP {status})",
                retryable=False,
                code="authentication_error",
            )
        if isinstance(e, stripe.CardError | stripe.IdempotencyError):
            retryable = False
        else:
            retryable = isinstance(
                e, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError
            ) or (status is not None and (status >= 500 or status in (409, 429)))
        code = error.get("decline_code") or error.get("code") or e.code
        if not code:
            code = "api_connection_error" if isinstance(e, stripe.APIConnectionError) else error.get("type")
        message = str(error.get("message") or e.user_message or f"Stripe answered HTTP {status}")
        if self._api_key:
            message = message.replace(self._api_key, "sk_***")
        return payment_provider.ProviderError(message, retryable=retryable, code=str(code) if code else None)

    def _fail(self, e: stripe.StripeError) -> NoReturn:
        """Raise `_error(e)`; chained to Stripe's error for its request id, except when that error's
        text may hold the key."""
        if isinstance(e, stripe.AuthenticationError | stripe.PermissionError):
            raise self._error(e) from None
        raise self._error(e) from e

    # -- PaymentProvider ------------------------------------------------------------------------

    def create_intent(self, request: payment_provider.IntentRequest) -> payment_provider.ProviderIntent:
        """Create and confirm a PaymentIntent in one call. Off-session (a renewal with a saved
        method, nobody present), Stripe is told so (`off_session`, `confirm`): a card that needs
        authentication is then declined with `authentication_required` instead of asking for 3DS."""
        amount, currency, off_session = request.amount, request.currency, request.off_session
        params: PaymentIntentCreateParams = {
            "amount": to_stripe_amount(amount, currency),
            "currency": currency.lower(),
            "payment_method": request.payment_method_token,
            "confirm": True,
            # automatic_async is Stripe's default "automatic": the same for the customer, faster to answer
            "capture_method": "manual" if request.capture_method == "manual" else "automatic_async",
            "metadata": {str(k): str(v) for k, v in request.metadata.items()},
            "expand": ["payment_method"],
        }
        if request.customer_reference:
            params["customer"] = request.customer_reference
        if request.save_for_future and not off_session:
            params["setup_future_usage"] = "off_session"
        if off_session:
            if not request.customer_reference:
                # Stripe charges a method again only with the Customer it is attached to
                raise payment_provider.ProviderError(
                    "an off-session Stripe charge needs the Customer its payment method is saved for",
                    retryable=False,
                    code="customer_required",
                )
            params["off_session"] = True  # with "confirm": True above, as Stripe requires
        if request.return_url and not off_session:
            params["return_url"] = request.return_url
        else:
            # without a return_url Stripe refuses to confirm for methods that may redirect: offer none
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        try:
            key = request.idempotency_key
            pi = self._v1.payment_intents.create(params=params, options={"idempotency_key": key})
        except stripe.CardError as e:
            return self._declined(e, amount=amount, currency=currency)
        except stripe.StripeError as e:
            self._fail(e)
        return _intent(pi.to_dict())

    def _declined(
        self, e: stripe.CardError, *, amount: int, currency: str
    ) -> payment_provider.ProviderIntent:
        """A card error on confirmation: the intent exists at Stripe (its id is in the error) and failed."""
        error = _error_body(e)
        code, message = _failure(error)
        pi = error.get("payment_intent")
        pi = pi if isinstance(pi, dict) else {}
        pi_currency = str(pi.get("currency") or currency)
        return payment_provider.ProviderIntent(
            reference=str(pi.get("id") or ""),
            status=intent_states.FAILED,
            amount=from_stripe_amount(int(pi["amount"]), pi_currency) if "amount" in pi else amount,
            currency=pi_currency.upper(),
            client_secret=pi.get("client_secret"),
            failure_code=code or e.code or "card_declined",
            failure_message=message or e.user_message or "The card was declined.",
        )

    def retrieve(self, reference: str) -> payment_provider.ProviderIntent:
        params: PaymentIntentRetrieveParams = {"expand": ["payment_method"]}
        try:
            return _intent(self._v1.payment_intents.retrieve(reference, params=params).to_dict())
        except stripe.StripeError as e:
            self._fail(e)

    def capture(self, reference: str, *, idempotency_key: str) -> payment_provider.ProviderIntent:
        """Capture the whole authorised amount."""
        return self._act(self._v1.payment_intents.capture, reference, idempotency_key)

    def cancel(self, reference: str, *, idempotency_key: str) -> payment_provider.ProviderIntent:
        return self._act(self._v1.payment_intents.cancel, reference, idempotency_key)

    def _act(
        self, action: Callable[..., Any], reference: str, idempotency_key: str
    ) -> payment_provider.ProviderIntent:
        """An action on an existing intent, answered by the intent as it now stands."""
        try:
            pi = action(
                reference,
                params={"expand": ["payment_method"]},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as e:
            self._fail(e)
        return _intent(pi.to_dict())

    def refund(
        self, reference: str, *, amount: int, reason: str, idempotency_key: str
    ) -> payment_provider.ProviderRefund:
        """Refund part or all of a payment. Stripe takes three reasons; ours is mapped onto them where
        it says the same thing, and is always kept whole in the refund's metadata."""
        retrieved = self.retrieve(reference)  # the currency decides Stripe's amount; refused early if unknown
        params: RefundCreateParams = {
            "payment_intent": reference,
            "amount": to_stripe_amount(amount, retrieved.currency),
            "metadata": {"reason": reason[:METADATA_VALUE_MAX]},
        }
        stripe_reason = _REFUND_REASONS.get(reason.strip().lower().replace(" ", "_").replace("-", "_"))
        if stripe_reason:
            params["reason"] = stripe_reason
        try:
            r = self._v1.refunds.create(params=params, options={"idempotency_key": idempotency_key}).to_dict()
        except stripe.StripeError as e:
            self._fail(e)
        currency = str(r.get("currency") or retrieved.currency)
        return payment_provider.ProviderRefund(
            reference=str(r["id"]),
            amount=from_stripe_amount(int(r["amount"]), currency),
            status=_REFUND_STATUSES.get(str(r.get("status")), refunds.PENDING),
        )

    def charges(self, *, created_from: int, created_to: int) -> list[payment_provider.ProviderCharge]:
        """Every PaymentIntent with created_from <= created < created_to, following Stripe's pages.
        Intents, not charges: our references are intent ids and an intent's retries are one payment;
        the refunded total comes from its latest charge."""
        params: PaymentIntentListParams = {
            "created": {"gte": created_from, "lt": created_to},
            "limit": 100,
            "expand": ["data.latest_charge"],
        }
        out: list[payment_provider.ProviderCharge] = []
        try:
            for item in self._v1.payment_intents.list(params=params).auto_paging_iter():
                if len(out) >= MAX_RECONCILIATION_INTENTS:
                    raise payment_provider.ProviderError(
                        f"over {MAX_RECONCILIATION_INTENTS} Stripe payments in one window: use a shorter one",
                        retryable=False,
                        code="window_too_large",
                    )
                pi = item.to_dict()
                intent = _intent(pi)
                charge = pi.get("latest_charge")
                refunded = int(charge.get("amount_refunded") or 0) if isinstance(charge, dict) else 0
                out.append(
                    payment_provider.ProviderCharge(
                        reference=intent.reference,
                        amount=intent.amount,
                        currency=intent.currency,
                        status=intent.status,
                        amount_refunded=from_stripe_amount(refunded, intent.currency),
                        metadata={str(k): str(v) for k, v in (pi.get("metadata") or {}).items()},
                        created=int(pi.get("created") or 0),
                    )
                )
        except stripe.StripeError as e:
            self._fail(e)
        return out

    def create_customer(self, *, customer_id: str, idempotency_key: str) -> str:
        params: CustomerCreateParams = {"metadata": {"customerId": customer_id}}
        try:
            return str(
                self._v1.customers.create(params=params, options={"idempotency_key": idempotency_key}).id
            )
        except stripe.StripeError as e:
            self._fail(e)

    def _method_of(self, token: str, idempotency_key: str) -> str:
        """A PaymentMethod (`pm_...`, from Stripe.js) as it is; a legacy card token (`tok_...`)
        becomes one first."""
        if not token.startswith("tok_"):
            return token
        created: PaymentMethodCreateParams = {"type": "card", "card": {"token": token}}
        options: stripe.RequestOptions = {"idempotency_key": f"{idempotency_key}:method"}
        return str(self._v1.payment_methods.create(params=created, options=options).id)

    def attach_method(
        self, *, customer_reference: str, token: str, idempotency_key: str
    ) -> payment_provider.SavedCard:
        """Attach the token's PaymentMethod to the Customer."""
        try:
            method = self._method_of(token, idempotency_key)
            attach: PaymentMethodAttachParams = {"customer": customer_reference}
            pm = self._v1.payment_methods.attach(
                method, params=attach, options={"idempotency_key": idempotency_key}
            ).to_dict()
        except stripe.CardError as e:
            raise self._error(e) from e
        except stripe.StripeError as e:
            self._fail(e)
        return _saved_card(pm)

    def detach_method(self, reference: str, *, idempotency_key: str) -> None:
        try:
            self._v1.payment_methods.detach(reference, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as e:
            if _error_body(e).get("code") != "payment_method_unexpected_state":  # not attached (any more)
                self._fail(e)
        except stripe.StripeError as e:
            self._fail(e)

    def create_setup(
        self, *, customer_reference: str, token: str, return_url: str | None, idempotency_key: str
    ) -> payment_provider.ProviderSetup:
        """A SetupIntent confirmed at once for off-session use: the card is saved on the Customer
        when it succeeds, after 3D Secure (`next_action`) when the bank asks."""
        try:
            params: SetupIntentCreateParams = {
                "customer": customer_reference,
                "payment_method": self._method_of(token, idempotency_key),
                "confirm": True,
                "usage": "off_session",
                "expand": ["payment_method"],
            }
            if return_url:
                params["return_url"] = return_url
            else:
                params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
            seti = self._v1.setup_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError as e:
            error = _error_body(e)
            code, message = _failure(error)
            seti_obj = error.get("setup_intent") if isinstance(error.get("setup_intent"), dict) else {}
            return payment_provider.ProviderSetup(
                reference=str((seti_obj or {}).get("id") or ""),
                status="failed",
                failure_code=code or e.code or "card_declined",
                failure_message=message or e.user_message or "The card was declined.",
            )
        except stripe.StripeError as e:
            self._fail(e)
        return _setup(seti.to_dict())

    def retrieve_setup(self, reference: str) -> payment_provider.ProviderSetup:
        params: SetupIntentRetrieveParams = {"expand": ["payment_method"]}
        try:
            return _setup(self._v1.setup_intents.retrieve(reference, params=params).to_dict())
        except stripe.StripeError as e:
            self._fail(e)

    def parse_webhook(self, headers: dict[str, str], body: bytes) -> payment_provider.WebhookEvent:
        """Verify `Stripe-Signature` (HMAC-SHA256 of "<t>.<body>" with the endpoint's secret, timestamp
        at most 300 s old) and translate. `amount` is, for `refunded`, the charge's refunded total so
        far (duplicates and reordering cannot add up twice), and for `dispute_created` the disputed
        amount."""
        if not self._webhook_secret:
            raise payment_provider.SignatureError(
                "no webhook secret configured for stripe (STRIPE_WEBHOOK_SECRET)"
            )
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        if not header:
            raise payment_provider.SignatureError("missing Stripe-Signature header")
        try:
            # the check Webhook.construct_event runs, without building SDK objects from the body
            stripe.WebhookSignature.verify_header(
                body, header, self._webhook_secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as e:
            raise payment_provider.SignatureError(
                f"Stripe-Signature not verified: {e.user_message}"
            ) from None
        except ValueError as e:  # a body that is not UTF-8
            raise payment_provider.SignatureError("webhook body is not UTF-8 text") from e
        try:
            event = json.loads(body)
            raw_type = str(event["type"])
            event_id = str(event["id"])
            obj = event["data"]["object"]
            if not isinstance(obj, dict):
                raise TypeError("data.object is not an object")
        except (ValueError, KeyError, TypeError) as e:
            raise payment_provider.SignatureError("signed webhook body is not a Stripe event") from e
        return _event(event_id, raw_type, int(event.get("created") or 0), obj)


def _event(event_id: str, raw_type: str, created: int, obj: dict[str, Any]) -> payment_provider.WebhookEvent:
    kind = _EVENTS.get(raw_type, payment_provider.WEBHOOK_IGNORED)
    currency = str(obj.get("currency") or "")

    def amount(field: str) -> int | None:
        value = obj.get(field)
        return from_stripe_amount(int(value), currency) if isinstance(value, int) and currency else None

    extra: dict[str, Any] = {
        "amount": amount("amount"),
        "currency": currency.upper() or None,
        "metadata": obj.get("metadata") or {},
    }
    failure_code, failure_message = None, None
    if obj.get("object") == "payment_intent":
        reference = str(obj["id"]) if obj.get("id") else None
        extra["status"] = _intent(obj).status if {"id", "amount", "currency"} <= obj.keys() else None
        if kind == payment_provider.WEBHOOK_PAYMENT_FAILED:
            failure_code, failure_message = _failure(obj.get("last_payment_error"))
    else:
        pi = obj.get("payment_intent")
        reference = str(pi) if isinstance(pi, str) else (str(pi["id"]) if isinstance(pi, dict) else None)
    event_amount: int | None = None
    if kind == payment_provider.WEBHOOK_REFUNDED:
        event_amount = amount("amount_refunded")
        extra["amountRefunded"] = event_amount
        extra["chargeId"] = obj.get("id")
    elif kind == payment_provider.WEBHOOK_DISPUTE_CREATED:
        event_amount = amount("amount")
        extra.update(disputeId=obj.get("id"), chargeId=obj.get("charge"), reason=obj.get("reason"))
    return payment_provider.WebhookEvent(
        event_id=event_id,
        kind=kind,
        reference=reference,
        amount=event_amount,
        failure_code=failure_code,
        failure_message=failure_message,
        raw_type=raw_type,
        created=created,
        extra=extra,
    )
