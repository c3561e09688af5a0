"""Builds the invoicing service's collaborators once, for `app.py`, `worker.py`, `scheduler.py` and
`cli.py`: the database (whose emitted events queue their e-mails), the hosted-link signer (its key
may be read from, or first written to, VAR_DIR), the mail settings, and the invoice settings the
environment describes (revision 0, until the merchant changes them through /InvoiceSettings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billing_shared.db.uow import Database
from billing_shared.deps import BaseDeps
from billing_shared.hosted.links import HostedLinks
from invoicing.adapters.mail.mailer import MailSettings
from invoicing.config import InvoicingSettings
from invoicing.domain.invoice_settings import InvoiceSettings
from invoicing.service_layer.mail_queue import queue_for_events
from invoicing.store import tables


@dataclass(frozen=True)
class Deps(BaseDeps):
    settings: InvoicingSettings
    hosted_links: HostedLinks
    # The mailer itself is chosen per sending (`mailer_from_settings`): a bad SMTP_URL is then a
    # 502 on that sending, as it always was, and not a process that fails to start.
    mail: MailSettings
    invoice_settings: InvoiceSettings  # revision 0: what the environment says


def hosted_links(s: InvoicingSettings) -> HostedLinks:
    return HostedLinks.of(s, s.var_dir)


def mail_settings(s: InvoicingSettings) -> MailSettings:
    return MailSettings(
        smtp_url=s.smtp_url or None,
        var_dir=Path(s.var_dir),
        starttls=s.smtp_starttls,
        timeout=s.smtp_timeout,
        sender=s.mail_from,
    )


def invoice_settings(s: InvoicingSettings) -> InvoiceSettings:
    address = tuple(line.strip() for line in s.seller_address.split("|") if line.strip())
    return InvoiceSettings(
        revision=0,
        seller_name=s.seller_name,
        seller_address=address,
        seller_tax_id=s.seller_tax_id or None,
        days_until_due=s.payment_terms_days,
    )


def bootstrap(settings: InvoicingSettings | None = None) -> Deps:
    s = settings or InvoicingSettings()
    db = Database(
        s.db_url(),
        tables.metadata,
        tables.kit_tables,
        service=s.service_name,
        on_emit=queue_for_events(s.mail_from),
    )
    return Deps(
        settings=s,
        db=db,
        hosted_links=hosted_links(s),
        mail=mail_settings(s),
        invoice_settings=invoice_settings(s),
    )
