"""The README's walkthrough, run exactly as printed (only the gateway's port differs)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from billing_devtools.localstack import ROOT, Platform

pytestmark = [pytest.mark.integration, pytest.mark.stack]


def walkthrough() -> str:
    """Every bash block of the README's walkthrough section, in order."""
    section = (ROOT / "README.md").read_text().split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```bash\n(.*?)```", section, re.S))


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)  # type: ignore[union-attr]
    assert first_block.splitlines()[0].startswith("make run") and first_block.splitlines()[1].startswith(
        "make test"
    )
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_walkthrough_works_as_printed(platform: Platform) -> None:
    script = walkthrough().replace("GW=http://127.0.0.1:8080", f"GW={platform.gateway_url}", 1)
    assert script != walkthrough(), "the walkthrough must start by naming the gateway"
    # Run it where `var/demo-credentials.json` is the platform's, as in the repo root.
    cwd = Path(platform.var).parent
    res = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    created = re.search(r"created (cus_\w+)", res.stdout)
    assert created, res.stdout
    assert res.stdout.count(created.group(1)) >= 3, "listed and fetched the customer it created"
    assert '"hasMore"' in res.stdout
    lines = res.stdout.strip().splitlines()
    order = json.loads(next(line for line in lines if '"subtotal"' in line))  # 3 x 19.99 GBP + 20 % VAT
    assert (order["subtotal"], order["taxTotal"], order["total"], order["status"]) == (
        5997,
        1199,
        7196,
        "draft",
    )
    payment = json.loads(next(line for line in lines if '"id":"pi_' in line))  # the payment intent
    assert (payment["orderId"], payment["amount"], payment["status"]) == (order["id"], 7196, "succeeded")
    assert "saved visa 4242" in res.stderr, "a card saved for the customer paid the order"
    assert f"order {order['id']} is paid" in lines, "paid with curl alone"
    sent = re.fullmatch(r"invoice (INV-\d{4}-\d{6,}) sent to (\S+@\S+)", lines[-2])
    assert sent, lines[-2:]
    pdf = (cwd / "var" / "invoice.pdf").read_bytes()
    assert pdf.startswith(b"%PDF"), "the invoice PDF downloaded with curl"
    mail = Path(cwd / lines[-1]).read_text(errors="replace")
    assert sent.group(1) in mail and sent.group(2) in mail and "application/pdf" in mail, (
        "the e-mail with the PDF"
    )
