"""stripe-mock for the tests that speak to it: the session fixture that starts it through
deploy/local/stripe-mock.sh on its own test ports (`TEST_STRIPE_MOCK_PORT`, default 12211), or uses
`STRIPE_MOCK_URL` when set, and an HTTP client that records what the SDK sends."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "deploy/local/stripe-mock.sh"
TEST_PORT = int(os.environ.get("TEST_STRIPE_MOCK_PORT", "12211"))


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "STRIPE_MOCK_PORT": str(TEST_PORT),
        "STRIPE_MOCK_HTTPS_PORT": str(TEST_PORT + 1),
        "STRIPE_MOCK_DIR": str(ROOT / "var/test-stripe-mock"),
    }
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def stripe_mock_url() -> Iterator[str]:
    given = os.environ.get("STRIPE_MOCK_URL")
    if given:
        yield given.rstrip("/")
        return
    started = _script("status").returncode != 0
    if started:
        res = _script("start")
        if res.returncode != 0:
            pytest.fail(
                f"deploy/local/stripe-mock.sh start failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
            )
    yield f"http://127.0.0.1:{TEST_PORT}"
    if started:
        _script("stop")


class RecordingClient(stripe.HTTPClient):
    """The SDK's own requests-based client underneath, keeping each request's method, URL, headers
    and form."""

    name = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.inner = stripe.RequestsClient(timeout=10)
        self.sent: list[dict[str, Any]] = []

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        form = parse_qs(post_data.decode() if isinstance(post_data, bytes) else post_data or "")
        self.sent.append(
            {
                "method": method,
                "url": url,
                "headers": dict(headers or {}),
                "form": {k: v[0] for k, v in form.items()},
            }
        )
        content, status, response_headers = self.inner.request(method, url, headers, post_data)
        return content.decode(), status, response_headers

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def recorder() -> RecordingClient:
    return RecordingClient()
