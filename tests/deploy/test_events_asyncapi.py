"""docs/asyncapi.yaml tells subscribers the truth: every event type and version the services
publish (read from their source) is in it, under its topic, with exactly the JSON Schema the
publisher is checked against; the file is valid AsyncAPI 3 (the official meta-schema from
npm @asyncapi/specs) and is what the generator makes from the code today."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from billing_shared.events import asyncapi, catalog

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/asyncapi.yaml"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return dict(yaml.safe_load(DOC.read_text()))


@pytest.fixture(scope="module")
def published() -> set[tuple[str, int]]:
    return asyncapi.published_versions(asyncapi.service_sources(ROOT))


def contract_problems(doc: dict[str, Any], published: set[tuple[str, int]]) -> list[str]:
    """What a subscriber reading `doc` would get wrong about the events the code publishes."""
    problems = []
    messages = doc["components"]["messages"]
    for name, version in sorted(published):
        mid = f"{name}.v{version}"
        msg = messages.get(mid)
        if msg is None:
            problems.append(f"{mid} is published but not documented")
            continue
        if msg["payload"] != asyncapi.contract(name, version):
            problems.append(f"{mid}: the documented schema differs from the contract")
        type_header = msg["headers"]["allOf"][1]["properties"]["ce_type"]["const"]
        if type_header != catalog.ce_type(name, version):
            problems.append(f"{mid}: ce_type {type_header}")
        channel = next((c for c in doc["channels"].values() if mid in c["messages"]), None)
        if channel is None or channel["address"] != catalog.topic_of(name):
            problems.append(f"{mid}: not on {catalog.topic_of(name)}")
    return problems


def test_the_scan_finds_what_the_services_publish(published: set[tuple[str, int]]) -> None:
    # a few known facts, so that an empty or broken scan cannot pass the tests below
    assert {
        ("CustomerCreated", 2),
        ("OrderCreated", 4),
        ("PaymentSucceeded", 2),
        ("InvoicePaid", 5),
    } <= published
    assert ("OrderCreated", 1) not in published
    assert {name for name, _ in published} <= set(catalog.EVENT_TOPICS)


def test_every_published_event_is_documented_with_its_schema(
    doc: dict[str, Any], published: set[tuple[str, int]]
) -> None:
    assert contract_problems(doc, published) == []


def test_a_missing_or_changed_event_is_caught(doc: dict[str, Any], published: set[tuple[str, int]]) -> None:
    missing = copy.deepcopy(doc)
    del missing["components"]["messages"]["OrderCreated.v4"]
    assert contract_problems(missing, published) == ["OrderCreated.v4 is published but not documented"]
    changed = copy.deepcopy(doc)
    changed["components"]["messages"]["PaymentSucceeded.v2"]["payload"]["properties"].pop("amount")
    assert contract_problems(changed, published) == [
        "PaymentSucceeded.v2: the documented schema differs from the contract"
    ]


def test_every_version_with_a_contract_is_documented(doc: dict[str, Any]) -> None:
    """Earlier versions stay documented: they are on the topics within retention, replays meet them."""
    documented = {m for m in doc["components"]["messages"] if m != "DeadLetter"}
    expected = {f"{n}.v{v}" for n, vs in asyncapi.contract_versions().items() for v in vs}
    assert documented == expected
    for mid in documented:
        name, _, ver = mid.rpartition(".v")
        assert doc["components"]["messages"][mid]["payload"] == asyncapi.contract(name, int(ver))


def test_every_topic_and_its_dead_letter_topic_is_a_channel(doc: dict[str, Any]) -> None:
    assert {c["address"] for c in doc["channels"].values()} == set(catalog.all_topics())


def test_the_file_is_valid_asyncapi_3(deploy_tools: dict[str, Path], doc: dict[str, Any]) -> None:
    meta = json.loads((deploy_tools["schemas"] / "@asyncapi/specs/schemas/3.0.0.json").read_text())
    validator = jsonschema.Draft7Validator(meta)
    assert [e.message for e in validator.iter_errors(doc)] == []
    broken = copy.deepcopy(doc)
    next(iter(broken["operations"].values()))["action"] = "subscribe"  # AsyncAPI 2's verb
    assert list(validator.iter_errors(broken))


def test_the_file_is_what_the_generator_makes_from_the_code() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "billing_shared.events.asyncapi", "--repo", str(ROOT), "--check", str(DOC)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, (
        out.stderr + "\nregenerate: python -m billing_shared.events.asyncapi > docs/asyncapi.yaml"
    )
