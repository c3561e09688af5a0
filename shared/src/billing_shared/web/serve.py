"""Run a Flask app under gunicorn (gthread: keep-alive connections, a few threads per worker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for k, v in self.options.items():
            self.cfg.set(k, v)

    def load(self) -> Flask:
        return self.factory()


def serve(factory: Callable[[], Flask], *, host: str, port: int, workers: int = 1, threads: int = 8) -> None:
    _Gunicorn(
        factory,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": 75,
            "timeout": 60,
            "graceful_timeout": 10,
            # The most gunicorn parses (a request line of 8190 bytes, header fields of 16 KiB), so
            # whatever the gateway forwards (it refuses more, as problem+json) is answered by the
            # app, never by gunicorn's own HTML error pages.
            "limit_request_line": 8190,
            "limit_request_field_size": 16384,
            "accesslog": None,
            "loglevel": "warning",
        },
    ).run()
