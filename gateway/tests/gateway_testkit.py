"""Test kit: a stub customers service and gateways on free 127.0.0.1 ports, on one background loop.

Tests talk to them over real HTTP with `requests`, the way a client would. The module has a
unique name (not conftest) so test files can import its helpers unambiguously.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import uvloop
from aiohttp import web
from multidict import CIMultiDict

from gateway.app import GATEWAY_KEY, Gateway, create_app
from gateway.config import GatewaySettings
from gateway.migrate import upgrade
from gateway.store import Store

T = TypeVar("T")


class Loop:
    """An event loop in a thread; `run()` executes a coroutine on it and waits."""

    def __init__(self) -> None:
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="session")
def loop() -> Iterator[Loop]:
    lp = Loop()
    yield lp
    lp.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


STUB_OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "customers", "version": "1"},
    "tags": [{"name": "Customers"}],
    "paths": {
        "/api/v1/Customers": {"get": {"tags": ["Customers"], "responses": {"200": {"description": "ok"}}}},
        "/api/v1/Customers/{customerId}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Customer"}}
                        },
                    },
                    "default": {"$ref": "#/components/responses/DEFAULT_ERROR"},
                }
            }
        },
    },
    "components": {
        "schemas": {
            "Customer": {"type": "object", "properties": {"id": {"type": "string"}}},
            # Same name as the gateway's own AccessToken but a different shape: must be renamed.
            "AccessToken": {"type": "string"},
        },
        "responses": {"DEFAULT_ERROR": {"description": "Default error response"}},
    },
}


@dataclass
class Stub:
    """Stands in for the customers service; records what reached it."""

    url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    ready: bool = True
    customers: set[str] = field(default_factory=lambda: {"cus_1"})
    # Stands in for an outside OIDC provider's key set too.
    oidc_jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/openapi.json", self.openapi)
        app.router.add_get("/oidc/jwks.json", self.oidc)
        app.router.add_route("*", "/api/v1/{tail:.*}", self.api)
        return app

    async def readyz(self, request: web.Request) -> web.Response:
        return web.json_response({"ready": self.ready}, status=200 if self.ready else 503)

    async def oidc(self, request: web.Request) -> web.Response:
        return web.json_response(self.oidc_jwks)

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(STUB_OPENAPI)

    async def api(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        call = {
            "method": request.method,
            "path_qs": request.rel_url.raw_path_qs,
            "headers": CIMultiDict(request.headers),
            "body": body,
        }
        self.calls.append(call)
        tail = request.match_info["tail"]
        if tail == "Customers/slow":
            await asyncio.sleep(3)
        if tail == "Customers/big":
            resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            for _ in range(32):
                await resp.write(b"x" * 65536)
            await resp.write_eof()
            return resp
        if tail.startswith("Customers/") and request.method in ("GET", "HEAD"):
            cid = tail.split("/", 1)[1]
            if cid not in self.customers and cid not in ("echo",):
                return web.json_response(
                    {"title": "Not Found"}, status=404, content_type="application/problem+json"
                )
        echo = {
            "method": request.method,
            "path_qs": call["path_qs"],
            "length": len(body),
            "headers": dict(request.headers),
        }
        return web.json_response(
            echo, status=201 if request.method == "POST" else 200, headers={"X-Stub": "1"}
        )


@pytest.fixture(scope="session")
def stub(loop: Loop) -> Iterator[Stub]:
    s = Stub()
    port = free_port()
    s.url = f"http://127.0.0.1:{port}"
    runner = loop.run(_start(s.app(), port))
    yield s
    loop.run(runner.cleanup())


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    store: Store
    settings: GatewaySettings
    loop: Loop
    admin_id: str = ""
    admin_secret: str = ""

    def token(self, scope: str | None = None, client: tuple[str, str] | None = None) -> str:
        cid, secret = client or (self.admin_id, self.admin_secret)
        data = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
        if scope is not None:
            data["scope"] = scope
        resp = requests.post(f"{self.url}/api/v1/Auth/token", data=data, timeout=10)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    def get(self, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, headers=headers, timeout=10, **kw)

    def refresh(self) -> None:
        self.loop.run(self.gateway.refresh())


GatewayFactory = Callable[..., RunningGateway]


@pytest.fixture(scope="session")
def make_gateway(
    loop: Loop, stub: Stub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayFactory]:
    runners: list[web.AppRunner] = []

    def make(**overrides: Any) -> RunningGateway:
        db = Path(tmp_path_factory.mktemp("gw")) / "gateway.db"
        port = free_port()
        values: dict[str, Any] = {
            "gateway_port": port,
            "database_url": f"sqlite:///{db}",
            "customers_url": stub.url,
            "orders_url": f"http://127.0.0.1:{free_port()}",  # nothing listens there
            "jwt_issuer": "http://127.0.0.1:8080",
            "upstream_timeout": 1.0,
            "gateway_services": "customers",
            "rate_limit_client": "20000/second",
            "rate_limit_token": "1000/minute",
        }
        values.update(overrides)
        settings = GatewaySettings(**values)
        upgrade(settings.database_url)
        store = Store(settings.database_url)
        store.ensure_keys(settings.signing_alg)
        client, secret = store.create_client("admin", frozenset(_all_scopes()))
        app = create_app(settings, store)
        runners.append(loop.run(_start(app, port)))
        return RunningGateway(
            url=f"http://127.0.0.1:{port}",
            gateway=app[GATEWAY_KEY],
            store=store,
            settings=settings,
            loop=loop,
            admin_id=client.id,
            admin_secret=secret,
        )

    yield make
    for runner in runners:
        loop.run(runner.cleanup())


def _all_scopes() -> tuple[str, ...]:
    from billing_shared.auth.scopes import ALL_SCOPES

    return ALL_SCOPES


@pytest.fixture(scope="session")
def gw(make_gateway: GatewayFactory) -> RunningGateway:
    return make_gateway()


def problem(resp: requests.Response, status: int) -> dict[str, Any]:
    """Assert a problem+json answer with this status and return its body."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = json.loads(resp.text)
    assert body["status"] == status and body["detail"]
    return body
