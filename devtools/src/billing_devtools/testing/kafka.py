"""Reading what was published, as an outside subscriber would."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord


class TopicTail:
    """Reads a topic from the current end; no consumer group, so nothing is committed."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        parts = self.consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        self.consumer.assign(tps)
        self.consumer.seek_to_end(*tps)
        for tp in tps:
            self.consumer.position(tp)

    def collect(self, keys: set[str], count: int, timeout: float = 10.0) -> list[ConsumerRecord]:
        got: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            for records in self.consumer.poll(timeout_ms=100).values():
                got.extend(r for r in records if (r.key or b"").decode() in keys)
        return got

    def close(self) -> None:
        self.consumer.close()
