"""Helpers of the one-off item and manual invoice tests: a customer and a tax rule as the worker
records them from customers' and orders' events, and the item and invoice calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from documents_testing import customer_created
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event

from billing_shared.ids import new_id as platform_id

CATEGORY = "services"


def customer(app: Flask, country: str = "DE", customer_id: str | None = None) -> str:
    """CustomerCreated of a buyer in `country`, as the worker records it; its id."""
    cid = customer_id or platform_id("cus")
    address = {"line1": "Unter den Linden 1", "city": "Berlin", "country": country}
    data = customer_created(
        cid, name="Greta Beispiel", email="greta@example.com", billingAddress=address, taxId=None
    )
    deliver(app, event("CustomerCreated", data, source="/customers"))
    return cid


def tax_rule(app: Flask, country: str = "DE", rate: str = "0.19", category: str | None = CATEGORY) -> str:
    """TaxRuleCreated of an exclusive rule for `country` and `category`; its id."""
    rule_id = platform_id("txr")
    now = datetime.now(UTC).isoformat()
    data = {
        "id": rule_id,
        "name": f"VAT {country}",
        "country": country,
        "region": None,
        "taxCategory": category,
        "rate": rate,
        "inclusive": False,
        "active": True,
        "validFrom": None,
        "validTo": None,
        "changedAt": now,
    }
    deliver(app, event("TaxRuleCreated", data))
    return rule_id


def add_item(client: FlaskClient, admin: dict[str, str], customer_id: str, **body: Any) -> dict[str, Any]:
    """POST /InvoiceItems (default: 50.00 USD of setup fee in the taxed category), asserted 201."""
    body = {"description": "Einrichtungsgebühr", "currency": "USD", "taxCategory": CATEGORY} | body
    if "unitPrice" not in body:
        body.setdefault("amount", 5000)
    r = client.post(
        "/api/v1/InvoiceItems",
        json={"customerId": customer_id, **body},
        headers=admin | {"Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.json
    item: dict[str, Any] = r.json
    return item


def manual_invoice(client: FlaskClient, admin: dict[str, str], customer_id: str, **body: Any) -> Any:
    """POST /Invoices {customerId, includePendingItems: true, ...}: the response, unchecked."""
    return client.post(
        "/api/v1/Invoices",
        json={"customerId": customer_id, "includePendingItems": True, **body},
        headers=admin | {"Idempotency-Key": str(uuid.uuid4())},
    )


def items_of(client: FlaskClient, admin: dict[str, str], customer_id: str, status: str = "") -> list[Any]:
    query = f"customerId={customer_id}&limit=100" + (f"&status={status}" if status else "")
    r = client.get(f"/api/v1/InvoiceItems?{query}", headers=admin)
    assert r.status_code == 200, r.json
    found: list[Any] = r.json["data"]
    return found
