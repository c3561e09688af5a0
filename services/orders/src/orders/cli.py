"""`orders serve | worker | migrate | openapi`."""

from __future__ import annotations

from billing_shared import service_cli
from orders import worker
from orders.app import create_app
from orders.config import OrdersSettings


def main(argv: list[str] | None = None) -> None:
    service_cli.run("orders", OrdersSettings(), create_app=create_app, worker=worker.main, argv=argv)


if __name__ == "__main__":
    main()
