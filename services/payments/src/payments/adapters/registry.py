"""Which payment providers this process can talk to, built once from settings (by `bootstrap`).

Every gateway this code knows (`payments.domain.gateways.KNOWN`) is listed and has its webhook
route in every run; only the ones whose settings are present are *configured*: the test gateway
unless switched off (always off in production), Stripe when an API key is set. The adapters are
imported only when configured, so a process never loads a provider SDK it does not use.
"""

from __future__ import annotations

from payments.config import PaymentsSettings
from payments.domain.gateways import STRIPE, TEST
from payments.domain.payment_provider import PaymentProvider

# What an operator must set to configure each: said in the answer when one is not configured.
HOW_TO_CONFIGURE = {
    TEST: "set PAYMENTS_TEST_GATEWAY_ENABLED=true (never available when ENVIRONMENT=production)",
    STRIPE: "set STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET",
}


def build(settings: PaymentsSettings) -> dict[str, PaymentProvider]:
    providers: dict[str, PaymentProvider] = {}
    if settings.test_gateway_enabled:
        from payments.adapters.test_gateway import TestGatewayProvider

        providers[TEST] = TestGatewayProvider(settings)
    if settings.stripe_api_key:
        from payments.adapters.stripe import StripeProvider

        providers[STRIPE] = StripeProvider(settings)
    return providers
