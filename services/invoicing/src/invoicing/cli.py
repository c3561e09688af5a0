"""`invoicing serve | worker | migrate | openapi | billing-run [--as-of T] | scheduler`."""

from __future__ import annotations

from billing_shared import service_cli
from invoicing import scheduler, worker
from invoicing.app import create_app
from invoicing.config import InvoicingSettings


def main(argv: list[str] | None = None) -> None:
    service_cli.run(
        "invoicing",
        InvoicingSettings(),
        create_app=create_app,
        worker=worker.main,
        argv=argv,
        extra={"billing-run": scheduler.billing_run, "scheduler": scheduler.scheduler},
    )


if __name__ == "__main__":
    main()
