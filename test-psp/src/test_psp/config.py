"""The test gateway's settings, from the environment only (it is its own process, like an outside
provider, so it reads its own TEST_PSP_* variables and nothing of payments')."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """Settings the gateway refuses to start with."""


@dataclass(frozen=True)
class TestPspSettings:
    api_key: str
    webhook_secret: str
    webhook_url: str  # empty: events are recorded but not sent
    host: str = "127.0.0.1"
    port: int = 8190
    public_url: str = "http://127.0.0.1:8190"  # where browsers reach the hosted 3DS page
    db_path: Path = Path("var/test-psp.sqlite3")
    webhook_max_attempts: int = 10
    webhook_backoff: float = 0.5  # seconds before the 2nd attempt; doubles each time up to a minute
    dispute_delay: float = 1.0  # seconds from a disputed card's success to its dispute
    # Fault runs: "duplicate" delivers every event a second time (same id, fresh signature) soon
    # after the first; "reorder" holds some events back so later ones overtake them.
    webhook_chaos: frozenset[str] = frozenset()
    log_level: str = "INFO"

    __test__ = False  # a settings class, not a pytest test class

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> TestPspSettings:
        e = dict(os.environ if env is None else env)
        if e.get("ENVIRONMENT", "").strip().lower() in {"production", "prod"}:
            raise ConfigError("the test payment gateway never runs with ENVIRONMENT=production")
        missing = [k for k in ("TEST_PSP_API_KEY", "TEST_PSP_WEBHOOK_SECRET") if not e.get(k)]
        if missing:
            raise ConfigError(f"set {' and '.join(missing)} (random secrets shared with payments)")
        host = e.get("TEST_PSP_HOST", "127.0.0.1")
        port = int(e.get("TEST_PSP_PORT", "8190"))
        var = Path(e.get("VAR_DIR", "var"))
        return cls(
            api_key=e["TEST_PSP_API_KEY"],
            webhook_secret=e["TEST_PSP_WEBHOOK_SECRET"],
            webhook_url=e.get("TEST_PSP_WEBHOOK_URL", ""),
            host=host,
            port=port,
            public_url=e.get("TEST_PSP_PUBLIC_URL", f"http://{host}:{port}").rstrip("/"),
            db_path=Path(e.get("TEST_PSP_DB", str(var / "test-psp.sqlite3"))),
            webhook_max_attempts=int(e.get("TEST_PSP_WEBHOOK_MAX_ATTEMPTS", "10")),
            webhook_backoff=float(e.get("TEST_PSP_WEBHOOK_BACKOFF", "0.5")),
            dispute_delay=float(e.get("TEST_PSP_DISPUTE_DELAY", "1.0")),
            webhook_chaos=_chaos(e.get("TEST_PSP_WEBHOOK_CHAOS", "")),
            log_level=e.get("LOG_LEVEL", "INFO"),
        )


def _chaos(value: str) -> frozenset[str]:
    modes = frozenset(m.strip() for m in value.split(",") if m.strip())
    unknown = modes - {"duplicate", "reorder"}
    if unknown:
        raise ConfigError(f"TEST_PSP_WEBHOOK_CHAOS knows duplicate and reorder, not {sorted(unknown)}")
    return modes
