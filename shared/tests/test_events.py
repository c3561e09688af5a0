import json
from datetime import UTC, datetime

import pytest

from billing_shared.events import catalog, contracts
from billing_shared.events.envelope import Envelope, utc_now_iso


def customer_data(**over: object) -> dict[str, object]:
    now = datetime.now(UTC).isoformat()
    data: dict[str, object] = {
        "id": "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "name": "Ann",
        "email": "ann@example.com",
        "billingAddress": {"line1": "1 St", "city": "X", "postalCode": "1", "region": None, "country": "US"},
        "taxId": None,
        "preferredCurrency": "USD",
        "metadata": {},
        "createdAt": now,
        "updatedAt": now,
        "version": 1,
    }
    return data | over


def test_binary_mode_headers_key_and_value() -> None:
    env = Envelope(
        id="e-1",
        type=catalog.ce_type("CustomerCreated", 1),
        source="/customers",
        subject="cus_1",
        time=utc_now_iso(),
        dataschema=catalog.dataschema("CustomerCreated", 1),
        key="cus_1",
        data={"id": "cus_1"},
        correlation_id="req-9",
    )
    key, headers, value = env.to_kafka()
    h = dict(headers)
    assert key == b"cus_1"
    assert h["ce_id"] == b"e-1" and h["ce_specversion"] == b"1.0" and h["ce_source"] == b"/customers"
    assert h["ce_type"] == b"billing.CustomerCreated.v1" and h["content-type"] == b"application/json"
    assert h["ce_correlationid"] == b"req-9"
    assert json.loads(value) == {"id": "cus_1"}
    back = Envelope.from_kafka(key, headers, value)
    assert (back.id, back.name, back.version, back.key, back.data, back.correlation_id) == (
        "e-1",
        "CustomerCreated",
        1,
        "cus_1",
        {"id": "cus_1"},
        "req-9",
    )


def test_records_that_are_not_cloudevents_are_refused() -> None:
    with pytest.raises(ValueError):
        Envelope.from_kafka(b"k", [("x", b"y")], b"{}")


def test_every_catalogue_event_with_a_schema_has_a_valid_schema() -> None:
    names = contracts.schema_names()
    assert "CustomerCreated.v1.json" in names
    for file in names:
        name, version = file.removesuffix(".json").rsplit(".v", 1)
        assert name in catalog.EVENT_TOPICS, f"{name} has a schema but no topic"
        contracts._validator(name, int(version))  # raises if the schema itself is invalid


def test_contract_accepts_a_valid_event_and_names_the_broken_field() -> None:
    contracts.check("CustomerCreated", 1, customer_data())
    with pytest.raises(contracts.ContractError, match="email"):
        contracts.check("CustomerCreated", 1, {k: v for k, v in customer_data().items() if k != "email"})
    with pytest.raises(contracts.ContractError, match="country"):
        contracts.check("CustomerCreated", 1, customer_data(billingAddress={"country": "usa"}))


def test_unknown_event_versions_have_no_contract() -> None:
    with pytest.raises(contracts.ContractError):
        contracts.check("CustomerCreated", 99, customer_data())


def test_ce_type_round_trip() -> None:
    assert catalog.parse_ce_type(catalog.ce_type("PaymentSucceeded", 2)) == ("PaymentSucceeded", 2)
    assert catalog.parse_ce_type("com.other.Thing") is None
