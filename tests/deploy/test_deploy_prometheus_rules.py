"""The alert rules can fire: each expression is valid PromQL (Prometheus' own parser, via
promql-parser) and names only metrics and labels that the platform's code exports on /metrics
(found by importing the modules that define them) or that the Kafka exporter provides; the alerts
the operations guide promises exist, and each is explained there."""

from __future__ import annotations

import importlib
import re
from typing import Any

import promql_parser
import pytest
import yaml
from deploy_support import ROOT
from prometheus_client.metrics import MetricWrapperBase

RULES = ROOT / "deploy/prometheus/billing-alerts.yaml"
SCRAPE_LABELS = {"job", "instance", "namespace", "pod"}
# Strimzi's Kafka Exporter (kafka_exporter): consumer-group lag and topic offsets
EXTERNAL = {
    "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"},
    "kafka_topic_partition_current_offset": {"topic", "partition"},
}
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "gauge": ("",),
    "summary": ("_count", "_sum"),
}


def exported_by_the_code() -> dict[str, set[str]]:
    """Sample name -> label names, for every metric defined in the platform's source."""
    found: dict[str, set[str]] = {}
    for src in [ROOT / "shared/src", ROOT / "gateway/src", *sorted((ROOT / "services").glob("*/src"))]:
        for path in src.rglob("*.py"):
            if "prometheus_client" not in path.read_text():
                continue
            module = importlib.import_module(".".join(path.relative_to(src).with_suffix("").parts))
            for value in vars(module).values():
                if isinstance(value, MetricWrapperBase):
                    for suffix in SUFFIXES[value._type]:
                        extra = {"le"} if suffix == "_bucket" else set()
                        found[value._name + suffix] = set(value._labelnames) | extra
    from gateway.metrics import Metrics  # a collector of its own: read its exposition

    metrics = Metrics()
    metrics.count("Customers", 200)
    metrics.upstream_latency("customers").observe(0.01)
    for line in metrics.render().decode().splitlines():
        if m := re.match(r"^(\w+)\{(.*)\} ", line):
            found.setdefault(m[1], set()).update(re.findall(r'(\w+)="', m[2]))
    return found


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


@pytest.fixture(scope="module")
def known() -> dict[str, set[str]]:
    return exported_by_the_code() | EXTERNAL


def selector_problems(expr: str, known: dict[str, set[str]]) -> list[str]:
    problems: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name not in known:
                problems.append(f"{node.name} is exported by nothing")
                return
            for matcher in node.matchers.matchers:
                if matcher.name not in known[node.name] | SCRAPE_LABELS:
                    problems.append(f"{node.name} has no label {matcher.name}")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return problems


def test_the_code_exports_what_the_alerts_are_built_on(known: dict[str, set[str]]) -> None:
    assert known["inbox_events_total"] == {"consumer", "type", "outcome"}
    assert {
        "outbox_published_total",
        "outbox_commit_to_publish_seconds_bucket",
        "gateway_requests_total",
    } <= set(known)
    assert known["http_request_duration_seconds_count"] >= {"service", "status", "method"}


def test_every_alert_is_valid_promql_on_exported_metrics(
    rules: list[dict[str, Any]], known: dict[str, set[str]]
) -> None:
    problems = {r["alert"]: p for r in rules if (p := selector_problems(r["expr"], known))}
    assert problems == {}


def test_a_misspelled_metric_or_label_is_caught(known: dict[str, set[str]]) -> None:
    assert selector_problems('rate(inbox_event_total{outcome="dead_lettered"}[5m])', known)
    assert selector_problems('rate(inbox_events_total{result="dead_lettered"}[5m])', known)
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(inbox_events_total[5m])")


def test_the_promised_alerts_exist_and_are_explained(rules: list[dict[str, Any]]) -> None:
    names = {r["alert"] for r in rules}
    assert {
        "BillingConsumerLagHigh",
        "BillingEventsDeadLettered",
        "BillingDLQGrowing",
        "BillingOutboxBacklog",
        "BillingOutboxStalled",
        "BillingGateway5xxRate",
        "BillingService5xxRate",
        "BillingPaymentFailureRateHigh",
    } <= names
    guide = (ROOT / "docs/operations.md").read_text()
    for r in rules:
        assert r["labels"]["severity"] in ("warning", "critical")
        assert r["annotations"]["summary"]
        assert f"#### {r['alert']}" in guide, f"docs/operations.md does not explain {r['alert']}"
        assert f"docs/operations.md#{r['alert'].lower()}" in r["annotations"]["description"]
