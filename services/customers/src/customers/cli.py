"""`customers serve | worker | migrate | openapi`."""

from __future__ import annotations

from billing_shared import service_cli
from customers import worker
from customers.app import create_app
from customers.config import CustomersSettings


def main(argv: list[str] | None = None) -> None:
    service_cli.run("customers", CustomersSettings(), create_app=create_app, worker=worker.main, argv=argv)


if __name__ == "__main__":
    main()
