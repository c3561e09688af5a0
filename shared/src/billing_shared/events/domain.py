"""The event a domain decision raises: pure data, no Kafka, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DomainEvent:
    name: str  # catalogue name, e.g. "CustomerCreated"
    aggregate_id: str  # the Kafka key: keeps one entity's events in order
    data: dict[str, Any]
    version: int = 1
