"""`orders serve | worker | migrate | openapi`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orders.config import OrdersSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="orders")
    parser.add_argument("command", choices=["serve", "worker", "migrate", "openapi"])
    args = parser.parse_args(argv)
    s = OrdersSettings()
    if args.command == "migrate":
        from billing_shared.db.migrate import upgrade

        upgrade(MIGRATIONS, s.db_url())
    elif args.command == "serve":
        from billing_shared.web.serve import serve

        from orders.app import create_app

        serve(
            lambda: create_app(s), host=s.host, port=s.port, workers=s.web_concurrency, threads=s.web_threads
        )
    elif args.command == "worker":
        from orders.worker import main as worker_main

        worker_main(s)
    else:
        from orders.app import create_app

        print(json.dumps(create_app(s).extensions["flask-smorest"]["apis"][""]["spec"].to_dict(), indent=1))


if __name__ == "__main__":
    main()
