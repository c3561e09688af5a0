"""CloudEvents 1.0 in Kafka binary mode: attributes as `ce_*` headers, data as the JSON value,
the aggregate id as the key. Built with the CloudEvents SDK's Kafka binding."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from billing_shared.events import catalog

CORRELATION_EXT = "correlationid"
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class Envelope:
    """One event as stored in the outbox and as read from Kafka."""

    id: str
    type: str  # e.g. billing.CustomerCreated.v1
    source: str  # e.g. /customers
    subject: str | None
    time: str  # RFC 3339, UTC
    dataschema: str
    key: str
    data: dict[str, Any]
    correlation_id: str | None = None

    @property
    def name(self) -> str:
        parsed = catalog.parse_ce_type(self.type)
        return parsed[0] if parsed else self.type

    @property
    def version(self) -> int:
        parsed = catalog.parse_ce_type(self.type)
        return parsed[1] if parsed else 0

    def to_kafka(self) -> tuple[bytes, list[tuple[str, bytes]], bytes]:
        """(key, headers, value) for the producer."""
        attributes: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "specversion": "1.0",
            "time": datetime.fromisoformat(self.time),
            "datacontenttype": "application/json",
            "dataschema": self.dataschema,
        }
        if self.subject:
            attributes["subject"] = self.subject
        if self.correlation_id:
            attributes[CORRELATION_EXT] = self.correlation_id
        msg = ce_kafka.to_binary(
            CloudEvent(attributes=attributes, data=self.data), _FORMAT, lambda _e: self.key
        )
        return self.key.encode(), list(msg.headers.items()), msg.value

    @classmethod
    def from_kafka(cls, key: bytes | None, headers: list[tuple[str, bytes]], value: bytes) -> Envelope:
        """Raises ValueError when the record is not a CloudEvent of ours."""
        hdrs = {k: v for k, v in headers or []}
        if hdrs.get("ce_specversion") != b"1.0":
            raise ValueError("not a CloudEvents 1.0 binary-mode record")
        event = ce_kafka.from_binary(ce_kafka.KafkaMessage(headers=hdrs, key=key, value=value), _FORMAT)
        data = event.get_data()
        if isinstance(data, (bytes, str)):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise ValueError("event data is not a JSON object")
        t = event.get_time()
        ext = event.get_extension(CORRELATION_EXT)
        return cls(
            id=event.get_id(),
            type=event.get_type(),
            source=event.get_source(),
            subject=event.get_subject(),
            time=t.isoformat() if isinstance(t, datetime) else str(t),
            dataschema=str(event.get_dataschema() or ""),
            key=(key or b"").decode(),
            data=data,
            correlation_id=str(ext) if ext else None,
        )


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
