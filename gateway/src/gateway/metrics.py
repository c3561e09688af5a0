"""Prometheus metrics: requests by route family and status, upstream latency per service.

A registry per app (tests build many apps); label children are cached so a request costs an
increment and an observe, not a label lookup.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "gateway_requests_total",
            "Requests answered by the gateway, by route family and status code.",
            ("family", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "gateway_upstream_latency_seconds",
            "Time from sending a request upstream to its response headers.",
            ("service",),
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, int], MetricWrapperBase] = {}
        self._latency_children: dict[str, Histogram] = {}

    def count(self, family: str, status: int) -> None:
        child = self._request_children.get((family, status))
        if child is None:
            child = self._request_children[(family, status)] = self._requests.labels(family, str(status))
        child.inc()  # type: ignore[attr-defined]

    def upstream_latency(self, service: str) -> Histogram:
        child = self._latency_children.get(service)
        if child is None:
            child = self._latency_children[service] = self._latency.labels(service)
        return child

    def render(self) -> bytes:
        return generate_latest(self.registry)
