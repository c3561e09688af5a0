"""Typed settings from the environment (12-factor). Each process builds one object at start."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """What every process reads. Services subclass it and add their own fields."""

    # populate_by_name: code and tests may pass a setting by its field name as well as by its env name
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    service_name: str = "billing"
    environment: str = "local"
    database_url: str = ""
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = Field(default=3, ge=1)
    # Where the gateway publishes its signing keys; services verify tokens against it.
    jwks_url: str = "http://127.0.0.1:8080/.well-known/jwks.json"
    jwt_issuer: str = "http://127.0.0.1:8080"
    jwt_audience: str = "billing-api"
    # An outside OIDC issuer whose tokens are also trusted (optional).
    oidc_issuer: str = ""
    oidc_jwks_url: str = ""
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    var_dir: str = "var"
