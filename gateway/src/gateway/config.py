"""The gateway's settings, from the environment like every other process (12-factor)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from billing_shared.settings import CommonSettings

UPSTREAMS = ("customers", "orders", "payments", "invoicing")


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    service_name: str = "gateway"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    customers_url: str = "http://127.0.0.1:8101"
    orders_url: str = "http://127.0.0.1:8102"
    payments_url: str = "http://127.0.0.1:8103"
    invoicing_url: str = "http://127.0.0.1:8104"
    # Which upstreams must answer /readyz (and feed the OpenAPI doc); others join as they land.
    gateway_services: str = "customers"
    # GATEWAY_DATABASE_URL wins so one environment can hold every process's settings; empty means
    # the embedded default, sqlite:///<VAR_DIR>/gateway.db (sqlite:///var/gateway.db).
    database_url: str = Field(
        default="", validation_alias=AliasChoices("GATEWAY_DATABASE_URL", "DATABASE_URL")
    )
    # Short-lived tokens keep a leaked token's damage small; 15 minutes is the ceiling.
    token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    signing_alg: str = Field(default="ES256", pattern="^(ES256|RS256)$")
    rate_limit_client: str = "20000/second"
    rate_limit_token: str = "60/minute"
    upstream_connect_timeout: float = Field(default=2.0, gt=0)
    upstream_timeout: float = Field(default=30.0, gt=0)
    # Keep-alive connections per upstream; above it requests queue instead of opening more.
    upstream_pool_size: int = Field(default=256, ge=1)
    # How often clients and keys are reloaded from the DB (a rotation or a disable lands within it).
    gateway_refresh_seconds: float = Field(default=30.0, gt=0)
    gateway_access_log: bool = False

    @field_validator("customers_url", "orders_url", "payments_url", "invoicing_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_database(self) -> GatewaySettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir.rstrip('/')}/gateway.db"
        return self

    @property
    def enabled_services(self) -> tuple[str, ...]:
        names = tuple(n for n in self.gateway_services.replace(",", " ").split() if n)
        unknown = [n for n in names if n not in UPSTREAMS]
        if unknown:
            raise ValueError(f"GATEWAY_SERVICES names unknown services {unknown}; known: {UPSTREAMS}.")
        return names

    def upstream_url(self, service: str) -> str:
        return str(getattr(self, f"{service}_url"))
