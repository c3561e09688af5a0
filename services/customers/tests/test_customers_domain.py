from datetime import UTC, datetime, timedelta

import pytest

from billing_shared.auth.scope import CustomerScope
from billing_shared.events import contracts
from customers.domain import customer as customer_domain
from customers.domain.commands import CreateCustomer
from customers.domain.references import Reference, reference_from

NOW = datetime(2026, 1, 1, tzinfo=UTC)
MERCHANT = CustomerScope()


def make() -> customer_domain.Customer:
    cmd = CreateCustomer(
        MERCHANT,
        name="Ann",
        email="Ann@Example.com",
        billing_address={"postal_code": "1", "country": "US"},
        metadata={"a": "1", "b": "2"},
    )
    c, _ = customer_domain.create("cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", cmd, NOW)
    return c


def test_create_raises_customer_created_with_the_wire_shape() -> None:
    cmd = CreateCustomer(
        MERCHANT, name="Ann", email="a@b.co", billing_address={"postal_code": "1", "country": "US"}
    )
    c, event = customer_domain.create("cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", cmd, NOW)
    assert event.name == "CustomerCreated" and event.aggregate_id == c.id
    assert event.data["billingAddress"] == {"postalCode": "1", "country": "US"}
    assert event.data["version"] == 1


def test_update_bumps_version_and_names_what_changed() -> None:
    later = NOW + timedelta(minutes=1)
    updated, event = customer_domain.update(make(), {"name": "Bea", "email": "Ann@Example.com"}, later)
    assert updated.version == 2 and updated.updated_at == later
    assert event is not None and event.data["changed"] == ["name"]


def test_update_without_an_effective_change_raises_no_event() -> None:
    c = make()
    same, event = customer_domain.update(
        c, {"name": "Ann", "metadata": {"a": "1"}}, NOW + timedelta(minutes=1)
    )
    assert event is None and same == c


def test_metadata_merges_and_null_deletes() -> None:
    updated, _ = customer_domain.update(make(), {"metadata": {"b": None, "c": "3"}}, NOW)
    assert updated.metadata == {"a": "1", "c": "3"}


def test_unknown_fields_cannot_be_updated() -> None:
    with pytest.raises(ValueError):
        customer_domain.update(make(), {"id": "cus_other"}, NOW)


def test_email_filter_key_is_case_insensitive() -> None:
    assert customer_domain.normalize_email("  Ann@Example.COM ") == "ann@example.com"


def test_references_come_from_events_that_name_a_customer() -> None:
    assert reference_from("OrderCreated", {"id": "ord_1", "customerId": "cus_1"}) == Reference(
        "cus_1", "orders", "ord_1"
    )
    assert (
        reference_from("PaymentIntentCreated", {"id": "pi_1", "customerId": "cus_1"}).kind
        == "payment_intents"
    )  # type: ignore[union-attr]
    assert reference_from("OrderCreated", {"id": "ord_1"}) is None
    assert reference_from("OrderPaid", {"id": "ord_1", "customerId": "cus_1"}) is None


def test_customer_events_are_v2_with_the_preferred_locale_and_meet_their_contract() -> None:
    cmd = CreateCustomer(MERCHANT, name="Ann", email="a@b.co", preferred_locale="de")
    c, created = customer_domain.create("cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", cmd, NOW)
    assert (created.version, created.data["preferredLocale"]) == (2, "de")
    contracts.check(created.name, created.version, created.data)
    _, updated = customer_domain.update(c, {"preferred_locale": None}, NOW + timedelta(minutes=1))
    assert updated is not None and updated.version == 2
    assert (updated.data["preferredLocale"], updated.data["changed"]) == (None, ["preferredLocale"])
    contracts.check(updated.name, updated.version, updated.data)


def test_the_v2_contracts_refuse_a_missing_or_malformed_locale_and_v1_still_reads_old_events() -> None:
    _, event = customer_domain.create(
        "cus_01ARZ3NDEKTSV4RRFFQ69G5FAV", CreateCustomer(MERCHANT, "Ann", "a@b.co"), NOW
    )
    old = {k: v for k, v in event.data.items() if k != "preferredLocale"}
    contracts.check("CustomerCreated", 1, old)  # an event published before v2 stays readable
    with pytest.raises(contracts.ContractError, match="preferredLocale"):
        contracts.check("CustomerCreated", 2, old)
    with pytest.raises(contracts.ContractError, match="preferredLocale"):
        contracts.check("CustomerCreated", 2, event.data | {"preferredLocale": "German"})
    with pytest.raises(contracts.ContractError):
        contracts.check("CustomerCreated", 1, event.data)  # v1 knows no preferredLocale
