"""An event's data read into a command by the one rule every handler uses."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from billing_shared.events.reading import command_from


@dataclass(frozen=True)
class ApplyCharge:
    payment_intent_id: str
    order_id: str | None
    invoice_id: str | None  # carried from version 2 on
    amount_refunded: int


V1 = {"id": "pi_1", "orderId": "ord_1", "amountRefunded": 250, "status": "succeeded"}


def test_fields_are_read_from_their_camel_case_keys_and_a_renamed_one_from_its_key() -> None:
    cmd = command_from(ApplyCharge, V1 | {"invoiceId": "in_1"}, payment_intent_id="id")
    assert cmd == ApplyCharge("pi_1", "ord_1", "in_1", 250)


def test_a_later_versions_field_is_none_in_an_earlier_version() -> None:
    assert command_from(ApplyCharge, V1, payment_intent_id="id").invoice_id is None


def test_a_null_value_stays_null_and_is_not_confused_with_a_missing_key() -> None:
    cmd = command_from(ApplyCharge, V1 | {"orderId": None, "invoiceId": "in_1"}, payment_intent_id="id")
    assert (cmd.order_id, cmd.invoice_id) == (None, "in_1")


def test_a_required_field_never_gets_a_stand_in_value() -> None:
    data = {k: v for k, v in V1.items() if k != "amountRefunded"}
    with pytest.raises(KeyError, match="amountRefunded"):
        command_from(ApplyCharge, data, payment_intent_id="id")


def test_a_renamed_field_that_the_command_does_not_have_is_a_mistake_not_ignored() -> None:
    with pytest.raises(TypeError, match="payment_intent"):
        command_from(ApplyCharge, V1, payment_intent="id")
