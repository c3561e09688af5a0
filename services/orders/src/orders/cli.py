"""`orders serve | worker | migrate | openapi | republish-catalog`."""

from __future__ import annotations

from billing_shared import service_cli
from orders import worker
from orders.app import create_app
from orders.bootstrap import bootstrap
from orders.config import OrdersSettings
from orders.service_layer import catalog


def republish_catalog(settings: OrdersSettings, argv: list[str]) -> None:
    """Publish every product and tax rule again through the outbox (the worker's relay sends
    them): for a service that prices from the catalog and started after it was made."""
    if argv:
        raise SystemExit(f"orders republish-catalog takes no arguments, got {argv}")
    deps = bootstrap(settings)
    try:
        with deps.db.unit_of_work() as uow:
            count = catalog.republish_catalog(uow)
            uow.commit()
        print(f"{count} catalog events queued")
    finally:
        deps.db.dispose()


def main(argv: list[str] | None = None) -> None:
    service_cli.run(
        "orders",
        OrdersSettings(),
        create_app=create_app,
        worker=worker.main,
        argv=argv,
        extra={"republish-catalog": republish_catalog},
    )


if __name__ == "__main__":
    main()
