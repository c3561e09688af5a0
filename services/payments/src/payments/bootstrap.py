"""Builds the payments service's collaborators once, for `app.py`, `worker.py` and `cli.py`."""

from __future__ import annotations

from dataclasses import dataclass

from billing_shared.db.uow import Database
from billing_shared.deps import BaseDeps
from billing_shared.hosted.links import HostedLinks
from payments.adapters import registry
from payments.config import PaymentsSettings
from payments.domain.payment_provider import PaymentProvider
from payments.store import tables


@dataclass(frozen=True)
class Deps(BaseDeps):
    settings: PaymentsSettings
    # The gateways configured in this environment, by gateway id (`payments.domain.gateways`).
    providers: dict[str, PaymentProvider]
    # Reads the hosted invoice link a customer pays through (the hosted checkout).
    hosted_links: HostedLinks


def bootstrap(
    settings: PaymentsSettings | None = None, *, providers: dict[str, PaymentProvider] | None = None
) -> Deps:
    """`providers` replaces the configured ones (tests: an in-memory gateway)."""
    s = settings or PaymentsSettings()
    return Deps(
        settings=s,
        db=Database(s.db_url(), tables.metadata, tables.kit_tables, service=s.service_name),
        providers=registry.build(s) if providers is None else providers,
        hosted_links=HostedLinks.of(s, s.var_dir),
    )
