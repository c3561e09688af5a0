"""The hosted-link key of a local run: made once under VAR_DIR and shared by every process that
starts at the same time (so a link signed by one web process opens on another, and after a
restart); a configured key must be long enough."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from billing_shared.hosted.links import FILE_NAME, hosted_secret


def test_processes_starting_together_agree_on_one_kept_secret(tmp_path: Path) -> None:
    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(lambda _: hosted_secret("", str(tmp_path)), range(64)))
    assert len(keys) == 1 and len(next(iter(keys))) >= 32
    path = tmp_path / "invoicing" / FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hosted_secret("", str(tmp_path)) in keys  # a restart reads the same key


def test_a_configured_secret_wins_and_must_be_32_bytes(tmp_path: Path) -> None:
    assert hosted_secret("k" * 32, str(tmp_path)) == "k" * 32
    assert not (tmp_path / "invoicing").exists()
    with pytest.raises(ValueError, match="32 bytes"):
        hosted_secret("short", str(tmp_path))
