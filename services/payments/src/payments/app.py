"""create_app: the payments HTTP service, wired from settings."""

from __future__ import annotations

from flask import Flask

from billing_shared.auth.verifier import TokenVerifier
from billing_shared.logs import configure_logging
from billing_shared.web.app import create_service_app
from payments.api.gateways import blp as gateways_blp
from payments.api.intents import blp as intents_blp
from payments.api.reconciliation import blp as reconciliation_blp
from payments.api.refunds import blp as refunds_blp
from payments.config import PaymentsSettings
from payments.flows import Flows
from payments.providers import registry
from payments.providers.base import PaymentProvider
from payments.store.database import open_database

BLUEPRINTS = [gateways_blp, intents_blp, refunds_blp, reconciliation_blp]


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    providers: dict[str, PaymentProvider] | None = None,
    verifier: TokenVerifier | None = None,
) -> Flask:
    """`providers` and `verifier` replace the configured ones (tests: a fake gateway, a test key)."""
    s = settings or PaymentsSettings()
    configure_logging(s.service_name, s.log_level)
    db = open_database(s.db_url())
    app = create_service_app(settings=s, db=db, blueprints=BLUEPRINTS, title="Payments", verifier=verifier)
    app.extensions["payments_flows"] = Flows(db, registry.build(s) if providers is None else providers, s)
    return app
