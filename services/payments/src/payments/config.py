"""The payments service's settings: the kit's common ones plus its own, read as `PAYMENTS_*`. The
provider settings keep the names their operators know (`TEST_PSP_*`, `STRIPE_*`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import Field, model_validator

from billing_shared.hosted.links import HostedLinkSettings
from billing_shared.settings import ServiceSettings, service_config


class PaymentsSettings(ServiceSettings, HostedLinkSettings):
    """Payments reads hosted invoice links too: their Pay button leads to its checkout."""

    model_config = service_config("PAYMENTS_")

    service_name: str = "payments"
    port: int = 8103
    worker_health_port: int = 8113
    # A provider call that has not answered within this long belongs to a process that died: the
    # worker may drive it again (with the same provider idempotency key, so never a second charge).
    stale_call_seconds: float = Field(default=60.0, gt=0)
    # An unanswered call whose request gave up (provider down) is retried by the worker after this.
    retry_after_seconds: float = Field(default=30.0, gt=0)
    recovery_interval_seconds: float = Field(default=10.0, gt=0)
    # How often the worker looks for renewal charges (InvoicePaymentRequested) recorded and not yet
    # sent to the gateway: the longest a renewal charge waits before its provider call starts.
    off_session_interval_seconds: float = Field(default=0.5, gt=0, le=60)

    # The built-in test payment gateway (its own HTTP app); never enabled in production.
    test_psp_url: str = Field(default="http://127.0.0.1:8190", validation_alias="TEST_PSP_URL")
    test_psp_api_key: str = Field(default="", validation_alias="TEST_PSP_API_KEY")
    test_psp_webhook_secret: str = Field(default="", validation_alias="TEST_PSP_WEBHOOK_SECRET")
    test_gateway_enabled: bool = True

    # Stripe: configured when an API key is set. STRIPE_API_BASE points at stripe-mock in tests.
    stripe_api_key: str = Field(default="", validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: str = Field(default="", validation_alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str = Field(default="https://api.stripe.com", validation_alias="STRIPE_API_BASE")

    @model_validator(mode="after")
    def _no_test_gateway_in_production(self) -> PaymentsSettings:
        """A test gateway approves any test card: production must never offer it, whatever is set."""
        if self.environment.lower() == "production":
            self.test_gateway_enabled = False
        return self

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        """Keys and webhook secrets never reach a log line through a printed settings object."""
        for name, value in super().__repr_args__():
            secret = name is not None and (name.endswith("_api_key") or name.endswith("_secret"))
            yield name, ("**********" if secret and value else value)
