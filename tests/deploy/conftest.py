"""Fixtures of the deploy and event-contract tests: the offline tools (installed once by
deploy/local/deploy-tools.sh) and each kustomize overlay built once per session, since a build is
the slow part."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from deploy_support import OVERLAYS, ROOT, kustomize_build, tools

# The test modules import kubernetes_validate and promql_parser: on a fresh machine they are
# installed here, before collection imports those modules (a fixture would come too late).
if not all(importlib.util.find_spec(m) for m in ("kubernetes_validate", "promql_parser")):
    tools("install")
    importlib.invalidate_caches()


@pytest.fixture(scope="session")
def deploy_tools() -> dict[str, Path]:
    """kustomize and the schema packages, installed from the registries on first use."""
    return {
        "kustomize": Path(tools("kustomize-path")),
        "schemas": Path(tools("schemas-dir")) / "node_modules",
    }


@pytest.fixture(scope="session")
def overlays(deploy_tools: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    """Every object of each overlay, as `kubectl apply -k` would send it."""
    folder = ROOT / "deploy/k8s/overlays"
    return {name: kustomize_build(deploy_tools["kustomize"], folder / name) for name in OVERLAYS}
