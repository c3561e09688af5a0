"""Kafka clients configured for the platform's guarantees.

Producers are idempotent with `acks=all` (no duplicates from retries, nothing lost on a leader
change). Consumers never auto-commit: the inbox commits offsets after the DB commit.
"""

from __future__ import annotations

import socket

from kafka import KafkaConsumer, KafkaProducer


def producer(bootstrap: str, client_id: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        max_in_flight_requests_per_connection=5,
        request_timeout_ms=10_000,
        delivery_timeout_ms=30_000,
    )


def consumer(
    bootstrap: str, group_id: str, topics: list[str], client_id: str, *, max_poll_records: int = 200
) -> KafkaConsumer:
    c = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # A poll's records are applied in one transaction (inbox.consumer): this bounds its size.
        max_poll_records=max_poll_records,
        fetch_max_wait_ms=50,
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
    )
    c.subscribe(topics)
    return c


def reachable(bootstrap: str, timeout: float = 0.5) -> bool:
    """A TCP connect to any bootstrap server: cheap enough for /readyz."""
    for server in bootstrap.split(","):
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False
