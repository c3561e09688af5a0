"""The test gateway's HTTP API (aiohttp: one small process whose background task sends webhooks).

- `POST /v1/tokens` (no key: what a browser calls) turns a test card into a token.
- `POST /v1/charges` (on a `token`, or on a saved `paymentMethod` with its `customer`),
  `GET /v1/charges[/{id}]`, `POST /v1/charges/{id}/capture|cancel`, `POST /v1/refunds`,
  `POST /v1/customers`, `POST|GET /v1/customers/{id}/payment_methods` (save a token as a method,
  list the saved ones), `GET /v1/payment_methods/{id}` and `POST /v1/payment_methods/{id}/detach`
  need `Authorization: Bearer <TEST_PSP_API_KEY>`; every POST honours `Idempotency-Key`.
- `GET|POST /3ds/{id}?sig=` is the hosted challenge page a cardholder's browser opens.
- `GET /healthz`.

Request bodies are never logged (a tokenisation body holds a card number), and the access log
writes paths without their query strings (the 3DS link's signature stays out of logs too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from billing_shared import money
from test_psp import setup_intents
from test_psp.config import TestPspSettings
from test_psp.psp import ApiError, TestPsp
from test_psp.store import Store
from test_psp.webhooks import Deliverer

log = logging.getLogger("testpsp")

PSP: web.AppKey[TestPsp] = web.AppKey("psp", TestPsp)
SETTINGS: web.AppKey[TestPspSettings] = web.AppKey("settings", TestPspSettings)
DELIVERER: web.AppKey[Deliverer] = web.AppKey("deliverer", Deliverer)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


class AccessLogger(AbstractAccessLogger):
    """Method, path without query, status and time: never a body, a query string or a header."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "ms": round(time * 1000, 1),
            },
        )


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as e:
        return _json(e.body(), e.status, CORS if request.path == "/v1/tokens" else None)
    except web.HTTPException as e:
        if request.path.startswith("/3ds/"):
            raise
        return _json({"error": {"type": "invalid_request_error", "message": e.reason}}, e.status)
    except Exception:
        log.exception("unexpected error", extra={"path": request.path})
        return _json({"error": {"type": "api_error", "message": "Something went wrong at the gateway."}}, 500)


