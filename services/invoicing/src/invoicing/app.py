"""The invoicing HTTP API (invoices, their documents, credit notes, subscriptions), built from the
bootstrapped collaborators."""

from __future__ import annotations

from flask import Flask

from billing_shared.auth.verifier import TokenVerifier
from billing_shared.web.app import create_service_app
from invoicing.api import (
    credit_balances,
    credit_notes,
    documents,
    invoice_items,
    invoice_settings,
    invoices,
    subscriptions,
)
from invoicing.bootstrap import bootstrap
from invoicing.config import InvoicingSettings


def create_app(settings: InvoicingSettings | None = None, *, verifier: TokenVerifier | None = None) -> Flask:
    return create_service_app(
        bootstrap(settings),
        blueprints=[
            invoices.blp,
            documents.blp,
            credit_notes.blp,
            credit_balances.blp,
            subscriptions.blp,
            invoice_items.blp,
            invoice_settings.blp,
        ],
        title="Invoicing",
        verifier=verifier,
    )
