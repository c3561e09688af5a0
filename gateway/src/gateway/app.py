"""`create_app(settings)`: the aiohttp application and the state it runs on, wired in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from billing_shared import correlation
from billing_shared.auth.keys import SigningKey
from billing_shared.auth.verifier import TokenVerifier
from billing_shared.errors import Problem
from gateway.clients import ClientDirectory
from gateway.config import UPSTREAMS, GatewaySettings
from gateway.keyring import Issuer, KeyRing
from gateway.metrics import Metrics
from gateway.openapi import SWAGGER_PAGE, OpenApi
from gateway.problems import json_response, problem_response
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimits
from gateway.readiness import Readiness
from gateway.store import Store
from gateway.tokens import TokenEndpoints

log = logging.getLogger("gateway")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

GATEWAY_KEY: web.AppKey[Gateway] = web.AppKey("gateway")
# Verifiers elsewhere may be up to this many seconds behind a rotation; retired keys stay published
# for the longest token lifetime plus this margin.
PUBLISH_MARGIN_SECONDS = 120


class Gateway:
    """Everything a request may need, built once; the DB is read here, never on the request path."""

    def __init__(self, settings: GatewaySettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.services = settings.enabled_services
        self.clients = ClientDirectory(store)
        self.verifier = TokenVerifier(
            jwks={"keys": []},
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            oidc_issuer=settings.oidc_issuer,
            oidc_jwks_url=settings.oidc_jwks_url,
        )
        self.issuer = Issuer(settings.jwt_issuer, settings.jwt_audience, settings.token_ttl_seconds)
        self.limits = RateLimits(settings.rate_limit_client, settings.rate_limit_token)
        self.metrics = Metrics()
        self.urls = {name: settings.upstream_url(name) for name in UPSTREAMS}
        self.proxy = Proxy(
            verifier=self.verifier,
            clients=self.clients,
            limits=self.limits,
            metrics=self.metrics,
            upstreams=self.urls,
            max_body_bytes=settings.max_body_bytes,
        )
        self.readiness = Readiness(self.services, self.urls, self.proxy.sessions, store.ping)
        self.openapi = OpenApi(self.services, self.urls, self.proxy.sessions)
        self.tokens = TokenEndpoints(
            clients=self.clients,
            issuer=self.issuer,
            limits=self.limits,
            proxy=self.proxy,
            signing_key=self.signing_key,
            customers_url=settings.customers_url,
        )
        self.keyring: KeyRing | None = None

    def signing_key(self) -> SigningKey:
        if self.keyring is None:
            raise Problem(503, "The gateway has no signing key loaded yet; retry shortly.")
        return self.keyring.current

    async def refresh(self) -> None:
        """Reload keys and clients (a `keys rotate` or `clients disable` from the CLI lands here)."""
        loop = asyncio.get_running_loop()
        records = await loop.run_in_executor(None, self.store.list_keys)
        keyring = KeyRing.build(records, self.settings.token_ttl_seconds + PUBLISH_MARGIN_SECONDS)
        self.verifier.set_jwks(keyring.jwks)
        self.keyring = keyring
        await self.clients.reload()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gateway_refresh_seconds)
            self.limits.storage.sweep()
            try:
                await self.refresh()
            except Exception:  # keep serving with what we have; the next round may succeed
                log.exception("refreshing keys and clients failed")

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        s = self.settings
        timeout = aiohttp.ClientTimeout(total=s.upstream_timeout, connect=s.upstream_connect_timeout)
        for name in UPSTREAMS:
            connector = aiohttp.TCPConnector(
                limit=s.upstream_pool_size, limit_per_host=s.upstream_pool_size, keepalive_timeout=30
            )
            self.proxy.sessions[name] = aiohttp.ClientSession(
                connector=connector,
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                # Forward exactly what the client sent: no User-Agent, and above all no
                # Accept-Encoding it didn't ask for (we pass bodies through undecoded).
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
                trust_env=False,
            )
        await self.refresh()
        task = asyncio.create_task(self._refresh_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            for session in self.proxy.sessions.values():
                await session.close()
            self.proxy.sessions.clear()

    # --- the gateway's own small endpoints ------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        return json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        checks = await self.readiness.check()
        failing = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
        if failing:
            problem = Problem(503, "Not ready: " + "; ".join(failing) + ".", extra={"checks": checks})
            return problem_response(problem, instance=request.path)
        return json_response({"status": "ready", "checks": checks})

    async def metrics_endpoint(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), content_type="text/plain", charset="utf-8")

    async def jwks(self, request: web.Request) -> web.Response:
        if self.keyring is None:
            return problem_response(Problem(503, "No signing keys loaded yet."), instance=request.path)
        return web.Response(
            body=self.keyring.jwks_body,
            content_type="application/json",
            headers={"Cache-Control": "public, max-age=60"},
        )

    async def openapi_json(self, request: web.Request) -> web.Response:
        return web.Response(body=await self.openapi.document(), content_type="application/json")

    async def docs(self, request: web.Request) -> web.Response:
        return web.Response(text=SWAGGER_PAGE, content_type="text/html")

    async def not_found(self, request: web.Request) -> web.Response:
        request_id = correlation.accept(request.headers.get(correlation.HEADER))
        problem = Problem(404, f"Nothing at {request.path}; the API lives under /api/v1 (see /api/v1/docs).")
        return problem_response(problem, request_id, request.path)


def _only(method: str, handler: Handler) -> Handler:
    """Serve one method; any other is a problem+json 405 (aiohttp's own would be plain text)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        if request.method != method and not (method == "GET" and request.method == "HEAD"):
            problem = Problem(405, f"Use {method} here.", headers={"Allow": method})
            return problem_response(problem, instance=request.path)
        return await handler(request)

    return wrapped


def create_app(settings: GatewaySettings, store: Store | None = None) -> web.Application:
    gateway = Gateway(settings, store or Store(settings.database_url))
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[GATEWAY_KEY] = gateway
    app.cleanup_ctx.append(gateway.lifecycle)
    r = app.router
    r.add_route("*", "/healthz", _only("GET", gateway.healthz))
    r.add_route("*", "/readyz", _only("GET", gateway.readyz))
    r.add_route("*", "/metrics", _only("GET", gateway.metrics_endpoint))
    r.add_route("*", "/.well-known/jwks.json", _only("GET", gateway.jwks))
    r.add_route("*", "/api/v1/Auth/token", gateway.tokens.token)
    r.add_route("*", "/api/v1/Auth/customer-tokens", gateway.tokens.customer_token)
    r.add_route("*", "/api/v1/openapi.json", _only("GET", gateway.openapi_json))
    r.add_route("*", "/api/v1/docs", _only("GET", gateway.docs))
    r.add_route("*", "/api/v1/docs/", _only("GET", gateway.docs))
    r.add_static("/api/v1/docs/static", swagger_ui_path, append_version=False)
    # [\s\S], not `.`: a path may hold a decoded CR or LF (%0d%0a), and it must still reach the
    # proxy (or the problem+json 404), never aiohttp's plain-text 404.
    r.add_route("*", "/api/v1/{tail:[\\s\\S]*}", gateway.proxy.handle)
    r.add_route("*", "/{tail:[\\s\\S]*}", gateway.not_found)
    return app
