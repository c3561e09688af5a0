"""The payment gateways this code knows, what each offers here, and which one a new intent goes to.

Every known gateway is listed (and has its webhook route) in every run; it is *configured* when its
settings are present in this environment (`payments.adapters.registry`), and *enabled* when
configured and not switched off by an admin. A switch only stops new intents at a gateway: payments
already made there still complete, refund and reconcile."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing_shared.errors import FieldError, Problem
from payments.domain.payment_provider import PaymentProvider

TEST, STRIPE = "test", "stripe"
KNOWN = (TEST, STRIPE)


@dataclass(frozen=True)
class Gateway:
    id: str
    enabled: bool
    configured: bool
    currencies: list[str]  # empty: every currency
    capabilities: list[str]

    @classmethod
    def of(cls, gateway_id: str, provider: PaymentProvider | None, switched_on: bool) -> Gateway:
        """What is shown of a gateway: never its settings, only what it can do here."""
        return cls(
            id=gateway_id,
            enabled=provider is not None and switched_on,
            configured=provider is not None,
            currencies=sorted(provider.currencies) if provider else [],
            capabilities=sorted(provider.capabilities) if provider else [],
        )


def not_configured(gateway_id: str) -> Problem:
    """A call this process cannot make: the gateway's settings are not present here."""
    return Problem(503, f"Gateway '{gateway_id}' is not configured in this environment.")


def choose(
    requested: str | None,
    *,
    currency: str | None,
    capture_method: str,
    providers: Mapping[str, PaymentProvider],
    switches: Mapping[str, bool],
) -> str:
    """The gateway an intent goes to (the test gateway by default where it is enabled, else
    Stripe), refused with a 422 naming the field when it cannot take this payment. `switches`: the
    admin's, by gateway id (a gateway without one is on)."""
    enabled = [g for g in KNOWN if g in providers and switches.get(g, True)]
    if requested is None:
        if not enabled:
            raise Problem(
                422, "No payment gateway is enabled.", errors=[FieldError("gatewayId", "none enabled")]
            )
        requested = TEST if TEST in enabled else STRIPE
    if requested not in KNOWN:
        raise Problem(
            422,
            f"No gateway '{requested}'; known: {', '.join(KNOWN)}.",
            errors=[FieldError("gatewayId", "unknown gateway")],
        )
    if requested not in providers:
        raise Problem(
            422,
            f"Gateway '{requested}' is not configured in this environment.",
            errors=[FieldError("gatewayId", "not configured")],
        )
    if requested not in enabled:
        raise Problem(
            422, f"Gateway '{requested}' is switched off.", errors=[FieldError("gatewayId", "disabled")]
        )
    provider = providers[requested]
    if currency and provider.currencies and currency not in provider.currencies:
        raise Problem(
            422,
            f"Gateway '{requested}' does not take {currency}.",
            errors=[FieldError("currency", f"not taken by gateway '{requested}'")],
        )
    if capture_method == "manual" and "manual_capture" not in provider.capabilities:
        raise Problem(
            422,
            f"Gateway '{requested}' cannot capture manually.",
            errors=[FieldError("captureMethod", f"not supported by gateway '{requested}'")],
        )
    return requested
