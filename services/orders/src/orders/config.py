"""The orders service's settings: the kit's common ones plus its own, read as `ORDERS_*`."""

from __future__ import annotations

from billing_shared.settings import ServiceSettings, service_config


class OrdersSettings(ServiceSettings):
    model_config = service_config("ORDERS_")

    service_name: str = "orders"
    port: int = 8102
    worker_health_port: int = 8112
