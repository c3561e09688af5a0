"""The merchant's invoice settings: read, changed (a new revision each time, the admin's only), and
the revision a document shows.

A draft shows the newest revision; an invoice shows the one it was finalized with, a credit note
the one it was issued with; a document issued before settings existed as data shows revision 0,
the deployment's environment, which is what it showed then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing_shared.auth.scope import CustomerScope
from billing_shared.concurrency import IfMatch, check_if_match
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem
from invoicing.adapters.documents.logo_files import LogoRefused, LogoTypeRefused, checked_logo
from invoicing.bootstrap import Deps
from invoicing.domain import invoice_settings
from invoicing.domain.document_content import DocumentTerms
from invoicing.domain.invoice_settings import InvoiceSettings
from invoicing.domain.invoices import DRAFT, Invoice
from invoicing.store.invoice_settings import InvoiceSettingsRevisions


def current(session: Session, deps: Deps) -> InvoiceSettings:
    return InvoiceSettingsRevisions(session).newest() or deps.invoice_settings


def at(session: Session, deps: Deps, revision: int) -> InvoiceSettings:
    if revision == 0:
        return deps.invoice_settings
    return InvoiceSettingsRevisions(session).get(revision) or deps.invoice_settings


def terms(session: Session, deps: Deps, revision: int | None) -> DocumentTerms:
    """The terms of a document issued with `revision` (None: not issued yet, the newest)."""
    settings = current(session, deps) if revision is None else at(session, deps, revision)
    return DocumentTerms(settings, deps.settings.default_locale)


def invoice_terms(session: Session, deps: Deps, invoice: Invoice) -> DocumentTerms:
    revision = invoice.settings_revision
    if revision is None and invoice.status != DRAFT:
        revision = 0  # finalized before settings were data: what the environment said then
    return terms(session, deps, revision)


def get_settings(uow: UnitOfWork, deps: Deps, scope: CustomerScope) -> InvoiceSettings:
    scope.require_merchant("read the invoice settings")
    return current(uow.session, deps)


def _save(uow: UnitOfWork, after: InvoiceSettings) -> InvoiceSettings:
    try:
        with uow.session.begin_nested():
            InvoiceSettingsRevisions(uow.session).add(after, datetime.now(UTC))
    except IntegrityError:
        raise Problem(
            409,
            "The invoice settings were changed by another request at the same moment; read them again.",
        ) from None
    return after


def change_settings(
    uow: UnitOfWork, deps: Deps, patch: dict[str, Any], if_match: IfMatch | None
) -> InvoiceSettings:
    """PATCH /InvoiceSettings (admin): the named fields in a new revision; an empty change makes none."""
    before = current(uow.session, deps)
    check_if_match(if_match, before.revision)
    after = invoice_settings.changed(before, patch)
    if after.data() == before.data():
        return before
    return _save(uow, after)


def upload_logo(
    uow: UnitOfWork, deps: Deps, data: bytes, content_type: str, if_match: IfMatch | None
) -> InvoiceSettings:
    """PUT /InvoiceSettings/logo (admin): the body, checked and sanitised, is the new logo."""
    try:
        logo = checked_logo(data, content_type)
    except LogoRefused as exc:
        status = 415 if isinstance(exc, LogoTypeRefused) else 422
        raise Problem(status, f"The logo was refused: {exc}; the settings are unchanged.") from None
    before = current(uow.session, deps)
    check_if_match(if_match, before.revision)
    return _save(uow, invoice_settings.with_logo(before, logo))


def remove_logo(uow: UnitOfWork, deps: Deps, if_match: IfMatch | None) -> InvoiceSettings:
    before = current(uow.session, deps)
    check_if_match(if_match, before.revision)
    if before.logo is None:
        return before
    return _save(uow, invoice_settings.with_logo(before, None))
