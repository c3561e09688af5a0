"""The orders service's settings, from the environment (`ORDERS_` prefix for its own)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from billing_shared.db.engine import default_sqlite_url
from billing_shared.settings import CommonSettings


class OrdersSettings(CommonSettings):
    service_name: str = "orders"
    database_url: str = Field(
        default="", validation_alias=AliasChoices("ORDERS_DATABASE_URL", "DATABASE_URL")
    )
    host: str = Field(default="127.0.0.1", validation_alias="ORDERS_HOST")
    port: int = Field(default=8102, validation_alias="ORDERS_PORT")
    worker_health_port: int = Field(default=8112, validation_alias="ORDERS_WORKER_HEALTH_PORT")
    web_concurrency: int = Field(default=1, validation_alias="ORDERS_WEB_CONCURRENCY")
    web_threads: int = Field(default=8, validation_alias="ORDERS_WEB_THREADS")
    # How long an order for a customer this service has not heard of yet waits for the
    # CustomerCreated event before the id is refused as unknown.
    projection_wait_seconds: float = Field(
        default=2.0, ge=0, le=10, validation_alias="ORDERS_PROJECTION_WAIT"
    )

    def db_url(self) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, "orders")
