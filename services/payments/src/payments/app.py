"""The payments HTTP API, built from the bootstrapped collaborators."""

from __future__ import annotations

from flask import Flask

from billing_shared.auth.verifier import TokenVerifier
from billing_shared.web.app import create_service_app
from payments.api import (
    gateways,
    hosted_checkout,
    intents,
    payment_methods,
    reconciliation,
    refunds,
    setup_intents,
)
from payments.bootstrap import bootstrap
from payments.config import PaymentsSettings
from payments.domain.payment_provider import PaymentProvider


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    providers: dict[str, PaymentProvider] | None = None,
    verifier: TokenVerifier | None = None,
) -> Flask:
    """`providers` and `verifier` replace the configured ones (tests: a fake gateway, a test key)."""
    return create_service_app(
        bootstrap(settings, providers=providers),
        blueprints=[
            gateways.blp,
            intents.blp,
            hosted_checkout.blp,
            payment_methods.blp,
            setup_intents.blp,
            refunds.blp,
            reconciliation.blp,
        ],
        title="Payments",
        verifier=verifier,
    )
