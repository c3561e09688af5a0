"""Gapless invoice numbers on PostgreSQL: 200 drafts finalized in parallel threads get 1..200, no
gap, no duplicate; a finalization that rolls back gives its number back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from flask import Flask
from invoicing_testing import deliver, event, order_created, payment_succeeded
from sqlalchemy import select

from billing_shared.db.uow import Database
from billing_shared.web.context import deps_of
from invoicing.domain.invoices import PAID, SERIES
from invoicing.service_layer.invoices import finalize
from invoicing.store.invoices import InvoiceRepository
from invoicing.store.tables import invoices


def _drafts(app: Flask, n: int) -> list[str]:
    orders = [order_created() for _ in range(n)]
    for o in orders:
        deliver(app, event("OrderCreated", o))
    db: Database = deps_of(app).db
    with db.unit_of_work(write=False) as uow:
        return [r.id for r in uow.session.execute(select(invoices.c.id))]


def _finalize(db: Database, invoice_id: str, *, commit: bool = True) -> str | None:
    with db.unit_of_work() as uow:
        inv = InvoiceRepository(uow.session).get(invoice_id, for_update=True)
        assert inv is not None
        done = finalize(uow, inv, datetime.now(UTC))
        if commit:
            uow.commit()
        return done.number


def _seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_200_parallel_finalizations_take_1_to_200(app: Flask) -> None:
    db: Database = deps_of(app).db
    ids = _drafts(app, 200)
    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(lambda i: _finalize(db, i), ids))
    year = datetime.now(UTC).year
    assert all(n is not None and n.startswith(f"{SERIES}-{year}-") for n in numbers)
    assert sorted(_seq(n) for n in numbers if n) == list(range(1, 201))
    with db.unit_of_work(write=False) as uow:
        stored = [r.number for r in uow.session.execute(select(invoices.c.number))]
    assert sorted(stored) == sorted(numbers)


def test_a_rolled_back_finalization_leaves_no_hole(app: Flask) -> None:
    db: Database = deps_of(app).db
    a, b = _drafts(app, 2)
    assert _finalize(db, a, commit=False) is not None  # took a number, then rolled back
    first = _finalize(db, b)
    second = _finalize(db, a)
    assert first is not None and second is not None
    assert (_seq(first), _seq(second)) == (1, 2)


def test_200_orders_paid_in_parallel_get_200_gapless_numbers(app: Flask) -> None:
    db: Database = deps_of(app).db
    orders = [order_created() for _ in range(200)]
    for o in orders:
        deliver(app, event("OrderCreated", o))
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(
            pool.map(
                lambda o: deliver(app, event("PaymentSucceeded", payment_succeeded(o), "/payments")), orders
            )
        )
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(invoices.c.number, invoices.c.status)).all()
    assert {r.status for r in rows} == {PAID}
    assert sorted(_seq(r.number) for r in rows) == list(range(1, 201))
