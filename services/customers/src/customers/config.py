"""The customers service's settings: the kit's common ones plus its own, read as `CUSTOMERS_*`."""

from __future__ import annotations

from billing_shared.settings import ServiceSettings, service_config


class CustomersSettings(ServiceSettings):
    model_config = service_config("CUSTOMERS_")

    service_name: str = "customers"
    port: int = 8101
    worker_health_port: int = 8111
