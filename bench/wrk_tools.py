"""Load with wrk (Debian's, installed by deploy/local/tools.sh) and small client calls for benches."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

from billing_devtools.localstack import ROOT


def ensure_tools() -> None:
    if not (shutil.which("wrk") and shutil.which("nginx")):
        subprocess.run([str(ROOT / "deploy/local/tools.sh"), "nginx-wrk"], check=True)


def wrk(url: str, token: str, conns: int, seconds: int, script: str | None = None) -> dict[str, float]:
    """One bounded wrk run: requests/s, p50 and p99 in ms, and the count of non-2xx or socket errors."""
    extra = ["-s", script] if script else []
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            *extra,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    pct = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50": pct["50"], "p99": pct["99"], "errors": errors}


def post(base: str, token: str, path: str, body: dict[str, object]) -> dict[str, object]:
    req = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return dict(json.loads(r.read()))


def create_customer(base: str, token: str, **over: object) -> str:
    return str(post(base, token, "/Customers", {"name": "Bench", "email": "bench@example.com", **over})["id"])


def post_script(body: dict[str, object]) -> str:
    """A wrk Lua script that POSTs this JSON body (no Idempotency-Key: each request is a new one)."""
    path = Path(tempfile.mkdtemp(prefix="bench-wrk-")) / "post.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
    )
    return str(path)
