"""Helpers of the deploy tests, in a module of its own name (test modules import it; `conftest`
is a name every test folder uses, so importing from it would depend on collection order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
TOOLS_SCRIPT = str(ROOT / "deploy/local/deploy-tools.sh")


def tools(command: str) -> str:
    """Runs deploy-tools.sh (which installs what is missing first) and returns its output."""
    env = os.environ | {"PYTHON": sys.executable}
    return subprocess.run(
        [TOOLS_SCRIPT, command], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def kustomize_build(kustomize: Path, folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run([str(kustomize), "build", str(folder)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"kustomize build {folder} failed:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod template(s) of a workload object (none for other kinds)."""
    kind, spec = obj["kind"], obj.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return [spec["template"]["spec"]]
    if kind == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def named(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"
