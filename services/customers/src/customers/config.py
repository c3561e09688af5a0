"""The customers service's settings, from the environment.

Service-specific variables carry the `CUSTOMERS_` prefix so one environment can hold every
service's settings; `DATABASE_URL` is accepted too when a process runs alone.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from billing_shared.db.engine import default_sqlite_url
from billing_shared.settings import CommonSettings


class CustomersSettings(CommonSettings):
    service_name: str = "customers"
    database_url: str = Field(
        default="", validation_alias=AliasChoices("CUSTOMERS_DATABASE_URL", "DATABASE_URL")
    )
    host: str = Field(default="127.0.0.1", validation_alias="CUSTOMERS_HOST")
    port: int = Field(default=8101, validation_alias="CUSTOMERS_PORT")
    worker_health_port: int = Field(default=8111, validation_alias="CUSTOMERS_WORKER_HEALTH_PORT")
    web_concurrency: int = Field(default=1, validation_alias="CUSTOMERS_WEB_CONCURRENCY")
    web_threads: int = Field(default=8, validation_alias="CUSTOMERS_WEB_THREADS")

    def db_url(self) -> str:
        return self.database_url or default_sqlite_url(self.var_dir, "customers")
