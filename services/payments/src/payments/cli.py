"""`payments serve | worker | migrate | openapi`."""

from __future__ import annotations

from billing_shared import service_cli
from payments import worker
from payments.app import create_app
from payments.config import PaymentsSettings


def main(argv: list[str] | None = None) -> None:
    service_cli.run("payments", PaymentsSettings(), create_app=create_app, worker=worker.main, argv=argv)


if __name__ == "__main__":
    main()
