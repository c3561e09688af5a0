"""Helpers for tests that need the test gateway: start it as a real process, and receive its webhooks.

The gateway runs as its own process (as in `make run`), so tests exercise the same HTTP, signing and
background delivery that payments sees. Shared by the gateway's own tests and payments' tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningPsp:
    url: str
    api_key: str
    webhook_secret: str
    var_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def db_path(self) -> Path:
        return self.var_dir / "test-psp.sqlite3"

    def settings(self) -> Any:
        """What TestGatewayProvider reads from payments' settings."""
        from types import SimpleNamespace

        return SimpleNamespace(
            test_psp_url=self.url, test_psp_api_key=self.api_key, test_psp_webhook_secret=self.webhook_secret
        )


@contextlib.contextmanager
def running_test_psp(
    var_dir: Path,
    *,
    webhook_url: str = "",
    port: int | None = None,
    api_key: str | None = None,
    webhook_secret: str | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 20,
) -> Iterator[RunningPsp]:
    """`python -m test_psp` on a free port, its log in var_dir/test-psp.log; stopped after."""
    port = port or free_port()
    api_key = api_key or "sk_test_" + secrets.token_hex(16)
    webhook_secret = webhook_secret or "whsec_" + secrets.token_hex(16)
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_PSP_")} | {
        "VAR_DIR": str(var_dir),
        "TEST_PSP_PORT": str(port),
        "TEST_PSP_API_KEY": api_key,
        "TEST_PSP_WEBHOOK_SECRET": webhook_secret,
        "TEST_PSP_WEBHOOK_URL": webhook_url,
        "ENVIRONMENT": "test",
        "PYTHONUNBUFFERED": "1",
    }
    env |= extra_env or {}
    log_path = var_dir / "test-psp.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "test_psp"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                tail = log_path.read_text()[-2000:]
                raise RuntimeError(f"test gateway exited with {proc.returncode}: {tail}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    break
            if time.monotonic() > deadline:
                tail = log_path.read_text()[-2000:]
                raise RuntimeError(f"test gateway not healthy after {timeout}s: {tail}")
            time.sleep(0.05)
        yield RunningPsp(url, api_key, webhook_secret, var_dir, log_path, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    answered: int
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A local endpoint that records every delivery and answers 200, or 500 to the next `failing`."""

    failing: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        lock = threading.Lock()
        self._cond = threading.Condition(lock)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._cond:
                    status = 500 if receiver.failing > 0 else 200
                    receiver.failing = max(0, receiver.failing - 1)
                    receiver.deliveries.append(Delivery(dict(self.headers), body, status, time.monotonic()))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def fail_next(self, n: int) -> None:
        with self._cond:
            self.failing = n

    def wait_for(
        self, match: Callable[[Delivery], bool], count: int = 1, timeout: float = 10
    ) -> list[Delivery]:
        """The first `count` deliveries that match (answered 200 or not), waiting at most `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [d for d in self.deliveries if match(d)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} of {count} deliveries after {timeout}s")
                self._cond.wait(left)

    def of_charge(self, charge_id: str, kind: str | None = None) -> Callable[[Delivery], bool]:
        def match(d: Delivery) -> bool:
            e = d.event
            return bool(e["data"]["object"]["id"] == charge_id and (kind is None or e["type"] == kind))

        return match

    def seen(self, charge_id: str, kind: str | None = None) -> list[Delivery]:
        """The deliveries so far of one charge's events (of one type if given)."""
        match = self.of_charge(charge_id, kind)
        with self._cond:
            return [d for d in self.deliveries if match(d)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
