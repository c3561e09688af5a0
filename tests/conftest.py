"""The whole platform as real processes on PostgreSQL and the test Kafka broker, on free ports,
beside (never instead of) a `make run` on this machine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

from billing_devtools.localstack import ROOT, Platform, Ports
from billing_devtools.testing import infra

sys.path.insert(0, str(Path(__file__).parent))
from helpers import Client


@pytest.fixture(scope="session")
def platform(
    tmp_path_factory: pytest.TempPathFactory, postgres_admin_url: str, kafka_bootstrap: str
) -> Iterator[Platform]:
    var = tmp_path_factory.mktemp("platform") / "var"
    urls = {
        name: infra.create_database(postgres_admin_url, name)
        for name in ("customers", "orders", "payments", "invoicing", "gateway")
    }
    # Mail the server refused is tried again at most 5 s later (300 s in a deployment), so a test
    # whose mail server comes back waits seconds for the mail, not minutes.
    quick_mail = {"INVOICING_MAIL_RETRY_CAP_SECONDS": "5"}
    p = Platform(
        var_dir=var,
        ports=Ports.free(),
        kafka_bootstrap=kafka_bootstrap,
        database_urls=urls,
        extra_env=quick_mail,
    )
    try:
        p.start(timeout=120)
    except Exception:
        p.stop()
        for log in sorted((var / "log").glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")
        raise
    yield p
    p.stop()
    for url in urls.values():
        infra.drop_database(postgres_admin_url, url)


@pytest.fixture(scope="session")
def api(platform: Platform) -> Client:
    return Client(platform)


# /work/.library/env/machines/polyglot.md "Known to work": without the background-networking
# flags Chromium keeps reaching for Google's hosts, which this closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium (installed by the project's script when missing); Playwright never
    downloads a browser of its own."""
    out = subprocess.run(
        [str(ROOT / "deploy/local/chromium.sh")], check=True, capture_output=True, text=True, timeout=600
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture()
def browser(chromium: str, tmp_path: Path) -> Iterator[BrowserContext]:
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir for each test
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        try:
            yield context
        finally:
            context.close()
