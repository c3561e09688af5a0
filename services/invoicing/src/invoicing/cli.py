"""`invoicing serve | worker | migrate | openapi | billing-run [--as-of T] | scheduler`."""

from __future__ import annotations

from pathlib import Path

from billing_shared import service_cli
from invoicing.app import create_app
from invoicing.config import InvoicingSettings
from invoicing.scheduler import billing_run, scheduler
from invoicing.worker import main as worker

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> None:
    service_cli.run(
        name="invoicing",
        settings=InvoicingSettings(),
        migrations=MIGRATIONS,
        create_app=create_app,
        worker=worker,
        argv=argv,
        extra={"billing-run": billing_run, "scheduler": scheduler},
    )


if __name__ == "__main__":
    main()
