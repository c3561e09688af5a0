"""`python -m test_psp`: the test payment gateway on TEST_PSP_HOST:TEST_PSP_PORT (127.0.0.1:8190).

Refuses to start with ENVIRONMENT=production or without its API key and webhook secret."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from billing_shared.logs import configure_logging
from test_psp.app import AccessLogger, create_app
from test_psp.config import ConfigError, TestPspSettings


def main() -> None:
    try:
        settings = TestPspSettings.from_env()
    except (ConfigError, ValueError) as e:
        print(f"test-psp: refusing to start: {e}", file=sys.stderr)
        sys.exit(2)
    configure_logging("test-psp", settings.log_level)
    logging.getLogger("testpsp").info(
        "test payment gateway starting",
        extra={"port": settings.port, "db": str(settings.db_path), "webhook_url": settings.webhook_url},
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=logging.getLogger("testpsp.access"),
        access_log_class=AccessLogger,
        print=None,
        handle_signals=True,
    )


if __name__ == "__main__":
    main()
