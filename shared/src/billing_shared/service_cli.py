"""The command every service ships: `<service> serve | worker | migrate | openapi`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TypeVar

from flask import Flask

from billing_shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def run(
    name: str,
    settings: S,
    *,
    create_app: Callable[[S], Flask],
    worker: Callable[[S], None],
    argv: list[str] | None = None,
    extra: dict[str, Callable[[S, list[str]], None]] | None = None,
) -> None:
    """`name`: the service's package (its Alembic history is `<name>/migrations`). `extra`: a
    service's own commands (e.g. invoicing's `billing-run`), given the settings and the arguments
    after the command."""
    extra = extra or {}
    parser = argparse.ArgumentParser(prog=name)
    parser.add_argument("command", choices=["serve", "worker", "migrate", "openapi", *extra])
    parsed, rest = parser.parse_known_args(argv)
    command = parsed.command
    if command in extra:
        extra[command](settings, rest)
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    elif command == "migrate":
        from billing_shared.db.migrate import migrate

        migrate(name, settings.db_url())
    elif command == "serve":
        from billing_shared.web.serve import serve

        serve(
            lambda: create_app(settings),
            host=settings.host,
            port=settings.port,
            workers=settings.web_concurrency,
            threads=settings.web_threads,
        )
    elif command == "worker":
        worker(settings)
    else:
        api = create_app(settings).extensions["flask-smorest"]["apis"][""]["ext_obj"]
        print(json.dumps(api.spec.to_dict(), indent=1))
