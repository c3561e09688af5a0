"""The payment gateways: what each offers here, the admin's switch, and which one takes a new intent."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_shared.db.uow import UnitOfWork
from billing_shared.errors import Problem, not_found
from payments.adapters.registry import HOW_TO_CONFIGURE
from payments.bootstrap import Deps
from payments.domain import gateways
from payments.domain.commands import SwitchGateway
from payments.domain.gateways import KNOWN, Gateway
from payments.store.gateway_switches import GatewaySwitches


def list_gateways(uow: UnitOfWork, deps: Deps) -> list[Gateway]:
    """Every gateway this platform knows, configured here or not."""
    switches = GatewaySwitches(uow.session).all()
    return [Gateway.of(g, deps.providers.get(g), switches.get(g, True)) for g in KNOWN]


def get_gateway(uow: UnitOfWork, deps: Deps, gateway_id: str) -> Gateway:
    if gateway_id not in KNOWN:
        raise not_found("payment gateway", gateway_id)
    switched_on = GatewaySwitches(uow.session).all().get(gateway_id, True)
    return Gateway.of(gateway_id, deps.providers.get(gateway_id), switched_on)


def switch_gateway(uow: UnitOfWork, deps: Deps, cmd: SwitchGateway) -> Gateway:
    """On or off for new intents (the caller is an admin). A gateway not configured here cannot be
    switched on: the answer says which settings it needs."""
    if cmd.gateway_id not in KNOWN:
        raise not_found("payment gateway", cmd.gateway_id)
    if cmd.enabled and cmd.gateway_id not in deps.providers:
        raise Problem(
            409,
            f"Gateway '{cmd.gateway_id}' is not configured in this environment: "
            f"{HOW_TO_CONFIGURE[cmd.gateway_id]}.",
        )
    GatewaySwitches(uow.session).set(cmd.gateway_id, cmd.enabled, datetime.now(UTC))
    return Gateway.of(cmd.gateway_id, deps.providers.get(cmd.gateway_id), cmd.enabled)


def choose_gateway(deps: Deps, requested: str | None, *, currency: str | None, capture_method: str) -> str:
    """The gateway a new intent goes to, read in a transaction of its own (the intent's request
    opens none before the provider has answered); 422 naming the field when none can take it."""
    with deps.db.unit_of_work(write=False) as uow:
        switches = GatewaySwitches(uow.session).all()
    return gateways.choose(
        requested,
        currency=currency,
        capture_method=capture_method,
        providers=deps.providers,
        switches=switches,
    )
