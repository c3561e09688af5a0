"""A subscriber to the billing events: prints each event once, as a JSON line.

    pip install kafka-python
    python billing_subscriber.py --group my-team.billing-audit --topic billing.invoices
    python billing_subscriber.py --group my-team.billing-audit --topic billing.invoices \
        --from-time 2026-11-25T00:00:00Z     # replay: the group re-reads from that time

Your own consumer group (never a service's name), offsets committed only after an event was
handled, duplicates skipped by the CloudEvents id (delivery is at least once).
"""

import argparse
import json
from datetime import datetime

from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition


def reset_to_time(bootstrap, group, topics, millis):
    """Replay: move the group's offsets to the first event at or after `millis` (as
    kafka-consumer-groups --reset-offsets --to-datetime does). Only while the group is stopped."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t)]
    found = consumer.offsets_for_times({tp: millis for tp in partitions})
    ends = consumer.end_offsets(partitions)  # where a partition has nothing that recent yet
    offsets = {tp: found[tp].offset if found[tp] else ends[tp] for tp in partitions}
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
    consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", action="append", required=True)
    parser.add_argument("--from-time", help="ISO 8601 time to replay from")
    args = parser.parse_args()
    if args.from_time:
        since = datetime.fromisoformat(args.from_time.replace("Z", "+00:00"))
        reset_to_time(args.bootstrap.split(","), args.group, args.topic, int(since.timestamp() * 1000))
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap.split(","),
        group_id=args.group,
        enable_auto_commit=False,  # commit after handling, never before
        auto_offset_reset="earliest",  # a new group starts at the oldest retained event
    )
    consumer.subscribe(args.topic)
    seen = set()  # keep this in your database, written with the event's effects
    try:
        while True:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    if headers.get("ce_specversion") != "1.0" or headers["ce_id"] in seen:
                        continue
                    seen.add(headers["ce_id"])
                    event = {
                        "type": headers["ce_type"],  # billing.<Name>.v<version>: dispatch on it
                        "id": headers["ce_id"],
                        "key": record.key.decode(),
                        "time": headers["ce_time"],
                        "data": json.loads(record.value),
                    }
                    print(json.dumps(event), flush=True)  # your handling goes here
            consumer.commit()
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
