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

    def db_url(self) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, "invoicing")
