"""The invoicing service's settings, from the environment (`INVOICING_` prefix for its own)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from billing_shared.db.engine import default_sqlite_url
from billing_shared.settings import CommonSettings


class InvoicingSettings(CommonSettings):
    service_name: str = "invoicing"
    database_url: str = Field(
        default="", validation_alias=AliasChoices("INVOICING_DATABASE_URL", "DATABASE_URL")
    )
    host: str = Field(default="127.0.0.1", validation_alias="INVOICING_HOST")
    port: int = Field(default=8104, validation_alias="INVOICING_PORT")
    worker_health_port: int = Field(default=8114, validation_alias="INVOICING_WORKER_HEALTH_PORT")
    web_concurrency: int = Field(default=1, validation_alias="INVOICING_WEB_CONCURRENCY")
    web_threads: int = Field(default=8, validation_alias="INVOICING_WEB_THREADS")
    # How long POST /Invoices for an order this service has not heard of yet waits for
    # OrderCreated before the id is refused as unknown.
    projection_wait_seconds: float = Field(
        default=2.0, ge=0, le=10, validation_alias="INVOICING_PROJECTION_WAIT"
    )

    # The seller on every invoice and credit note (PDF, hosted page, e-mail).
    seller_name: str = Field(default="Billing Demo Ltd", validation_alias="INVOICING_SELLER_NAME")
    # Address lines separated by "|" (an environment variable holds one line).
    seller_address: str = Field(
        default="1 Example Street|10115 Berlin|DE", validation_alias="INVOICING_SELLER_ADDRESS"
    )
    seller_tax_id: str = Field(default="DE000000000", validation_alias="INVOICING_SELLER_TAX_ID")
    # Documents of a customer whose metadata names no `locale` are formatted for this one.
    default_locale: str = Field(default="en_US", validation_alias="INVOICING_LOCALE")
    # Due date shown on an open invoice: this many days after finalization.
    payment_terms_days: int = Field(default=14, ge=0, le=365, validation_alias="INVOICING_PAYMENT_TERMS_DAYS")
    # Where clients reach the gateway: the hosted invoice URL starts with it. Empty: the local
    # gateway, http://127.0.0.1:<GATEWAY_PORT or 8080>.
    public_base_url: str = Field(default="", validation_alias="INVOICING_PUBLIC_BASE_URL")
    gateway_port: int = Field(default=8080, validation_alias="GATEWAY_PORT")
    # HMAC key of hosted invoice links (>= 32 bytes). Empty: generated once and kept in
    # <VAR_DIR>/invoicing/hosted-invoice-secret, so links survive restarts of a local run.
    hosted_invoice_secret: str = Field(default="", validation_alias="HOSTED_INVOICE_SECRET")
    hosted_link_days: int = Field(default=30, ge=1, le=3650, validation_alias="INVOICING_HOSTED_LINK_DAYS")
    # Outgoing mail (see docs/invoice-documents-and-mail.md): unset SMTP_URL -> <VAR_DIR>/mail/*.eml.
    smtp_url: str = Field(default="", validation_alias="SMTP_URL")
    smtp_starttls: bool = Field(default=False, validation_alias="SMTP_STARTTLS")
    smtp_timeout: float = Field(default=30.0, gt=0, validation_alias="SMTP_TIMEOUT")
    mail_from: str = Field(default="Billing <billing@localhost>", validation_alias="MAIL_FROM")

    def public_url(self) -> str:
        return (self.public_base_url or f"http://127.0.0.1:{self.gateway_port}").rstrip("/")

    def seller_lines(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.seller_address.split("|") if line.strip())

    # Dunning: a failed renewal charge is tried again this many days after the first attempt;
    # after the last one fails the subscription is canceled and its invoice uncollectible.
    dunning_retry_days: tuple[int, ...] = Field(
        default=(1, 3, 5), validation_alias="INVOICING_DUNNING_RETRY_DAYS"
    )
    # The scheduler (make run) runs the recurring biller this often with the real clock.
    billing_interval_seconds: float = Field(default=60.0, gt=0, validation_alias="INVOICING_BILLING_INTERVAL")

    def db_url(self) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, "invoicing")
