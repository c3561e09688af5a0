"""Migration 0003 upgrades a database that already holds intents (that every history builds the
tables the code declares is tests/test_migrations_match_tables.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from billing_shared.db.migrate import migrate
from payments.store.tables import payment_intents


def test_0003_keeps_existing_intents_and_makes_them_on_session(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'payments.sqlite3'}"
    migrate("payments", url, "0002")
    engine = create_engine(url)
    row = {
        "id": "pi_1",
        "order_id": "ord_1",
        "customer_id": "cus_1",
        "amount": 100,
        "currency": "EUR",
        "status": "succeeded",
        "gateway_id": "test",
        "capture_method": "automatic",
        "payment_method_token": "tok_visa",
        "amount_refunded": 0,
        "disputed": False,
        "provider_pending": False,
        "provider_attempts": 1,
        "client_id": "c",
        "version": 1,
        "created_at": "2026-11-25 00:00:00",
        "updated_at": "2026-11-25 00:00:00",
    }
    with engine.begin() as conn:
        cols = ", ".join(row)
        conn.execute(
            text(f"INSERT INTO payment_intents ({cols}) VALUES ({', '.join(':' + k for k in row)})"), row
        )
    migrate("payments", url)
    with engine.begin() as conn:
        got = conn.execute(select(payment_intents).where(payment_intents.c.id == "pi_1")).one()
        assert (got.order_id, got.invoice_id, got.attempt, got.off_session) == ("ord_1", None, None, False)
        renewal = row | {
            "id": "pi_2",
            "order_id": None,
            "invoice_id": "in_1",
            "attempt": 1,
            "off_session": True,
        }
        renewal |= {"created_at": got.created_at, "updated_at": got.updated_at}
        conn.execute(insert(payment_intents).values(**renewal))
    engine.dispose()
