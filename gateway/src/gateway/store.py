"""The gateway's own database: API clients and signing keys (SQLAlchemy 2; SQLite or PostgreSQL).

Only the CLI, startup and the periodic refresh touch it; the request path reads in-memory copies.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Boolean, DateTime, String, Text, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from ulid import ULID

from billing_shared.auth import scopes as scope_names
from billing_shared.auth.keys import SigningKey, generate_key, load_key
from billing_shared.db.engine import make_engine
from billing_shared.db.timestamps import aware

STATE_NEXT = "next"
STATE_CURRENT = "current"
STATE_RETIRED = "retired"
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")

# One hasher for the process; argon2id with the library's defaults (RFC 9106 "low memory").
hasher = PasswordHasher()


class Base(DeclarativeBase):
    pass


class ApiClientRow(Base):
    __tablename__ = "api_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    # Dropped when the key retires: after that only its public half is ever needed.
    private_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class ApiClient:
    id: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    disabled: bool
    secret_hash: str


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    alg: str
    state: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None
    signing_key: SigningKey | None


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # --- API clients -------------------------------------------------------------------------

    def create_client(
        self, name: str, scopes: frozenset[str], client_id: str | None = None
    ) -> tuple[ApiClient, str]:
        """Returns the client and its secret; only the argon2 hash is stored, so this is the one look."""
        bad = scope_names.unknown(scopes)
        if bad:
            raise ValueError(f"Unknown scopes {bad}; known: {' '.join(scope_names.ALL_SCOPES)}.")
        if client_id is not None and not CLIENT_ID_PATTERN.match(client_id):
            raise ValueError("A client id is 3-64 characters of letters, digits, '_', '.', '-'.")
        cid = client_id or f"cli_{str(ULID()).lower()}"
        secret = secrets.token_urlsafe(32)
        row = ApiClientRow(
            id=cid,
            secret_hash=hasher.hash(secret),
            name=name,
            scopes=scope_names.format_scopes(scopes),
            created_at=_now(),
            disabled=False,
        )
        with self.session() as s:
            if s.get(ApiClientRow, cid) is not None:
                raise ValueError(f"An API client with id '{cid}' already exists.")
            s.add(row)
        return _client(row), secret

    def list_clients(self) -> list[ApiClient]:
        with self.session() as s:
            return [_client(r) for r in s.scalars(select(ApiClientRow).order_by(ApiClientRow.created_at))]

    def get_client(self, client_id: str) -> ApiClient | None:
        with self.session() as s:
            row = s.get(ApiClientRow, client_id)
            return _client(row) if row else None

    def disable_client(self, client_id: str) -> bool:
        with self.session() as s:
            row = s.get(ApiClientRow, client_id)
            if row is None:
                return False
            row.disabled = True
            return True

    # --- signing keys ------------------------------------------------------------------------

    def list_keys(self) -> list[KeyRecord]:
        with self.session() as s:
            return [_key(r) for r in s.scalars(select(SigningKeyRow).order_by(SigningKeyRow.created_at))]

    def ensure_keys(self, alg: str) -> bool:
        """First start: a current key to sign with and a next one already published. True if created."""
        with self.session() as s:
            states = set(s.scalars(select(SigningKeyRow.state).where(SigningKeyRow.state != STATE_RETIRED)))
            created = False
            if STATE_CURRENT not in states:
                s.add(_new_row(alg, STATE_CURRENT))
                created = True
            if STATE_NEXT not in states:
                s.add(_new_row(alg, STATE_NEXT))
                created = True
            return created

    def rotate_keys(self, alg: str) -> tuple[str, str]:
        """next -> current, a fresh next, old current -> retired (published until its tokens expire).

        Services already know the new current key: it was published as `next`. Returns the kids
        of the new current and new next key.
        """
        with self.session() as s:
            rows = list(s.scalars(select(SigningKeyRow).where(SigningKeyRow.state != STATE_RETIRED)))
            now = _now()
            nxt = next((r for r in rows if r.state == STATE_NEXT), None)
            for r in rows:
                if r.state == STATE_CURRENT:
                    r.state, r.retired_at, r.private_pem = STATE_RETIRED, now, None
            s.flush()
            if nxt is None:
                nxt = _new_row(alg, STATE_CURRENT)
                s.add(nxt)
            nxt.state = STATE_CURRENT
            fresh = _new_row(alg, STATE_NEXT)
            s.add(fresh)
            return nxt.kid, fresh.kid


def _new_row(alg: str, state: str) -> SigningKeyRow:
    key = generate_key(alg)
    return SigningKeyRow(
        kid=key.kid,
        alg=alg,
        private_pem=key.private_pem(),
        public_jwk=json.dumps(key.public_jwk(), sort_keys=True),
        state=state,
        created_at=_now(),
        retired_at=None,
    )


def _client(row: ApiClientRow) -> ApiClient:
    return ApiClient(
        id=row.id,
        name=row.name,
        scopes=scope_names.parse(row.scopes),
        created_at=aware(row.created_at) or _now(),
        disabled=bool(row.disabled),
        secret_hash=row.secret_hash,
    )


def _key(row: SigningKeyRow) -> KeyRecord:
    signing = load_key(row.private_pem, row.alg, row.kid) if row.private_pem else None
    return KeyRecord(
        kid=row.kid,
        alg=row.alg,
        state=row.state,
        public_jwk=json.loads(row.public_jwk),
        created_at=aware(row.created_at) or _now(),
        retired_at=aware(row.retired_at),
        signing_key=signing,
    )
