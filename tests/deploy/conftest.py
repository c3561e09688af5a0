"""What the deploy and event-contract tests share: the offline tools (installed once by
deploy/local/deploy-tools.sh) and each kustomize overlay built once per session, since a build is
the slow part."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")
SCRIPT = str(ROOT / "deploy/local/deploy-tools.sh")


def _install() -> None:
    subprocess.run([SCRIPT, "install"], env=os.environ | {"PYTHON": sys.executable}, check=True)


# The test modules import kubernetes_validate and promql_parser: on a fresh machine they are
# installed here, before collection imports those modules (the fixture below is too late for that).
if not all(importlib.util.find_spec(m) for m in ("kubernetes_validate", "promql_parser")):
    _install()


@pytest.fixture(scope="session")
def deploy_tools() -> dict[str, Path]:
    """kustomize and the schema packages, installed from the registries on first use."""
    env = os.environ | {"PYTHON": sys.executable}
    kustomize = subprocess.run(
        [SCRIPT, "kustomize-path"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    schemas = subprocess.run(
        [SCRIPT, "schemas-dir"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    return {"kustomize": Path(kustomize), "schemas": Path(schemas) / "node_modules"}


def kustomize_build(kustomize: Path, folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run([str(kustomize), "build", str(folder)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"kustomize build {folder} failed:\n{out.stderr}"
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="session")
def overlays(deploy_tools: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Every object of each overlay, as `kubectl apply -k` would send it."""
    return {
        name: kustomize_build(deploy_tools["kustomize"], ROOT / "deploy/k8s/overlays" / name)
        for name in OVERLAYS
    }


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
