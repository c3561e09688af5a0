"""The hot path: authorize, rate-limit and forward one /api/v1 request to the service that owns it.

Written for throughput: one handler, no middleware, pooled keep-alive connections per upstream,
the token check a dict lookup, headers copied in one pass, small bodies buffered and big ones
streamed both ways, and no log line per request.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import Mapping

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from billing_shared import correlation
from billing_shared.auth.principal import Principal
from billing_shared.auth.verifier import TokenVerifier, insufficient_scope, invalid_token, missing_token
from billing_shared.errors import Problem
from gateway.clients import ClientDirectory
from gateway.metrics import Metrics
from gateway.problems import problem_response
from gateway.ratelimit import RateLimits
from gateway.routes import API_PREFIX, ROUTES, Route, is_public

log = logging.getLogger("gateway.proxy")

REQUEST_ID = correlation.HEADER
# RFC 9110 §7.6.1 hop-by-hop fields: they describe one connection and never cross the proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the gateway itself (a client's copy is replaced, not trusted); `Expect` was already
# answered by our server, the upstream gets the whole body at once.
REQUEST_DROP = HOP_BY_HOP | {
    "expect",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-request-id",
}
RESPONSE_DROP = HOP_BY_HOP | {"content-length", "x-request-id"}
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
# Bodies up to this size are read whole (one write upstream); bigger ones are streamed.
STREAM_THRESHOLD = 64 * 1024
# What the gateway forwards stays inside what the services' HTTP server (gunicorn, see
# billing_shared.web.serve) parses, so a client never meets that server's own HTML error pages:
# a longer target is a 414 here, a longer header field a 431, both problem+json.
MAX_TARGET_BYTES = 8000
MAX_FIELD_BYTES = 16000
_PREFIX_LEN = len(API_PREFIX)


class Proxy:
    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        clients: ClientDirectory,
        limits: RateLimits,
        metrics: Metrics,
        upstreams: Mapping[str, str],
        max_body_bytes: int,
    ) -> None:
        self.verifier = verifier
        self.clients = clients
        self.limits = limits
        self.metrics = metrics
        self.upstreams = dict(upstreams)
        self.sessions: dict[str, aiohttp.ClientSession] = {}
        self.max_body_bytes = max_body_bytes
        # Request ids: a random per-process prefix and a counter. Unique, and no getrandom()
        # syscall per request as uuid4 would cost.
        prefix = secrets.token_hex(8)
        counter = itertools.count(1)
        self._mint_id = lambda: f"{prefix}{next(counter):08x}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        headers = request.headers
        incoming = headers.get(REQUEST_ID)
        request_id = correlation.accept(incoming) if incoming else self._mint_id()
        resource, _, rest = path[_PREFIX_LEN:].partition("/")
        route = ROUTES.get(resource)
        try:
            if route is None:
                raise Problem(404, f"No API resource '{resource}' under {API_PREFIX}; see /api/v1/docs.")
            if len(request.raw_path) > MAX_TARGET_BYTES:
                raise Problem(414, f"The URL is longer than {MAX_TARGET_BYTES} bytes; send less in it.")
            if "/." in path or "//" in path or "%2f" in request.raw_path.lower():
                _refuse_odd_path(path, request.raw_path)
            method = request.method
            if not is_public(method, resource, rest):
                principal = await self.authenticate(headers.get("Authorization"))
                scope = route.scope_for(method)
                if scope not in principal.scopes:
                    raise insufficient_scope(scope, principal.scopes)
                self.limits.hit_client(principal.client_id)
            response = await self._forward(request, route, request_id)
        except Problem as problem:
            response = problem_response(problem, request_id, path)
        self.metrics.count(route.family if route else "unknown", response.status)
        return response

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind an Authorization header; a cache hit is a dict lookup."""
        if not authorization or authorization[:7].lower() != "bearer ":
            raise missing_token()
        token = authorization[7:].strip()
        principal = self.verifier.cached(token)
        if principal is None:
            if self.verifier.needs_network:  # an outside issuer's keys may need fetching: off the loop
                loop = asyncio.get_running_loop()
                principal = await loop.run_in_executor(None, self.verifier.verify, token)
            else:
                principal = self.verifier.verify(token)
        if principal.client_id in self.clients.disabled:
            raise invalid_token("The API client of this token is disabled.")
        return principal

    async def _forward(self, request: web.Request, route: Route, request_id: str) -> web.StreamResponse:
        method = request.method
        out = CIMultiDict[str]()
        drop = REQUEST_DROP
        connection = request.headers.get("Connection")
        if connection and connection.lower() not in ("keep-alive", "close"):
            # Fields the client named in Connection are for this hop only (RFC 9110 §7.6.1).
            drop = REQUEST_DROP | {t.strip().lower() for t in connection.split(",")}
        for name, value in request.headers.items():
            if name.lower() not in drop:
                if len(value) > MAX_FIELD_BYTES:
                    raise Problem(431, f"The {name} header is longer than {MAX_FIELD_BYTES} bytes.")
                out.add(name, value)
        remote = request.remote or ""
        forwarded_for = request.headers.get("X-Forwarded-For")
        out["X-Forwarded-For"] = f"{forwarded_for}, {remote}" if forwarded_for else remote
        out["X-Forwarded-Proto"] = request.scheme
        out["X-Forwarded-Host"] = request.host
        out[REQUEST_ID] = request_id

        data: bytes | aiohttp.StreamReader | None = None
        streamed = False
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        if request.body_exists and not (method in NO_BODY_METHODS and not length):
            if length is not None and length > STREAM_THRESHOLD:
                data, streamed = request.content, True
            else:
                try:
                    data = await request.read()  # chunked bodies are bounded by client_max_size
                except web.HTTPRequestEntityTooLarge:
                    raise _too_large(self.max_body_bytes) from None

        url = URL(self.upstreams[route.service] + request.rel_url.raw_path_qs, encoded=True)
        session = self.sessions[route.service]
        started = time.perf_counter()
        try:
            try:
                upstream = await session.request(method, url, headers=out, data=data, allow_redirects=False)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                # A pooled keep-alive connection the upstream closed (or reset) as we reused it:
                # an idempotent request can safely go once more, on a fresh connection.
                if method not in IDEMPOTENT or streamed or isinstance(exc, aiohttp.ClientConnectorError):
                    raise
                upstream = await session.request(method, url, headers=out, data=data, allow_redirects=False)
            self.metrics.upstream_latency(route.service).observe(time.perf_counter() - started)
            try:
                resp_headers = CIMultiDict[str]()
                for name, value in upstream.headers.items():
                    if name.lower() not in RESPONSE_DROP:
                        resp_headers.add(name, value)
                resp_headers[REQUEST_ID] = request_id
                size = upstream.content_length
                status = upstream.status
                if (
                    method == "HEAD"
                    or status in (204, 304)
                    or (size is not None and size <= STREAM_THRESHOLD)
                ):
                    body = await upstream.read()
                    if method == "HEAD" and size is not None:
                        # Keep the size the upstream announced; web.Response would say 0.
                        head = web.StreamResponse(status=status, headers=resp_headers)
                        head.content_length = size
                        return head
                    return web.Response(status=status, body=body, headers=resp_headers)
            except BaseException:
                upstream.release()
                raise
            return await self._stream(request, upstream, resp_headers)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise Problem(504, f"The {route.service} service did not answer in time; retry later.") from exc
        except aiohttp.ClientConnectorError as exc:
            raise Problem(
                502, f"The {route.service} service is unavailable (cannot connect); retry later."
            ) from exc
        except aiohttp.ClientError as exc:
            raise Problem(
                502, f"The {route.service} service failed to answer ({type(exc).__name__})."
            ) from exc

    async def _stream(
        self, request: web.Request, upstream: aiohttp.ClientResponse, headers: CIMultiDict[str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=upstream.status, headers=headers)
        if upstream.content_length is not None:
            response.content_length = upstream.content_length
        try:
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(STREAM_THRESHOLD):
                await response.write(chunk)
            await response.write_eof()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Headers are gone already: the only honest signal left is cutting the connection.
            log.warning("upstream failed mid-stream: %s", exc)
            if request.transport is not None:
                request.transport.close()
        finally:
            upstream.release()
        return response


def _too_large(limit: int) -> Problem:
    return Problem(413, f"The request body is larger than the limit of {limit} bytes.")


def _refuse_odd_path(path: str, raw_path: str) -> None:
    """No dot segments, empty segments or encoded slashes: what the gateway routes on must be
    exactly what the service routes on."""
    segments = path.split("?", 1)[0].split("/")[1:]
    if (
        any(s in ("", ".", "..") for s in segments[:-1])
        or segments[-1] in (".", "..")
        or ("%2f" in raw_path.lower())
    ):
        raise Problem(400, "The path has empty or dot segments or an encoded '/'; send a normalized path.")
