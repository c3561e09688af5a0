"""`make demo` (scripts/demo.py) against the whole platform: the seed's flow from a token to a sent
invoice and one subscription renewal, run as a user runs it, exits 0 and shows its results."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from billing_devtools.localstack import ROOT, Platform

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def test_make_demo_runs_the_whole_flow(platform: Platform) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts/demo.py"), "--gateway", platform.gateway_url],
        env={"VAR_DIR": str(platform.var), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = res.stdout
    if res.returncode != 0:
        logs = "".join(
            f"\n--- {log.name}\n{log.read_text(errors='replace')[-2500:]}"
            for log in sorted(platform.logs.glob("*-worker.log"))
        )
        pytest.fail(f"demo failed:\n{out[-6000:]}\n{res.stderr[-3000:]}\n{logs}")

    # every step shows its request and its answer
    for request in (
        "→ POST /api/v1/Auth/token",
        "→ POST /api/v1/Customers",
        "→ GET /api/v1/Currencies",
        "→ GET /api/v1/BillingCycles",
        "→ POST /api/v1/TaxRules",
        "→ POST /api/v1/Coupons/validate",
        "→ POST /api/v1/Orders",
        "→ POST /api/v1/Invoices  ",
        "→ GET /api/v1/PaymentGateways",
        "→ POST /api/v1/PaymentIntents",
        "/3ds/",
        "/send",
        "→ POST /api/v1/Subscriptions  ",
        "→ POST /api/v1/SubscriptionBillingRuns",
        "→ GET /api/v1/SubscriptionBillingHistories",
    ):
        assert request in out, f"the demo never showed {request!r}:\n{out[-3000:]}"
    assert '"status": "requires_action"' in out and "Authentication complete" in out

    results = dict(re.findall(r"^(invoice|PDF|e-mail|subscription|renewal): +(.+)$", out, re.M))
    assert set(results) == {"invoice", "PDF", "e-mail", "subscription", "renewal"}, out[-2000:]
    number = results["invoice"]
    assert re.fullmatch(r"INV-\d{4}-\d{6}", number), number
    pdf = Path(results["PDF"])
    assert pdf == platform.var.resolve() / "demo" / f"{number}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    mail = Path(results["e-mail"])
    assert mail.parent == platform.var.resolve() / "mail" and mail.suffix == ".eml"
    text = mail.read_text(errors="replace")
    assert number in text and "application/pdf" in text
    assert results["subscription"].startswith("sub_")
    renewal = re.fullmatch(r"(INV-\d{4}-\d{6}) \((in_\w+), paid\)", results["renewal"])
    assert renewal is not None and renewal.group(1) != number, results["renewal"]