@web.middleware
async def api_key(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /v1 call but tokenisation carries the secret key, as with a real provider."""
    if request.path.startswith("/v1/") and request.path != "/v1/tokens":
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {request.app[SETTINGS].api_key}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(401, "invalid_api_key", "Invalid API key.", kind="authentication_error")
    return await handler(request)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None


async def _idempotent(
    request: web.Request, endpoint: str, op: Callable[[TestPsp, Any], dict[str, Any]]
) -> web.Response:
    """A POST: its JSON body handed to `op` with the gateway, answered once per Idempotency-Key."""
    body = await _body(request)
    psp = request.app[PSP]
    key = request.headers.get("Idempotency-Key")
    result, replayed = psp.idempotent(key, endpoint, body, lambda: op(psp, body))
    return _json(result, headers={"Idempotent-Replayed": "true"} if replayed else None)


# -- routes -----------------------------------------------------------------------------------

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


@routes.options("/v1/tokens")
async def tokens_preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=CORS)


@routes.post("/v1/tokens")
async def create_token(request: web.Request) -> web.Response:
    body = await _body(request)
    return _json(request.app[PSP].create_token(body), headers=CORS)


@routes.post("/v1/charges")
async def create_charge(request: web.Request) -> web.Response:
    return await _idempotent(request, "charges.create", lambda psp, body: psp.create_charge(body))


@routes.get("/v1/charges")
async def list_charges(request: web.Request) -> web.Response:
    q = request.query
    try:
        created_from = int(q["createdFrom"]) if q.get("createdFrom") else None
        created_to = int(q["createdTo"]) if q.get("createdTo") else None
        limit = int(q.get("limit") or 100)
    except ValueError:
        raise ApiError(400, "invalid_query", "createdFrom, createdTo and limit are whole numbers.") from None
    if not 1 <= limit <= 1000:
        raise ApiError(400, "invalid_query", "limit is 1 to 1000.", param="limit")
    page = request.app[PSP].list_charges(created_from, created_to, limit, q.get("startingAfter") or None)
    return _json(page)


@routes.get("/v1/charges/{id}")
async def get_charge(request: web.Request) -> web.Response:
    return _json(request.app[PSP].charge(request.match_info["id"]))


@routes.post("/v1/charges/{id}/capture")
async def capture(request: web.Request) -> web.Response:
    return await _charge_action(request, "capture")


@routes.post("/v1/charges/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    return await _charge_action(request, "cancel")


async def _charge_action(request: web.Request, action: str) -> web.Response:
    """Capture or cancel one charge, answered once per Idempotency-Key."""
    charge_id = request.match_info["id"]
    return await _idempotent(
        request, f"charges.{action}:{charge_id}", lambda psp, _: getattr(psp, action)(charge_id)
    )


@routes.post("/v1/customers")
async def create_customer(request: web.Request) -> web.Response:
    return await _idempotent(request, "customers.create", lambda psp, body: psp.create_customer(body))


@routes.post("/v1/customers/{id}/payment_methods")
async def attach_payment_method(request: web.Request) -> web.Response:
    customer_id = request.match_info["id"]
    return await _idempotent(
        request,
        f"payment_methods.attach:{customer_id}",
        lambda psp, body: psp.attach_payment_method(customer_id, body),
    )


@routes.get("/v1/customers/{id}/payment_methods")
async def customer_payment_methods(request: web.Request) -> web.Response:
    return _json(request.app[PSP].customer_payment_methods(request.match_info["id"]))


@routes.get("/v1/payment_methods/{id}")
async def get_payment_method(request: web.Request) -> web.Response:
    return _json(request.app[PSP].payment_method(request.match_info["id"]))


@routes.post("/v1/payment_methods/{id}/detach")
async def detach_payment_method(request: web.Request) -> web.Response:
    method_id = request.match_info["id"]
    return await _idempotent(
        request, f"payment_methods.detach:{method_id}", lambda psp, _: psp.detach_payment_method(method_id)
    )


@routes.post("/v1/setup_intents")
async def create_setup_intent(request: web.Request) -> web.Response:
    return await _idempotent(request, "setup_intents.create", setup_intents.create)


@routes.get("/v1/setup_intents/{id}")
async def get_setup_intent(request: web.Request) -> web.Response:
    return _json(setup_intents.get(request.app[PSP], request.match_info["id"]))


@routes.post("/v1/refunds")
async def refund(request: web.Request) -> web.Response:
    return await _idempotent(request, "refunds.create", lambda psp, body: psp.refund(body))


# -- the hosted 3DS page ----------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}}
.box{{border:1px solid #ccc;border-radius:8px;padding:1.5rem}}button{{font-size:1rem;padding:.6rem 1rem;
margin:.3rem .3rem 0 0;border-radius:6px;border:1px solid #888;cursor:pointer}}
button[value=complete]{{background:#1a7f37;color:#fff;border-color:#1a7f37}}</style></head>
<body><div class="box"><h1>{title}</h1>{content}</div></body></html>"""


def _page(title: str, content: str, status: int = 200) -> web.Response:
    return web.Response(
        text=PAGE.format(title=html.escape(title), content=content),
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
    )


def _amount_text(amount: int, currency: str) -> str:
    try:
        exp = money.exponent(currency)
    except money.UnknownCurrency:
        return f"{amount} {currency} (minor units)"
    return f"{Decimal(amount).scaleb(-exp):.{exp}f} {currency}"


def _signed(request: web.Request, sig: str) -> tuple[TestPsp, dict[str, Any]] | web.Response:
    """The charge or setup intent a signed 3DS link names (a setup intent's id starts `seti_`)."""
    psp = request.app[PSP]
    object_id = request.match_info["id"]
    if not hmac.compare_digest(sig.encode(), psp.page_sig(object_id).encode()):
        return _page("Link not valid", "<p>This authentication link is not valid.</p>", 404)
    try:
        if object_id.startswith(setup_intents.PREFIX + "_"):
            return psp, setup_intents.get(psp, object_id)
        return psp, psp.charge(object_id)
    except ApiError:
        return _page("Link not valid", "<p>This authentication link is not valid.</p>", 404)


@routes.get("/3ds/{id}")
async def challenge(request: web.Request) -> web.Response:
    sig = request.query.get("sig", "")
    found = _signed(request, sig)
    if isinstance(found, web.Response):
        return found
    _, item = found
    if item["status"] != "requires_action":
        done = "<p>This authentication is already finished; you may close this window.</p>"
        return _page("Authentication", done)
    if item["object"] == "setup_intent":
        card = item["card"]
        what = "saving"
    else:
        card = item["paymentMethod"]
        amount = html.escape(_amount_text(item["amount"], item["currency"]))
        what = f"the payment of <strong>{amount}</strong> with"
    content = (
        f"<p>Test bank: confirm {what} the "
        f"{html.escape(card['brand'])} card ending in {html.escape(card['last4'])}.</p>"
        f'<form method="post" action="/3ds/{html.escape(item["id"])}">'
        f'<input type="hidden" name="sig" value="{html.escape(sig)}">'
        '<button type="submit" name="result" value="complete">Complete authentication</button>'
        '<button type="submit" name="result" value="fail">Fail authentication</button>'
        "</form>"
    )
    return _page("3D Secure authentication", content)


@routes.post("/3ds/{id}")
async def challenge_answer(request: web.Request) -> web.Response:
    """The answer is recorded at once; payments hears it through the webhook that follows (a
    charge's) or by asking (a setup intent's)."""
    form = await request.post()
    found = _signed(request, str(form.get("sig", "")))
    if isinstance(found, web.Response):
        return found
    psp, item = found
    result = form.get("result")
    if result not in ("complete", "fail"):
        return _page("Authentication", "<p>Choose Complete or Fail authentication.</p>", 400)
    if item["object"] == "setup_intent":
        item = setup_intents.authenticate(psp, item["id"], result == "complete")
        target = setup_intents.return_url(psp, item["id"])
        key = "setup_intent"
    else:
        item = psp.authenticate(item["id"], result == "complete")
        target = psp.return_url(item["id"])
        key = "charge"
    if target:
        parts = urlsplit(target)
        query = urlencode([*parse_qsl(parts.query), (key, item["id"])])
        raise web.HTTPSeeOther(urlunsplit(parts._replace(query=query)))
    if item["status"] == "failed":
        return _page("Authentication failed", "<p>Authentication failed, you may close this window.</p>")
    return _page("Authentication complete", "<p>Authentication complete, you may close this window.</p>")


# -- the application --------------------------------------------------------------------------


def create_app(settings: TestPspSettings) -> web.Application:
    app = web.Application(middlewares=[errors, api_key], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    store = Store(settings.db_path)
    psp = TestPsp(settings, store)
    deliverer = Deliverer(settings, psp)
    psp.on_event = deliverer.nudge
    app[PSP] = psp
    app[DELIVERER] = deliverer
    app.add_routes(routes)

    async def background(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(deliverer.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        store.close()

    app.cleanup_ctx.append(background)
    return app
