"""Re-drive dead-lettered events: after the bug that made a consumer give up is fixed, move the
records parked in `<topic>.dlq` back onto `<topic>` so that the fixed consumer applies them.

    python -m billing_shared.dlq list billing.orders
    python -m billing_shared.dlq redrive billing.orders [--consumer invoicing] [--limit N]

Why this is safe: a re-driven record is the original, byte for byte (key, value, every `ce_*`
header, so the same `ce_id`), and every platform consumer deduplicates on that id in its inbox, so
the consumers that had applied it change nothing and only the one that failed applies it now.

How it keeps its place: it reads the DLQ with a consumer group of its own
(`billing-dlq-redrive.<consumer or all>`) and commits each record's offset only after the broker
acknowledged the copy (idempotent producer, acks=all). A crash in between re-drives that record
once more, which the inbox makes harmless; nothing is ever lost. One run stops at the DLQ's end as
it was at the start, so a record that fails again and is parked again waits for the next run
instead of looping.

What it does not promise: order. The copy lands after events of the same key that came later;
consumers of the platform tolerate that (their handlers check state), other subscribers should too.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from billing_shared.events.catalog import DLQ_SUFFIX
from billing_shared.kafka import clients
from billing_shared.settings import CommonSettings

DLQ_HEADERS = ("dlq_error", "dlq_consumer", "dlq_topic", "dlq_offset")
REDRIVEN_FROM = "dlq_redriven_from"  # "<dlq topic>/<partition>/<offset>": where the copy came from


@dataclass(frozen=True)
class Parked:
    """One DLQ record as an operator reads it."""

    partition: int
    offset: int
    key: str
    ce_type: str
    ce_id: str
    consumer: str
    source_topic: str
    error: str


def group_for(consumer: str | None) -> str:
    return f"billing-dlq-redrive.{consumer or 'all'}"


def _header(record: ConsumerRecord, name: str) -> str:
    for k, v in record.headers or []:
        if k == name:
            return bytes(v).decode(errors="replace")
    return ""


def parked(record: ConsumerRecord) -> Parked:
    return Parked(
        partition=record.partition,
        offset=record.offset,
        key=(record.key or b"").decode(errors="replace"),
        ce_type=_header(record, "ce_type"),
        ce_id=_header(record, "ce_id"),
        consumer=_header(record, "dlq_consumer"),
        source_topic=_header(record, "dlq_topic"),
        error=_header(record, "dlq_error"),
    )


def _dlq_reader(
    bootstrap: str, dlq_topic: str, group: str | None
) -> tuple[KafkaConsumer, dict[TopicPartition, int]]:
    """A consumer assigned every partition of the DLQ, at the group's committed offsets (or the
    beginning), and the end offsets where this run stops."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap.split(","),
        group_id=group,
        client_id="billing-dlq-redrive",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=200,
    )
    partitions = consumer.partitions_for_topic(dlq_topic)
    if not partitions:
        consumer.close()
        raise SystemExit(f"no topic {dlq_topic} on {bootstrap}")
    tps = [TopicPartition(dlq_topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if group is None:
        consumer.seek_to_beginning(*tps)
    ends = {tp: int(off) for tp, off in consumer.end_offsets(tps).items()}
    return consumer, ends


def _until_end(
    consumer: KafkaConsumer, ends: dict[TopicPartition, int], timeout: float
) -> Iterator[ConsumerRecord]:
    deadline = time.monotonic() + timeout
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        if time.monotonic() > deadline:
            raise TimeoutError("the DLQ did not deliver its records in time")
        for tp, records in consumer.poll(timeout_ms=500).items():
            for record in records:
                if record.offset < ends[tp]:
                    yield record


def list_parked(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Parked]:
    """Every record in `<topic>.dlq` (no group: nothing is committed, nothing moves)."""
    consumer, ends = _dlq_reader(bootstrap, topic + DLQ_SUFFIX, None)
    try:
        return [parked(r) for r in _until_end(consumer, ends, timeout)]
    finally:
        consumer.close()


def redrive(
    bootstrap: str,
    topic: str,
    *,
    only_consumer: str | None = None,
    limit: int | None = None,
    group: str | None = None,
    timeout: float = 60.0,
) -> list[Parked]:
    """Copy `<topic>.dlq`'s records not yet re-driven by this group back onto `topic`, without
    their dlq_* headers; `only_consumer` keeps those one consumer parked. Returns what moved."""
    dlq_topic = topic + DLQ_SUFFIX
    consumer, ends = _dlq_reader(bootstrap, dlq_topic, group or group_for(only_consumer))
    producer = clients.producer(bootstrap, client_id="billing-dlq-redrive")
    moved: list[Parked] = []
    try:
        for record in _until_end(consumer, ends, timeout):
            if limit is not None and len(moved) >= limit:
                break
            entry = parked(record)
            if only_consumer is None or entry.consumer == only_consumer:
                target = entry.source_topic or topic
                if target != topic:
                    raise SystemExit(f"{dlq_topic} offset {record.offset} came from {target}, not {topic}")
                headers = [(k, v) for k, v in record.headers or [] if k not in (*DLQ_HEADERS, REDRIVEN_FROM)]
                headers.append((REDRIVEN_FROM, f"{dlq_topic}/{record.partition}/{record.offset}".encode()))
                producer.send(topic, key=record.key, value=record.value, headers=headers).get(timeout=30)
                moved.append(entry)
            tp = TopicPartition(record.topic, record.partition)
            consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)})
    finally:
        producer.close(timeout=10)
        consumer.close()
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m billing_shared.dlq", description="List or re-drive dead-lettered events."
    )
    parser.add_argument(
        "--bootstrap", default=None, help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="show what <topic>.dlq holds; changes nothing")
    ls.add_argument("topic", help="the original topic, e.g. billing.orders")
    rd = sub.add_parser("redrive", help="move <topic>.dlq's records back onto <topic>")
    rd.add_argument("topic", help="the original topic, e.g. billing.orders")
    rd.add_argument("--consumer", help="only records this consumer (service) parked")
    rd.add_argument("--limit", type=int, help="move at most this many records")
    rd.add_argument(
        "--group", help="the re-drive's own consumer group (default billing-dlq-redrive.<consumer|all>)"
    )
    args = parser.parse_args(argv)
    bootstrap = args.bootstrap or CommonSettings().kafka_bootstrap
    if args.command == "list":
        entries = list_parked(bootstrap, args.topic)
        for e in entries:
            print(
                f"{e.partition}/{e.offset}\t{e.ce_type}\t{e.ce_id}\tkey={e.key}\tconsumer={e.consumer}\t{e.error}"
            )
        print(f"{len(entries)} record(s) in {args.topic}{DLQ_SUFFIX}", file=sys.stderr)
        return 0
    moved = redrive(bootstrap, args.topic, only_consumer=args.consumer, limit=args.limit, group=args.group)
    for e in moved:
        where = f"{e.partition}/{e.offset}"
        print(f"re-drove {where}\t{e.ce_type}\t{e.ce_id}\tkey={e.key}\t(parked by {e.consumer})")
    print(f"{len(moved)} record(s) moved from {args.topic}{DLQ_SUFFIX} to {args.topic}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
