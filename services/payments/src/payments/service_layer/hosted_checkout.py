"""Paying an invoice on its hosted page: the page's Pay button leads here with the page's own signed
token (the credential: whoever holds the link may pay the invoice, as with any hosted invoice), the
customer picks one of their saved cards, and the payment goes the usual way (`create_intent` with
the invoice), 3D Secure on the gateway's page included, back to the invoice page afterwards.

One live intent per invoice holds here too: a second Pay while one waits for 3D Secure resumes that
one, and an invoice paid already only sends the customer back to its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from billing_shared.auth.scope import CustomerScope
from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem
from billing_shared.paging import PageRequest
from billing_shared.projection import await_known
from payments.bootstrap import Deps
from payments.domain import invoices
from payments.domain.commands import CreateIntent
from payments.domain.intent_states import REQUIRES_ACTION
from payments.domain.invoices import InvoiceView
from payments.domain.payment_methods import PaymentMethod
from payments.domain.request_keys import RequestKey
from payments.service_layer.intents import create_intent
from payments.store.intents import IntentRepository
from payments.store.invoices import InvoiceProjection
from payments.store.payment_methods import PaymentMethodRepository

# The API client recorded on intents made from a hosted page.
HOSTED_CLIENT = "billing:hosted-invoice"
MAX_CARDS = 20


@dataclass(frozen=True)
class Checkout:
    """What the checkout page shows: the invoice as payments knows it and the customer's cards."""

    invoice: InvoiceView
    cards: list[PaymentMethod]
    default_id: str | None
    invoice_url: str


@dataclass(frozen=True)
class Outcome:
    """Where the payer goes next: the gateway's 3D Secure page, or back to the invoice page; or,
    for a declined card, the checkout again with the reason."""

    redirect: str | None
    failure: str | None = None


def checkout(deps: Deps, token: str) -> Checkout:
    invoice = _invoice(deps, token)
    with deps.db.unit_of_work(write=False) as uow:
        repo = PaymentMethodRepository(uow.session)
        cards = repo.page(PageRequest(limit=MAX_CARDS), customer_id=invoice.customer_id).items
        default_id = repo.default_of(invoice.customer_id).payment_method_id
    return Checkout(invoice, cards, default_id, deps.hosted_links.page_url(token))


def pay(uow: UnitOfWork, deps: Deps, token: str, payment_method_id: str) -> Outcome:
    """Pay the open invoice with the customer's saved card; an invoice already being paid resumes
    that payment, one paid sends the customer back to its page."""
    invoice = _invoice(deps, token)
    back = deps.hosted_links.page_url(token)
    with deps.db.unit_of_work(write=False) as read:
        held = IntentRepository(read.session).live_holding(None, invoice.id)
    if held is not None:
        action = held.next_action.url if held.next_action and held.status == REQUIRES_ACTION else None
        return Outcome(action or back)
    if invoice.status != invoices.OPEN:
        return Outcome(back)
    cmd = CreateIntent(
        scope=CustomerScope(invoice.customer_id),
        request=RequestKey(HOSTED_CLIENT, None, datetime.now(UTC) - timedelta(days=1)),
        amount=invoice.amount_due,
        currency=invoice.currency,
        payment_method_id=payment_method_id,
        invoice_id=invoice.id,
        return_url=back,
    )
    intent = create_intent(uow, deps, cmd)
    if intent.status == REQUIRES_ACTION and intent.next_action is not None:
        return Outcome(intent.next_action.url)
    if intent.failure_message:
        return Outcome(None, intent.failure_message)
    return Outcome(back)


def _invoice(deps: Deps, token: str) -> InvoiceView:
    """The invoice the hosted token grants, as payments knows it: 404 for a link that does not
    verify (or an invoice not finalized), 410 for an expired one."""
    invoice_id = deps.hosted_links.granted(token, datetime.now(UTC))
    invoice = await_known(
        deps.db,
        lambda session: InvoiceProjection(session).get(invoice_id),
        deps.settings.projection_wait_seconds,
    )
    if invoice is None:
        raise Problem(404, "No invoice at this link.")
    return invoice
