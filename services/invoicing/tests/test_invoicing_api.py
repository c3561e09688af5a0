"""/api/v1/Invoices on PostgreSQL, with the order and payment events applied as the worker would."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import (
    deliver,
    event,
    new_id,
    order_created,
    order_paid_free,
    payment_succeeded,
    priced,
)
from sqlalchemy import func, select

from billing_devtools.testing.samples import envelope
from billing_shared.events import catalog
from billing_shared.inbox.consumer import EventConsumer, bind
from billing_shared.web.context import deps_of
from invoicing.bootstrap import Deps
from invoicing.domain.commands import RecordOrder
from invoicing.handlers import HANDLERS
from invoicing.store.orders import OrderProjection
from invoicing.store.tables import invoices, order_projection


def _outbox(app: Flask) -> list[str]:
    db = deps_of(app).db
    outbox = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(outbox.c.type).order_by(outbox.c.id)).all()
    return [r.type.split(".")[1] for r in rows]


def _count(app: Flask, table: Any = invoices) -> int:
    with deps_of(app).db.unit_of_work(write=False) as uow:
        return int(uow.session.execute(select(func.count()).select_from(table)).scalar_one())


def _invoice_of(client: FlaskClient, admin: dict[str, str], order_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/Invoices?orderId={order_id}", headers=admin)
    assert r.status_code == 200 and len(r.json["data"]) == 1, r.json
    found: dict[str, Any] = r.json["data"][0]
    return found


def test_order_created_makes_a_draft_with_the_orders_lines_and_totals(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    deliver(app, event("OrderCreated", order))  # a replay changes nothing
    inv = _invoice_of(client, admin, order["id"])
    assert inv["id"].startswith("in_") and inv["status"] == "draft" and inv["number"] is None
    assert inv["customerId"] == order["customerId"] and inv["currency"] == "USD"
    # an order published before names were carried: each line is labelled with its product id
    assert inv["lines"] == [
        line | {"name": line["productId"], "description": None} for line in order["lines"]
    ]
    for key in ("subtotal", "discountTotal", "taxTotal", "total"):
        assert inv[key] == order[key]
    assert inv["allowedActions"] == ["finalize", "void"]
    assert _outbox(app) == ["InvoiceCreated"] and _count(app) == 1
    one = client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin)
    assert one.status_code == 200 and one.json == inv and one.headers["ETag"]


def test_post_returns_the_orders_one_invoice(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    order = order_created()
    with deps_of(app).db.unit_of_work() as uow:  # the projection only, no draft yet
        OrderProjection(uow.session).add(RecordOrder.from_event(order), datetime.now(UTC))
        uow.commit()
    first = client.post("/api/v1/Invoices", json={"orderId": order["id"]}, headers=admin)
    assert first.status_code == 201, first.json
    assert first.headers["Location"] == f"/api/v1/Invoices/{first.json['id']}"
    again = client.post("/api/v1/Invoices", json={"orderId": order["id"]}, headers=admin)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    deliver(app, event("OrderCreated", order))
    assert _count(app) == 1 and _outbox(app) == ["InvoiceCreated"]


def test_post_for_an_unknown_order_is_422_after_a_bounded_wait(
    client: FlaskClient, admin: dict[str, str]
) -> None:
    started = time.monotonic()
    r = client.post("/api/v1/Invoices", json={"orderId": new_id("ord")}, headers=admin)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["errors"][0]["field"] == "orderId"
    assert 0.4 <= time.monotonic() - started < 3
    bad = client.post("/api/v1/Invoices", json={"orderId": "x", "extra": 1}, headers=admin)
    assert bad.status_code == 422


def test_post_right_after_the_order_waits_for_its_event(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created()

    def arrive_late() -> None:
        time.sleep(0.2)
        deliver(app, event("OrderCreated", order))

    threading.Thread(target=arrive_late).start()
    r = client.post("/api/v1/Invoices", json={"orderId": order["id"]}, headers=admin)
    assert r.status_code in (200, 201) and r.json["orderId"] == order["id"]
    assert _count(app) == 1


def test_payment_succeeded_finalizes_and_pays_in_one_go(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    paid = payment_succeeded(order)
    deliver(app, event("PaymentSucceeded", paid, "/payments"))
    deliver(app, event("PaymentSucceeded", paid, "/payments"))  # a replay changes nothing
    inv = _invoice_of(client, admin, order["id"])
    assert inv["status"] == "paid" and inv["number"].startswith("INV-") and inv["number"].endswith("-000001")
    assert inv["paymentIntentId"] == paid["id"] and inv["amountPaid"] == order["total"]
    assert inv["amountDue"] == 0 and inv["allowedActions"] == ["send"]
    assert _outbox(app) == ["InvoiceCreated", "InvoiceFinalized", "InvoicePaid"]


def test_a_payment_before_the_order_is_kept_until_the_order_arrives(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created()
    deliver(app, event("PaymentSucceeded", payment_succeeded(order), "/payments"))
    assert _count(app) == 0
    deliver(app, event("OrderCreated", order))
    inv = _invoice_of(client, admin, order["id"])
    assert inv["status"] == "paid" and inv["number"]
    assert _outbox(app) == ["InvoiceCreated", "InvoiceFinalized", "InvoicePaid"]


def test_an_order_of_zero_is_paid_without_a_payment(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order = order_created(order=priced([(1, 0)]))
    deliver(app, event("OrderCreated", order))
    deliver(app, event("OrderPaid", order_paid_free(order)))
    inv = _invoice_of(client, admin, order["id"])
    assert inv["status"] == "paid" and inv["total"] == 0 and inv["paymentIntentId"] is None and inv["number"]


def test_finalize_void_and_mark_uncollectible_follow_the_state_machine(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    first, second = order_created(), order_created()
    deliver(app, event("OrderCreated", first))
    deliver(app, event("OrderCreated", second))
    a, b = (_invoice_of(client, admin, o["id"])["id"] for o in (first, second))
    bad = client.post(f"/api/v1/Invoices/{a}/mark-uncollectible", headers=admin)
    assert bad.status_code == 409 and "draft" in bad.json["detail"]
    assert bad.mimetype == "application/problem+json"
    opened = client.post(f"/api/v1/Invoices/{a}/finalize", headers=admin)
    assert opened.status_code == 200 and opened.json["status"] == "open", opened.json
    assert opened.json["allowedActions"] == ["pay", "void", "mark-uncollectible", "send"]
    again = client.post(f"/api/v1/Invoices/{a}/finalize", headers=admin)
    assert again.status_code == 409 and "open" in again.json["detail"]
    lost = client.post(f"/api/v1/Invoices/{a}/mark-uncollectible", headers=admin)
    assert lost.status_code == 200 and lost.json["status"] == "uncollectible"
    assert client.post(f"/api/v1/Invoices/{a}/void", headers=admin).status_code == 409
    voided = client.post(f"/api/v1/Invoices/{b}/void", headers=admin)
    assert voided.status_code == 200 and voided.json["status"] == "void" and voided.json["number"] is None
    numbers = [client.get(f"/api/v1/Invoices/{i}", headers=admin).json["number"] for i in (a, b)]
    assert numbers[0].endswith("-000001") and numbers[1] is None
    stale = client.post(f"/api/v1/Invoices/{b}/void", headers=admin | {"If-Match": '"1"'})
    assert stale.status_code in (409, 412)
    assert client.post(f"/api/v1/Invoices/{new_id('in')}/void", headers=admin).status_code == 404


def test_a_payment_made_outside_any_gateway_pays_the_open_invoice(
    app: Flask, client: FlaskClient, admin: dict[str, str], tokens: Any
) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    inv = _invoice_of(client, admin, order["id"])
    body = {"paidOutOfBand": True, "reference": "wire 42"}
    draft = client.post(f"/api/v1/Invoices/{inv['id']}/pay", json=body, headers=admin)
    assert draft.status_code == 409 and "draft" in draft.json["detail"]
    client.post(f"/api/v1/Invoices/{inv['id']}/finalize", headers=admin)
    customer = {"Authorization": f"Bearer {tokens.token(customer_id=order['customerId'])}"}
    assert client.post(f"/api/v1/Invoices/{inv['id']}/pay", json=body, headers=customer).status_code == 403
    assert (
        client.post(
            f"/api/v1/Invoices/{inv['id']}/pay", json={"paidOutOfBand": False}, headers=admin
        ).status_code
        == 422
    )
    assert client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["status"] == "open"
    r = client.post(f"/api/v1/Invoices/{inv['id']}/pay", json=body, headers=admin)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["amountPaid"], r.json["amountDue"]) == ("paid", inv["total"], 0)
    assert (r.json["paidOutOfBand"], r.json["paymentReference"], r.json["paymentIntentId"]) == (
        True,
        "wire 42",
        None,
    )
    again = client.post(f"/api/v1/Invoices/{inv['id']}/pay", json=body, headers=admin)
    assert again.status_code == 409
    assert _outbox(app)[-1] == "InvoicePaid"
    outbox = deps_of(app).db.kit_tables.outbox
    with deps_of(app).db.unit_of_work(write=False) as uow:
        (row,) = uow.session.execute(
            select(outbox.c.type, outbox.c.data).where(outbox.c.type.like("%InvoicePaid%"))
        )
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    assert row.type == "billing.InvoicePaid.v5" and (data["paidOutOfBand"], data["paymentReference"]) == (
        True,
        "wire 42",
    )


def test_a_paid_invoice_cannot_be_voided(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    deliver(app, event("PaymentSucceeded", payment_succeeded(order), "/payments"))
    inv = _invoice_of(client, admin, order["id"])
    r = client.post(f"/api/v1/Invoices/{inv['id']}/void", headers=admin)
    assert r.status_code == 409 and "paid" in r.json["detail"]
    assert client.get(f"/api/v1/Invoices/{inv['id']}", headers=admin).json["status"] == "paid"


def test_list_filters_and_pages(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    cus = new_id("cus")
    orders = [order_created(customer_id=cus) for _ in range(3)] + [order_created()]
    for o in orders:
        deliver(app, event("OrderCreated", o))
    mine = client.get(f"/api/v1/Invoices?customerId={cus}&limit=2", headers=admin).json
    assert len(mine["data"]) == 2 and mine["hasMore"] is True
    rest = client.get(
        f"/api/v1/Invoices?customerId={cus}&limit=2&startingAfter={mine['data'][-1]['id']}", headers=admin
    ).json
    assert len(rest["data"]) == 1 and rest["hasMore"] is False
    assert client.get("/api/v1/Invoices?status=paid", headers=admin).json["data"] == []
    assert len(client.get("/api/v1/Invoices?status=draft", headers=admin).json["data"]) == 4
    assert client.get("/api/v1/Invoices?status=nope", headers=admin).status_code == 422


def test_scopes_and_customer_tokens(
    app: Flask, client: FlaskClient, bearer: Callable[..., dict[str, str]]
) -> None:
    mine, theirs = order_created(), order_created()
    for o in (mine, theirs):
        deliver(app, event("OrderCreated", o))
    reader = bearer("invoices:read")
    assert client.post("/api/v1/Invoices", json={"orderId": mine["id"]}, headers=reader).status_code == 403
    assert client.get("/api/v1/Invoices").status_code == 401
    me = bearer("invoices:read", "invoices:write", customer_id=mine["customerId"])
    listed = client.get("/api/v1/Invoices", headers=me).json["data"]
    assert [i["orderId"] for i in listed] == [mine["id"]]
    other = client.get(f"/api/v1/Invoices?orderId={theirs['id']}", headers=reader).json["data"][0]["id"]
    assert client.get(f"/api/v1/Invoices/{other}", headers=me).status_code == 404
    assert client.post("/api/v1/Invoices", json={"orderId": theirs["id"]}, headers=me).status_code == 422
    own = client.post("/api/v1/Invoices", json={"orderId": mine["id"]}, headers=me)
    assert own.status_code == 200
    assert client.post(f"/api/v1/Invoices/{own.json['id']}/finalize", headers=me).status_code == 403


class _Kafka:
    """One poll's records, handed to the worker's consumer as the broker would."""

    def __init__(self, records: list[Any]) -> None:
        self.records, self.committed = records, {}  # type: list[Any], dict[Any, Any]

    def poll(self, timeout_ms: int) -> dict[Any, list[Any]]:
        records, self.records = self.records, []
        return {"tp0": records} if records else {}

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.committed.update(offsets)


def _record(offset: int, name: str, data: dict[str, Any]) -> SimpleNamespace:
    """`data` as orders would publish the event `name`, as Kafka hands it to the worker."""
    key, headers, value = envelope(name, data, source="/orders").to_kafka()
    return SimpleNamespace(
        topic=catalog.TOPIC_ORDERS, partition=0, offset=offset, key=key, headers=headers, value=value
    )


def test_an_order_event_that_breaks_its_contract_is_parked_at_once_and_changes_nothing(
    app: Flask,
) -> None:
    broken = {"id": new_id("ord"), "customerId": "cus_1"}  # no priced order in it
    parked: list[dict[str, Any]] = []
    dlq = SimpleNamespace(
        send=lambda *a, **kw: parked.append(kw) or SimpleNamespace(get=lambda timeout: None)
    )
    kafka = _Kafka([_record(0, "OrderCreated", broken), _record(1, "OrderPaid", broken)])
    deps = deps_of(app, Deps)
    worker = EventConsumer(
        deps.db,
        kafka,  # type: ignore[arg-type]
        dlq,  # type: ignore[arg-type]
        name="invoicing",
        handlers=bind(HANDLERS, deps),
        backoff=0.0,
    )
    assert worker.poll_once() == 2
    assert [p["key"] for p in parked] == [broken["id"].encode()] * 2, "both parked, each once"
    errors = [dict(p["headers"])["dlq_error"].decode() for p in parked]
    assert all(e.startswith("breaks its contract") for e in errors), errors
    assert "OrderCreated v1 breaks its schema" in errors[0] and "OrderPaid v1" in errors[1], "the reason"
    assert kafka.committed["tp0"].offset == 2, "the consumer moved on past them"
    assert _count(app) == 0 and _count(app, order_projection) == 0 and _outbox(app) == []
    assert _count(app, deps.db.kit_tables.inbox) == 0, "a parked event is not recorded as applied"


def test_a_cancelled_order_voids_its_draft(app: Flask, client: FlaskClient, admin: dict[str, str]) -> None:
    order = order_created()
    deliver(app, event("OrderCreated", order))
    cancelled = {
        "id": order["id"],
        "customerId": order["customerId"],
        "cancelledAt": datetime.now(UTC).isoformat(),
    }
    deliver(app, event("OrderCancelled", cancelled))
    deliver(app, event("OrderCancelled", cancelled))
    inv = _invoice_of(client, admin, order["id"])
    assert inv["status"] == "void" and inv["number"] is None
    assert _outbox(app) == ["InvoiceCreated", "InvoiceVoided"]
