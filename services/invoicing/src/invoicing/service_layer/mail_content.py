"""What each automatic e-mail says, from the stored invoice or subscription, the customer
projection and the settings revision the document shows; the one builder of the invoice mail,
also used by `POST /Invoices/{id}/send`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import Session

from invoicing.adapters.documents.pdf import render_pdf
from invoicing.adapters.mail.message import Attachment, compose
from invoicing.bootstrap import Deps
from invoicing.domain import mail, subscriptions
from invoicing.domain.document_content import DocumentTerms, Party, invoice_document, parties
from invoicing.domain.documents import pdf_filename
from invoicing.domain.formatting import format_day, format_money
from invoicing.domain.invoices import Invoice
from invoicing.service_layer.invoice_settings import invoice_terms, terms
from invoicing.store.customers import CustomerProjection
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.outgoing_mail import QueuedMail
from invoicing.store.subscriptions import SubscriptionRepository


@dataclass(frozen=True)
class Unsendable:
    """Why a queued mail will not go out (`final`) or cannot go out yet."""

    reason: str
    final: bool


def _common(to: Party, terms: DocumentTerms) -> dict[str, Any]:
    s = terms.settings
    return {
        "seller": to.seller.name,
        "buyer": to.buyer.name,
        "support_email": s.support_email,
        "accent_color": s.accent_color,
        "footer": s.footer,
    }


def invoice_message(
    deps: Deps, invoice: Invoice, to: Party, doc_terms: DocumentTerms, *, message_id: str | None = None
) -> EmailMessage:
    """A finalized invoice, with its PDF attached and its hosted link."""
    assert invoice.number is not None
    doc = invoice_document(invoice, to, doc_terms)
    context = _common(to, doc_terms) | {
        "number": invoice.number,
        "total": format_money(invoice.total, invoice.currency, to.locale),
        "due_date": format_day(doc.due_date, to.locale) if doc.due_date else "",
        "hosted_url": deps.hosted_links.url(invoice.id, datetime.now(UTC)),
        "lines": [
            (line.description, format_money(line.total, doc.currency, to.locale)) for line in doc.lines
        ],
        "footer": doc.footer,
    }
    return compose(
        kind=mail.INVOICE,
        locale=to.locale,
        sender=deps.mail.sender,
        to=to.buyer.email,
        context=context,
        message_id=message_id,
        reply_to=doc_terms.settings.support_email,
        logo=doc_terms.settings.logo,
        attachment=Attachment(render_pdf(doc), pdf_filename(invoice.number)),
    )


def build(session: Session, deps: Deps, queued: QueuedMail) -> tuple[EmailMessage, str] | Unsendable:
    """The message of a queued mail and its recipient, or why it cannot be sent."""
    customer = CustomerProjection(session).get(queued.customer_id)
    invoice = InvoiceRepository(session).get(queued.invoice_id) if queued.invoice_id else None
    doc_terms = invoice_terms(session, deps, invoice) if invoice else terms(session, deps, None)
    if not doc_terms.settings.sends(mail.SWITCHES[queued.kind]):
        return Unsendable("switched off in the invoice settings", final=True)
    to = parties(doc_terms, queued.customer_id, customer)
    if not to.buyer.email:
        return Unsendable(
            f"no e-mail address is known for customer '{queued.customer_id}'", final=customer is not None
        )
    if queued.kind == mail.INVOICE and invoice is not None:
        return invoice_message(deps, invoice, to, doc_terms, message_id=queued.message_id), to.buyer.email
    if invoice is not None:
        context = _invoice_context(deps, queued, invoice, to)
    else:
        sub = SubscriptionRepository(session).get(queued.subscription_id or "")
        if sub is None:
            return Unsendable(f"no subscription '{queued.subscription_id}'", final=True)
        context = _subscription_context(queued, sub, to)
    msg = compose(
        kind=queued.kind,
        locale=to.locale,
        sender=deps.mail.sender,
        to=to.buyer.email,
        context=_common(to, doc_terms) | context,
        message_id=queued.message_id,
        reply_to=doc_terms.settings.support_email,
        logo=doc_terms.settings.logo,
    )
    return msg, to.buyer.email


def _invoice_context(deps: Deps, queued: QueuedMail, invoice: Invoice, to: Party) -> dict[str, Any]:
    """A receipt (the lines, what was paid and when) or a failed charge's reminder (what is due,
    the next try)."""
    money = lambda amount: format_money(amount, invoice.currency, to.locale)  # noqa: E731
    context: dict[str, Any] = {
        "number": invoice.number or "",
        "hosted_url": deps.hosted_links.url(invoice.id, datetime.now(UTC)),
    }
    if queued.kind == mail.PAYMENT_FAILED:
        nxt = queued.data.get("nextAttemptAt")
        return context | {
            "amount_due": money(invoice.amount_due or invoice.total),
            "next_attempt": format_day(datetime.fromisoformat(nxt).date(), to.locale) if nxt else "",
            "lines": [],
        }
    paid = invoice.paid_at or datetime.now(UTC)
    return context | {
        "lines": [(invoice.line_name(i), money(line.total)) for i, line in enumerate(invoice.priced.lines)],
        "amount_paid": money(invoice.amount_paid),
        "paid_date": format_day(paid.date(), to.locale),
    }


def _subscription_context(queued: QueuedMail, sub: subscriptions.Subscription, to: Party) -> dict[str, Any]:
    """A trial ending (what each item will cost a period) or a cancellation (the items ended)."""
    names = [
        str(t.get("name") or item["productId"])
        for t, item in zip(subscriptions.item_texts(sub.items), sub.items, strict=True)
    ]
    if queued.kind == mail.TRIAL_ENDING:
        # the renewal's first lines are the items' (waiting prorations follow them)
        totals = [line.total for line in subscriptions.price_renewal(sub).lines[: len(names)]]
        trial_end = datetime.fromisoformat(queued.data["trialEnd"])
        lines = [(n, format_money(t, sub.currency, to.locale)) for n, t in zip(names, totals, strict=True)]
        return {"trial_end": format_day(trial_end.date(), to.locale), "lines": lines}
    canceled = sub.canceled_at or datetime.now(UTC)
    return {
        "canceled_date": format_day(canceled.date(), to.locale),
        "unpaid": queued.data.get("reason") == subscriptions.PAYMENT_FAILED,
        "lines": [(name, "") for name in names],
    }
