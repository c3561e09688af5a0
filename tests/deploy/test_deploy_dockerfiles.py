"""The images are small, pinned and unprivileged, read from the Dockerfiles themselves (no engine
runs here): one per process image, multi-stage, a slim Python base pinned by version, a numeric
non-root user, a HEALTHCHECK, nothing of pip or a compiler in the final stage."""

from __future__ import annotations

import re

import pytest
from deploy_support import ROOT

from billing_devtools.localstack import SERVICES

# image -> the command its final stage runs by default
IMAGES = {
    "gateway": '"-m", "gateway.cli", "serve"',
    **{s.name: f'"-m", "{s.name}.cli", "serve"' for s in SERVICES},
    "test-psp": '"-m", "test_psp"]',
}


def stages(text: str) -> list[list[str]]:
    """Instructions (continuation lines joined, comments dropped) grouped by FROM."""
    joined = re.sub(
        r"\\\n\s*", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    )
    out: list[list[str]] = []
    for line in filter(None, (ln.strip() for ln in joined.splitlines())):
        if line.upper().startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


@pytest.mark.parametrize("image", IMAGES)
def test_the_image_is_multi_stage_pinned_and_unprivileged(image: str) -> None:
    build, final = stages((ROOT / f"deploy/docker/{image}.Dockerfile").read_text())
    for stage in (build, final):
        assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-\w+( AS \w+)?", stage[0]), stage[0]
    user = [i for i in final if i.startswith("USER ")]
    assert user and re.fullmatch(r"USER [1-9]\d{3,}(:\d+)?", user[-1])
    assert any(i.startswith("HEALTHCHECK ") for i in final)
    assert any(i.startswith("COPY --from=build /opt/venv") for i in final)
    final_text = "\n".join(final)
    for tool in ("pip install", "apt-get install", "gcc", "build-essential"):
        assert tool not in final_text
    cmd = next(i for i in final if i.startswith("CMD "))
    assert IMAGES[image] in cmd


def test_the_build_context_leaves_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var", "**/__pycache__", "**/.env"} <= ignored


@pytest.mark.parametrize("image", IMAGES)
def test_no_image_ships_the_development_tools_and_only_its_own_holds_the_test_gateway(image: str) -> None:
    build, _ = stages((ROOT / f"deploy/docker/{image}.Dockerfile").read_text())
    copied = {i.split()[1] for i in build if i.startswith("COPY ")}
    assert "devtools" not in copied, "make run's supervisor and the test fixtures are development only"
    assert ("test-psp" in copied) == (image == "test-psp"), "the test payment gateway is in its image alone"
