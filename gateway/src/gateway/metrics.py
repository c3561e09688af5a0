"""Prometheus metrics: requests by route family and status, upstream latency per service.

Counted in plain ints on the event-loop thread (no locks on the hot path; prometheus_client's
own metric objects lock on every update, which measured ~15% of throughput) and exposed by a
collector at scrape time, in prometheus_client's format. A registry per app: tests build many.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Latency:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds


class Metrics(Collector):
    def __init__(self) -> None:
        self._requests: dict[tuple[str, int], int] = {}
        self._latency: dict[str, _Latency] = {}
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def count(self, family: str, status: int) -> None:
        key = (family, status)
        self._requests[key] = self._requests.get(key, 0) + 1

    def upstream_latency(self, service: str) -> _Latency:
        latency = self._latency.get(service)
        if latency is None:
            latency = self._latency[service] = _Latency()
        return latency

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            "gateway_requests",
            "Requests answered by the gateway, by route family and status code.",
            labels=("family", "status"),
        )
        for (family, status), n in sorted(self._requests.items()):
            requests.add_metric((family, str(status)), n)
        yield requests
        latency = HistogramMetricFamily(
            "gateway_upstream_latency_seconds",
            "Time from sending a request upstream to its response headers.",
            labels=("service",),
        )
        for service, h in sorted(self._latency.items()):
            cumulative, running = [], 0
            for bound, n in zip((*LATENCY_BUCKETS, float("inf")), h.buckets, strict=True):
                running += n
                cumulative.append((_le(bound), running))
            latency.add_metric((service,), cumulative, h.total)
        yield latency

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)
