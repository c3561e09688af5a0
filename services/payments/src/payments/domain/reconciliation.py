"""Reconciliation: our intents of one day against the provider's own records.

The provider is asked for a window a little wider than the day (`MARGIN`), because our row and the
provider's charge are stamped by two clocks a moment apart: a payment made at 23:59:59 must not look
missing on one side. Only what belongs to the day is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from payments.domain.intent_states import PROCESSING, REQUIRES_CAPTURE, SUCCEEDED
from payments.domain.intents import PaymentIntent
from payments.domain.payment_provider import ProviderCharge

MARGIN = 600  # seconds
# States in which the provider must hold a record of the charge (money taken or held).
MONEY_STATES = frozenset({SUCCEEDED, REQUIRES_CAPTURE, PROCESSING})


@dataclass(frozen=True)
class Day:
    """One UTC day: [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, day: date) -> Day:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        return cls(start, start + timedelta(days=1))

    @property
    def start_unix(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_unix(self) -> int:
        return int(self.end.timestamp())


@dataclass(frozen=True)
class GatewayCharge:
    """One charge as a gateway lists it."""

    gateway_id: str
    charge: ProviderCharge


@dataclass(frozen=True)
class Mismatch:
    """Our intent and the gateway's charge of the same payment, disagreeing."""

    ours: PaymentIntent
    theirs: GatewayCharge


@dataclass(frozen=True)
class DuplicateCharge:
    """An order with more than one succeeded or held charge."""

    gateway_id: str
    order_id: str
    gateway_references: list[str]


@dataclass
class Report:
    date: str
    gateways: list[str]
    matched: int = 0
    missing_at_gateway: list[PaymentIntent] = field(default_factory=list)
    missing_here: list[GatewayCharge] = field(default_factory=list)
    amount_mismatches: list[Mismatch] = field(default_factory=list)
    status_mismatches: list[Mismatch] = field(default_factory=list)
    duplicate_charges: list[DuplicateCharge] = field(default_factory=list)
    awaiting_gateway: list[PaymentIntent] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.missing_at_gateway
            or self.missing_here
            or self.amount_mismatches
            or self.status_mismatches
            or self.duplicate_charges
        )


def compare(
    report: Report,
    gateway_id: str,
    *,
    day_start: int,
    day_end: int,
    ours_of_day: Iterable[PaymentIntent],
    ours_by_reference: dict[str, PaymentIntent],
    charges: Iterable[ProviderCharge],
) -> None:
    """Add one gateway's findings to the report.

    `ours_of_day`: our intents at this gateway created in [day_start, day_end);
    `ours_by_reference`: our intents (any day) holding the references the provider listed;
    `charges`: the provider's records of [day_start - MARGIN, day_end + MARGIN).
    """
    listed = list(charges)
    at_provider = {c.reference for c in listed}
    for c in listed:
        if not day_start <= c.created < day_end:
            continue
        mine = ours_by_reference.get(c.reference)
        if mine is None:
            report.missing_here.append(GatewayCharge(gateway_id, c))
            continue
        report.matched += 1
        if (c.amount, c.currency, c.amount_refunded) != (mine.amount, mine.currency, mine.amount_refunded):
            report.amount_mismatches.append(Mismatch(mine, GatewayCharge(gateway_id, c)))
        if c.status != mine.status:
            report.status_mismatches.append(Mismatch(mine, GatewayCharge(gateway_id, c)))
    for i in ours_of_day:
        if i.provider_pending:
            report.awaiting_gateway.append(i)
        elif i.status in MONEY_STATES and i.gateway_reference not in at_provider:
            report.missing_at_gateway.append(i)
    by_order: dict[str, set[str]] = defaultdict(set)
    for c in listed:
        if day_start <= c.created < day_end and c.status in (SUCCEEDED, REQUIRES_CAPTURE):
            mine = ours_by_reference.get(c.reference)
            order_id = mine.order_id if mine else c.metadata.get("orderId")
            if order_id:
                by_order[order_id].add(c.reference)
    for i in ours_of_day:
        # a renewal charge has no order (one intent per invoice and attempt is the database's rule)
        if i.status in (SUCCEEDED, REQUIRES_CAPTURE) and i.gateway_reference and i.order_id:
            by_order[i.order_id].add(i.gateway_reference)
    for order_id, refs in sorted(by_order.items()):
        if len(refs) > 1:
            report.duplicate_charges.append(DuplicateCharge(gateway_id, order_id, sorted(refs)))
