"""The gateway's own SQLite file: tokens, customers and their saved payment methods, setup intents, charges,
refunds, idempotency keys and outgoing webhooks.

A file under VAR_DIR, so a restart keeps charges and undelivered webhooks (a real provider does not
forget either). One connection, used from the event loop only: every operation runs start to finish
without yielding, so each is atomic within the process, and BEGIN IMMEDIATE keeps it so if a second
process ever opens the same file.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, brand TEXT NOT NULL, last4 TEXT NOT NULL, behaviour TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, email TEXT, created INTEGER NOT NULL);
-- A card saved for a customer (from a token); customer NULL once detached, and then unusable.
CREATE TABLE IF NOT EXISTS payment_methods (
    id TEXT PRIMARY KEY, customer TEXT REFERENCES customers (id), brand TEXT NOT NULL,
    last4 TEXT NOT NULL, exp_month INTEGER NOT NULL, exp_year INTEGER NOT NULL,
    behaviour TEXT NOT NULL, created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_methods_customer ON payment_methods (customer);
-- A card to be saved without a charge, authenticated first when its bank asks (3DS).
CREATE TABLE IF NOT EXISTS setup_intents (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, customer TEXT NOT NULL REFERENCES customers (id),
    brand TEXT NOT NULL, last4 TEXT NOT NULL, behaviour TEXT NOT NULL, exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL, payment_method TEXT, return_url TEXT, failure_code TEXT,
    failure_message TEXT, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS charges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    amount_refunded INTEGER NOT NULL DEFAULT 0,
    capture_method TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    token TEXT NOT NULL,
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    behaviour TEXT NOT NULL,
    failure_code TEXT,
    failure_message TEXT,
    metadata TEXT NOT NULL,
    return_url TEXT,
    created INTEGER NOT NULL,
    dispute_due REAL,
    dispute_id TEXT,
    dispute_created INTEGER
);
CREATE INDEX IF NOT EXISTS charges_created ON charges (created, seq);
CREATE INDEX IF NOT EXISTS charges_dispute_due ON charges (dispute_due) WHERE dispute_due IS NOT NULL;
CREATE TABLE IF NOT EXISTS refunds (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    charge TEXT NOT NULL REFERENCES charges (id),
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT,
    status TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_charge ON refunds (charge);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    charge TEXT NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS events_due ON events (next_attempt) WHERE status = 'pending';
"""


def new_id(prefix: str) -> str:
    """Unguessable ids (96 random bits): knowing one charge's id tells nothing about another's."""
    return f"{prefix}_{secrets.token_hex(12)}"


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._add_columns("tokens", exp_month="INTEGER", exp_year="INTEGER")
        self._add_columns("charges", payment_method="TEXT", customer="TEXT")
        self.page_secret = self._meta_secret("page_secret")

    def _add_columns(self, table: str, **columns: str) -> None:
        """Columns added after a file was made: a file kept from an earlier version gets them."""
        have = {r["name"] for r in self.db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def _meta_secret(self, key: str) -> str:
        """A random secret made once per file, so signed 3DS links stay valid across restarts."""
        with self.tx():
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            if row:
                return str(row["value"])
            value = secrets.token_hex(32)
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
            return value

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()
