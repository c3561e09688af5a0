"""Typed settings from the environment (12-factor), the one way any process reads its
configuration: each process builds one object at start (its service's `bootstrap`) and hands it to
what needs it. Nothing reads `os.environ` for a setting anywhere else.

`CommonSettings` holds what every process reads, each under its own environment name
(`KAFKA_BOOTSTRAP`, `VAR_DIR`, ...). `ServiceSettings` adds what each service has of its own, read
under the service's prefix: `env_prefix="ORDERS_"` makes `port` `ORDERS_PORT` and `database_url`
`ORDERS_DATABASE_URL` (a process that runs alone may say `DATABASE_URL`).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing_shared.db.engine import default_sqlite_url


def service_config(prefix: str) -> SettingsConfigDict:
    """The model config of a service's settings class: its own variables start with `prefix`."""
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", case_sensitive=False, populate_by_name=True)


class CommonSettings(BaseSettings):
    """What every process reads. Services subclass `ServiceSettings`; the gateway subclasses this."""

    # populate_by_name: code and tests may pass a setting by its field name as well as by its env name
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    service_name: str = "billing"
    environment: str = Field(default="local", validation_alias="ENVIRONMENT")
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP")
    kafka_partitions: int = Field(default=3, ge=1, validation_alias="KAFKA_PARTITIONS")
    # A poll's records are applied in one transaction (billing_shared.inbox): this bounds its size.
    kafka_max_poll_records: int = Field(default=200, ge=1, validation_alias="KAFKA_MAX_POLL_RECORDS")
    # Where the gateway publishes its signing keys; services verify tokens against it.
    jwks_url: str = Field(default="http://127.0.0.1:8080/.well-known/jwks.json", validation_alias="JWKS_URL")
    jwt_issuer: str = Field(default="http://127.0.0.1:8080", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field(default="billing-api", validation_alias="JWT_AUDIENCE")
    # An outside OIDC issuer whose tokens are also trusted (optional).
    oidc_issuer: str = Field(default="", validation_alias="OIDC_ISSUER")
    oidc_jwks_url: str = Field(default="", validation_alias="OIDC_JWKS_URL")
    max_body_bytes: int = Field(default=1_048_576, validation_alias="MAX_BODY_BYTES")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    var_dir: str = Field(default="var", validation_alias="VAR_DIR")
    # A claim on an Idempotency-Key older than this belongs to a request whose process died: the
    # key may be taken over (billing_shared.web.transaction). Fault runs shorten it.
    idempotency_stale_claim_seconds: float = Field(
        default=60.0, gt=0, validation_alias="IDEMPOTENCY_STALE_CLAIM_SECONDS"
    )
    # Crash tests only: named points at which the process SIGKILLs itself (billing_shared.faults).
    billing_faults: str = Field(default="", validation_alias="BILLING_FAULTS")


class ServiceSettings(CommonSettings):
    """A service's own settings. A subclass sets `model_config = service_config("<NAME>_")`,
    its `service_name` and its default ports."""

    database_url: str = ""
    # The one database URL of a process that runs alone (DATABASE_URL); the prefixed one wins.
    plain_database_url: str = Field(default="", validation_alias=AliasChoices("DATABASE_URL"))
    host: str = "127.0.0.1"
    port: int = 0
    worker_health_port: int = 0
    web_concurrency: int = 1
    web_threads: int = 8
    # How long a request naming a resource this service knows only from another's events (a
    # customer, an order) waits for its projection before the id is refused as unknown.
    projection_wait_seconds: float = Field(default=2.0, ge=0, le=10)

    def db_url(self) -> str:
        return (
            self.database_url
            or self.plain_database_url
            or default_sqlite_url(self.var_dir, self.service_name)
        )
