"""create_app: the invoicing HTTP service (invoices, their documents, credit notes), wired from settings."""

from __future__ import annotations

from flask import Flask

from billing_shared.logs import configure_logging
from billing_shared.web.app import create_service_app
from invoicing.api.credit_notes import blp as credit_notes_blp
from invoicing.api.documents import blp as invoice_documents_blp
from invoicing.api.invoices import blp as invoices_blp
from invoicing.api.subscriptions import blp as subscriptions_blp
from invoicing.config import InvoicingSettings
from invoicing.store.database import open_database


def create_app(settings: InvoicingSettings | None = None) -> Flask:
    s = settings or InvoicingSettings()
    configure_logging(s.service_name, s.log_level)
    return create_service_app(
        settings=s,
        db=open_database(s.db_url()),
        blueprints=[invoices_blp, invoice_documents_blp, credit_notes_blp, subscriptions_blp],
        title="Invoicing",
    )
