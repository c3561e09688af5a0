"""Every service has the same shape (docs/services.md): a newcomer who learned one has learned them
all. The import rules between the parts are import-linter's (`make lint`); this checks the parts."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from billing_devtools.localstack import ROOT, SERVICES
from billing_shared.deps import BaseDeps
from billing_shared.settings import ServiceSettings

REQUIRED = {
    "__init__.py",
    "config.py",
    "bootstrap.py",
    "app.py",
    "worker.py",
    "cli.py",
    "handlers.py",
    "api/__init__.py",
    "service_layer/__init__.py",
    "domain/__init__.py",
    "domain/commands.py",
    "store/__init__.py",
    "store/tables.py",
    "migrations/env.py",
}
# What may stand beside them at the top: a scheduled job's entrypoint, and the typing marker.
OPTIONAL_TOP = {"scheduler.py", "py.typed"}
FOLDERS = {"api", "service_layer", "domain", "store", "adapters", "migrations"}


def _package(name: str) -> Path:
    return ROOT / "services" / name / "src" / name


def test_every_service_directory_is_a_service_the_platform_runs() -> None:
    on_disk = {p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()}
    assert on_disk == {s.name for s in SERVICES}


@pytest.mark.parametrize("name", [s.name for s in SERVICES])
def test_a_service_has_the_one_shape(name: str) -> None:
    package = _package(name)
    present = {str(p.relative_to(package)) for p in package.rglob("*") if "__pycache__" not in p.parts}
    assert present >= REQUIRED, f"{name} lacks {sorted(REQUIRED - present)}"
    top = {p.name for p in package.iterdir() if p.is_file()}
    assert top <= {r for r in REQUIRED if "/" not in r} | OPTIONAL_TOP, f"{name}: unexpected {top}"
    folders = {p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders <= FOLDERS, f"{name}: folders that no other service has: {sorted(folders - FOLDERS)}"


@pytest.mark.parametrize("name", [s.name for s in SERVICES])
def test_a_service_is_built_by_its_bootstrap_and_maps_events_in_one_table(name: str) -> None:
    bootstrap = importlib.import_module(f"{name}.bootstrap")
    config = importlib.import_module(f"{name}.config")
    handlers = importlib.import_module(f"{name}.handlers")
    own = [v for v in vars(config).values() if isinstance(v, type) and v.__module__ == config.__name__]
    assert any(issubclass(t, ServiceSettings) for t in own), f"{name}.config has no ServiceSettings"
    assert issubclass(bootstrap.Deps, BaseDeps) and callable(bootstrap.bootstrap)
    assert isinstance(handlers.TOPICS, list) and isinstance(handlers.HANDLERS, dict)
    assert callable(importlib.import_module(f"{name}.app").create_app)
