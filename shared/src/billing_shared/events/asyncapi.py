"""The AsyncAPI 3 document of the platform's events, built from what the code holds: the topics and
names of the catalogue, one JSON Schema per event type and version (the contracts the publishers
are checked against), and the versions the services publish today (read from their source).

Generated rather than written so that it cannot drift from the contracts; `docs/asyncapi.yaml`
is its output, kept in the repo for subscribers, and a test fails when the two differ.

    python -m billing_shared.events.asyncapi > docs/asyncapi.yaml
    python -m billing_shared.events.asyncapi --check docs/asyncapi.yaml
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from billing_shared.events import catalog

DOC_VERSION = "1.0.0"
KAFKA_BINDING = "0.5.0"
DLQ_HEADERS = {
    "dlq_error": "why the consumer gave up (exception type and message, at most 2,000 characters)",
    "dlq_consumer": "the consumer group that failed to apply it (the service name)",
    "dlq_topic": "the topic the record came from",
    "dlq_offset": "its offset there (a decimal string)",
}


def contract_versions() -> dict[str, list[int]]:
    """Every event name with the versions that have a schema (`<Name>.v<N>.json`), ascending."""
    folder = resources.files("billing_shared") / "contracts" / "events"
    found: dict[str, list[int]] = {}
    for entry in folder.iterdir():
        stem = entry.name.removesuffix(".json")
        name, _, ver = stem.rpartition(".v")
        if entry.name.endswith(".json") and ver.isdigit():
            found.setdefault(name, []).append(int(ver))
    return {n: sorted(v) for n, v in sorted(found.items())}


def contract(name: str, version: int) -> dict[str, Any]:
    path = resources.files("billing_shared") / "contracts" / "events" / f"{name}.v{version}.json"
    return dict(json.loads(path.read_text()))


def published_versions(source_roots: Iterable[Path]) -> set[tuple[str, int]]:
    """(name, version) of every `DomainEvent("Name", ..., version=N)` in the services' source.

    The version is a literal or a module-level constant (e.g. payments' `EVENT_VERSION = 2`);
    leaving it out means 1, as DomainEvent's default does. Read statically, so documenting the
    contract needs none of the services' dependencies."""
    trees = [ast.parse(p.read_text(), str(p)) for root in source_roots for p in sorted(root.rglob("*.py"))]
    constants: dict[str, int] = {}
    for tree in trees:
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, int)
            ):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = stmt.value.value
    found: set[tuple[str, int]] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DomainEvent"):
                continue
            if not (
                node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            ):
                continue
            version = 1
            for kw in node.keywords:
                if kw.arg == "version":
                    if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
                        version = kw.value.value
                    elif isinstance(kw.value, ast.Name) and kw.value.id in constants:
                        version = constants[kw.value.id]
                    else:
                        raise ValueError(f"cannot read the version of {node.args[0].value} statically")
            found.add((node.args[0].value, version))
    return found


def service_sources(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / "services").glob("*/src") if p.is_dir())


def _channel_id(topic: str) -> str:
    return topic.removeprefix(catalog.TYPE_PREFIX).replace(".", "-")


def _message_id(name: str, version: int) -> str:
    return f"{name}.v{version}"


def _headers(name: str, version: int) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": "#/components/schemas/CloudEventHeaders"},
            {
                "type": "object",
                "properties": {
                    "ce_type": {"const": catalog.ce_type(name, version)},
                    "ce_dataschema": {"const": catalog.dataschema(name, version)},
                },
            },
        ]
    }


def _cloudevent_headers() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "description": "CloudEvents 1.0, Kafka protocol binding, binary content mode: every attribute "
        "is a record header `ce_<name>` (UTF-8), the value is the event's data as JSON.",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_time",
            "ce_dataschema",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": text
            | {"description": "unique per event: deduplicate on it (delivery is at least once)"},
            "ce_type": text | {"description": "billing.<EventName>.v<version>"},
            "ce_source": text | {"description": "the service that raised it, e.g. /customers"},
            "ce_subject": text | {"description": "the aggregate's id (also the record key)"},
            "ce_time": text | {"format": "date-time", "description": "when the change was committed (UTC)"},
            "ce_dataschema": text | {"format": "uri", "description": "the data's JSON Schema (`$id`)"},
            "ce_correlationid": text
            | {"description": "the X-Request-Id of the API request that caused it, when there was one"},
            "content-type": {"const": "application/json"},
        },
    }


