"""`gateway`: serve, migrate, and the operator's verbs for API clients and signing keys."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from billing_shared.auth import scopes as scope_names
from billing_shared.logs import configure_logging
from gateway.config import GatewaySettings
from gateway.migrate import upgrade
from gateway.store import Store


def _store(settings: GatewaySettings) -> Store:
    """Every verb converges the schema first (a no-op when current), so a bare machine needs no
    separate step; `migrate` exists for deployments that run it as its own job."""
    upgrade(settings.database_url)
    return Store(settings.database_url)


def cmd_serve(settings: GatewaySettings, args: argparse.Namespace) -> int:
    import uvloop
    from aiohttp import web

    from gateway.app import create_app

    store = _store(settings)
    if store.ensure_keys(settings.signing_alg):
        logging.getLogger("gateway").info("created the first signing keys (current + next)")
    app = create_app(settings, store)
    access_log = logging.getLogger("aiohttp.access") if settings.gateway_access_log else None
    logging.getLogger("gateway").info(
        "gateway listening", extra={"url": f"http://{settings.gateway_host}:{settings.gateway_port}"}
    )
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=access_log,
        print=None,
        backlog=1024,
        reuse_address=True,
        shutdown_timeout=10,
        loop=uvloop.new_event_loop(),
        # Header fields up to 16 KiB reach the proxy, which refuses those over MAX_FIELD_BYTES as a
        # problem+json 431 (aiohttp's own limit, 8 KiB, would answer a plain-text 400).
        max_field_size=16384,
    )
    return 0


def cmd_migrate(settings: GatewaySettings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    print(f"database at head: {settings.database_url}")
    return 0


def _parse_scopes(text: str) -> frozenset[str]:
    scopes = scope_names.parse(text.replace(",", " "))
    bad = scope_names.unknown(scopes)
    if bad:
        raise SystemExit(f"unknown scopes {bad}; known: {' '.join(scope_names.ALL_SCOPES)}")
    return scopes


def cmd_clients_create(settings: GatewaySettings, args: argparse.Namespace) -> int:
    try:
        client, secret = _store(settings).create_client(args.name, _parse_scopes(args.scopes), args.id)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"client_id:     {client.id}")
    print(f"client_secret: {secret}")
    print(f"scopes:        {scope_names.format_scopes(client.scopes)}")
    print("The secret is shown only now; store it safely.", file=sys.stderr)
    return 0


def cmd_clients_list(settings: GatewaySettings, args: argparse.Namespace) -> int:
    for c in _store(settings).list_clients():
        state = "disabled" if c.disabled else "active"
        created = c.created_at.isoformat(timespec="seconds")
        print(f"{c.id}\t{state}\t{created}\t{c.name}\t{scope_names.format_scopes(c.scopes)}")
    return 0


def cmd_clients_disable(settings: GatewaySettings, args: argparse.Namespace) -> int:
    if not _store(settings).disable_client(args.id):
        print(f"error: no API client with id '{args.id}'", file=sys.stderr)
        return 1
    print(f"disabled {args.id} (its tokens are refused within GATEWAY_REFRESH_SECONDS)")
    return 0


def cmd_keys_rotate(settings: GatewaySettings, args: argparse.Namespace) -> int:
    store = _store(settings)
    store.ensure_keys(settings.signing_alg)
    current, nxt = store.rotate_keys(settings.signing_alg)
    print(f"current: {current}\nnext:    {nxt}")
    print("A running gateway signs with the new key within GATEWAY_REFRESH_SECONDS.", file=sys.stderr)
    return 0


def cmd_keys_list(settings: GatewaySettings, args: argparse.Namespace) -> int:
    for k in _store(settings).list_keys():
        retired = k.retired_at.isoformat(timespec="seconds") if k.retired_at else "-"
        print(f"{k.kid}\t{k.alg}\t{k.state}\t{k.created_at.isoformat(timespec='seconds')}\t{retired}")
    return 0


def cmd_demo_client(settings: GatewaySettings, args: argparse.Namespace) -> int:
    """Idempotent: keep the file if its client still exists, is enabled and its secret matches."""
    from gateway.clients import _check

    out = Path(args.out)
    store = _store(settings)
    if out.exists():
        try:
            saved = json.loads(out.read_text())
            client = store.get_client(saved["client_id"])
            if client and not client.disabled and _check(client.secret_hash, saved["client_secret"]):
                print(f"kept {out} (client {client.id})")
                return 0
        except (ValueError, KeyError, TypeError):
            pass
    client, secret = store.create_client("demo", frozenset(scope_names.ALL_SCOPES))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"client_id": client.id, "client_secret": secret}, fh, indent=2)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, out)
    print(f"wrote {out} (client {client.id})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="The billing platform's API gateway.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "serve", help="run the gateway (creates the first signing keys if none exist)"
    ).set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="bring the gateway's database schema to head").set_defaults(
        func=cmd_migrate
    )

    clients = sub.add_parser("clients", help="API clients").add_subparsers(
        dest="clients_command", required=True
    )
    create = clients.add_parser("create", help="create a client; prints its id and secret once")
    create.add_argument("name")
    create.add_argument("--scopes", required=True, help='space-separated, e.g. "customers:read orders:write"')
    create.add_argument("--id", help="choose the client id (default: cli_<ulid>)")
    create.set_defaults(func=cmd_clients_create)
    clients.add_parser("list", help="list clients").set_defaults(func=cmd_clients_list)
    disable = clients.add_parser("disable", help="disable a client (its tokens stop working)")
    disable.add_argument("id")
    disable.set_defaults(func=cmd_clients_disable)

    keys = sub.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate", help="next -> current, new next, old current -> retired").set_defaults(
        func=cmd_keys_rotate
    )
    keys.add_parser("list", help="list signing keys").set_defaults(func=cmd_keys_list)

    demo = sub.add_parser("demo-client", help="ensure a client holding every scope; write its credentials")
    demo.add_argument("--out", default="var/demo-credentials.json")
    demo.set_defaults(func=cmd_demo_client)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = GatewaySettings()
    configure_logging(settings.service_name, settings.log_level)
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
