"""Topics are created by the project (auto-create is off on the broker): one per aggregate plus
its dead-letter topic. `python -m billing_shared.kafka.topics` creates the missing ones."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from billing_shared.events.catalog import all_topics
from billing_shared.settings import CommonSettings

log = logging.getLogger(__name__)


def ensure_topics(
    bootstrap: str, partitions: int, topics: list[str] | None = None, timeout: float = 60
) -> None:
    wanted = topics or all_topics()
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap.split(","), client_id="billing-topics")
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka at {bootstrap} not reachable: {exc}") from exc
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race: fine
                admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing],
                    timeout_ms=30_000,
                )
            log.info("created topics", extra={"topics": missing, "partitions": partitions})
        _wait_for_metadata(admin, wanted, deadline)
    finally:
        admin.close()


def _wait_for_metadata(admin: KafkaAdminClient, topics: list[str], deadline: float) -> None:
    while True:
        described = admin.describe_topics(topics)
        if all(d.get("error_code", 0) == 0 and d.get("partitions") for d in described):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics not ready: {topics}")
        time.sleep(0.2)


def main() -> None:
    s = CommonSettings()
    ensure_topics(s.kafka_bootstrap, s.kafka_partitions)
    print(f"topics ready on {s.kafka_bootstrap}: {', '.join(all_topics())}")


if __name__ == "__main__":
    main()
