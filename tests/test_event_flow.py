"""The README's event-flow diagram is the code's: who publishes on each topic (the catalogue) and
who consumes which events (each service's handlers). Also what the diagram cannot show wrongly: a
service publishes only on the topics it owns, and its worker subscribes to exactly the topics of
the events it handles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billing_devtools import event_flow
from billing_devtools.localstack import ROOT, SERVICES
from billing_shared.events.catalog import EVENT_TOPICS, TOPIC_OWNERS

SERVICE_NAMES = [s.name for s in SERVICES]


def test_the_readme_shows_the_event_flow_of_the_code() -> None:
    readme = (ROOT / "README.md").read_text()
    assert event_flow.readme_with(event_flow.mermaid(), readme) == readme, (
        "README.md's event flow is stale: run `python -m billing_devtools.event_flow --write`"
    )


@pytest.mark.parametrize("sub", event_flow.subscriptions(), ids=lambda s: s.service)
def test_a_worker_subscribes_to_the_topics_of_the_events_it_handles_and_no_others(
    sub: event_flow.Subscription,
) -> None:
    assert set(sub.topics) == {EVENT_TOPICS[e] for e in sub.events}


def _raised_events(service: str) -> set[str]:
    """Every event a service's code raises: `DomainEvent("Name", ...)` and `DomainEvent(\n "Name"`."""
    names: set[str] = set()
    for path in Path(ROOT / "services" / service / "src").rglob("*.py"):
        names |= set(re.findall(r'DomainEvent\(\s*"([A-Za-z]+)"', path.read_text()))
    return names


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_a_service_publishes_only_on_the_topics_it_owns(service: str) -> None:
    raised = _raised_events(service)
    foreign = {e: TOPIC_OWNERS[EVENT_TOPICS[e]] for e in raised if TOPIC_OWNERS[EVENT_TOPICS[e]] != service}
    assert raised and not foreign, f"{service} raises events of topics owned by others: {foreign}"


def test_every_top_level_folder_and_every_service_is_named_in_the_readme() -> None:
    section = (ROOT / "README.md").read_text().partition("## Where things are")[2].partition("\n## ")[0]
    folders = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name in _tracked_top_folders())
    services = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists())
    missing = [f for f in folders if f"`{f}/" not in section]
    missing += [s for s in services if f"`services/{s}/`" not in section]
    assert not missing, f"README 'Where things are' does not name: {missing}"


def _tracked_top_folders() -> set[str]:
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {line.split("/", 1)[0] for line in files.splitlines() if "/" in line}
