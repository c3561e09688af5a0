"""The invoicing service's settings: the kit's common ones plus its own, read as `INVOICING_*`.

A field whose environment name is not `INVOICING_<FIELD>` names it with `validation_alias`: those
names were published before the prefix rule (deployments set them), so they keep working.
"""

from __future__ import annotations

from pydantic import Field

from billing_shared.hosted.links import HostedLinkSettings
from billing_shared.settings import ServiceSettings, service_config


class InvoicingSettings(ServiceSettings, HostedLinkSettings):
    model_config = service_config("INVOICING_")

    service_name: str = "invoicing"
    port: int = 8104
    worker_health_port: int = 8114

    # The seller on every document until the merchant sets /InvoiceSettings (revision 0 of them).
    seller_name: str = "Billing Demo Ltd"
    # Address lines separated by "|" (an environment variable holds one line).
    seller_address: str = "1 Example Street|10115 Berlin|DE"
    seller_tax_id: str = "DE000000000"
    # Documents of a customer with no `preferredLocale` are written for this one.
    default_locale: str = Field(default="en_US", validation_alias="INVOICING_LOCALE")
    # Due date shown on an open invoice: this many days after finalization (until /InvoiceSettings).
    payment_terms_days: int = Field(default=14, ge=0, le=365)
    # Outgoing mail (see docs/invoice-documents-and-mail.md): unset SMTP_URL -> <VAR_DIR>/mail/*.eml.
    smtp_url: str = Field(default="", validation_alias="SMTP_URL")
    smtp_starttls: bool = Field(default=False, validation_alias="SMTP_STARTTLS")
    smtp_timeout: float = Field(default=30.0, gt=0, validation_alias="SMTP_TIMEOUT")
    mail_from: str = Field(default="Billing <billing@localhost>", validation_alias="MAIL_FROM")
    # Automatic mail (docs/invoice-documents-and-mail.md): the worker looks for mail due this often,
    # and a mail the server refused waits 5 s, doubling, at most this long before its next try.
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    mail_retry_cap_seconds: float = Field(default=300.0, gt=0)
    # Dunning: a failed renewal charge is tried again this many days after the first attempt;
    # after the last one fails the subscription is canceled and its invoice uncollectible.
    dunning_retry_days: tuple[int, ...] = (1, 3, 5)
    # The scheduler (make run) runs the recurring biller this often with the real clock.
    billing_interval_seconds: float = Field(default=60.0, gt=0, validation_alias="INVOICING_BILLING_INTERVAL")