def _key() -> dict[str, Any]:
    return {
        "type": "string",
        "description": "The aggregate's id (e.g. cus_…, ord_…, pi_…, in_…, sub_…): all events of one "
        "entity are in one partition, in the order they were committed.",
    }


def build(published: set[tuple[str, int]]) -> dict[str, Any]:
    versions = contract_versions()
    unknown = sorted(n for n, _ in published if n not in catalog.EVENT_TOPICS)
    if unknown:
        raise ValueError(f"published but not in the catalogue: {unknown}")
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in catalog.AGGREGATE_TOPICS:
        names = [n for n, t in catalog.EVENT_TOPICS.items() if t == topic]
        refs: dict[str, Any] = {}
        for name in names:
            for version in versions.get(name, []):
                mid = _message_id(name, version)
                schema = contract(name, version)
                current = (name, version) in published
                status = (
                    "Published now."
                    if current
                    else "An earlier version, no longer published: still on the topic within its "
                    "retention, so replays meet it."
                )
                messages[mid] = {
                    "name": name,
                    "title": f"{name} v{version}",
                    "summary": schema.get("description", ""),
                    "description": status,
                    "contentType": "application/json",
                    "headers": _headers(name, version),
                    "payload": schema,
                    "correlationId": {"$ref": "#/components/correlationIds/correlation"},
                    "bindings": {"kafka": {"key": _key(), "bindingVersion": KAFKA_BINDING}},
                    "x-published": current,
                }
                refs[mid] = {"$ref": f"#/components/messages/{mid}"}
        cid = _channel_id(topic)
        channels[cid] = {
            "address": topic,
            "title": topic,
            "description": f"Every change of one kind of aggregate ({', '.join(names)}), keyed by the "
            "aggregate id. Order holds per key (one partition), not across keys.",
            "messages": refs,
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING}},
        }
        operations[f"receive-{cid}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": f"Subscribe to {topic} with a consumer group of your own.",
            "messages": [{"$ref": f"#/channels/{cid}/messages/{m}"} for m in refs],
        }
        dlq = topic + catalog.DLQ_SUFFIX
        channels[f"{cid}-dlq"] = {
            "address": dlq,
            "title": dlq,
            "description": f"Records of {topic} that a platform consumer could not apply after its "
            "retries, byte for byte, with the dlq_* headers added. `python -m billing_shared.dlq "
            "redrive` moves them back after a fix (docs/events.md).",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            "bindings": {"kafka": {"topic": dlq, "bindingVersion": KAFKA_BINDING}},
        }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "A dead-lettered record",
        "summary": "The original record (key, value, ce_* headers) plus why it was parked.",
        "contentType": "application/json",
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {
                    "type": "object",
                    "required": sorted(DLQ_HEADERS),
                    "properties": {h: {"type": "string", "description": d} for h, d in DLQ_HEADERS.items()},
                },
            ]
        },
        "payload": {"type": "object", "description": "the original event's data, unchanged"},
        "bindings": {"kafka": {"key": _key(), "bindingVersion": KAFKA_BINDING}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Billing platform events",
            "version": DOC_VERSION,
            "description": "The billing events internal systems subscribe to: one topic per aggregate, "
            "CloudEvents 1.0 in Kafka binary mode, one JSON Schema per event type and version. A "
            "published version never changes shape; a change is a new version. Delivery is at least "
            "once: deduplicate on `ce_id`. How to subscribe, replay and re-drive: docs/events.md. "
            "Generated by `python -m billing_shared.events.asyncapi`.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make run`'s broker (KAFKA_BOOTSTRAP); on Kubernetes the cluster's "
                "bootstrap service, with docker compose kafka:9092 (127.0.0.1:19092 from the host).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"CloudEventHeaders": _cloudevent_headers()},
            "messages": messages,
            "correlationIds": {
                "correlation": {
                    "description": "Follows one API request into every event it caused.",
                    "location": "$message.header#/ce_correlationid",
                }
            },
        },
    }


def render(doc: dict[str, Any]) -> str:
    header = "# Generated by `python -m billing_shared.events.asyncapi`; do not edit by hand.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m billing_shared.events.asyncapi", description=__doc__)
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the repo's root (default: .)")
    parser.add_argument("--check", type=Path, help="exit 1 unless this file is what would be generated")
    args = parser.parse_args(argv)
    text = render(build(published_versions(service_sources(args.repo))))
    if args.check:
        if args.check.read_text() != text:
            print(f"{args.check} is out of date: regenerate it", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
