"""The token endpoints: OAuth2 client credentials (RFC 6749 §4.4) and customer-role tokens."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote_plus

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from billing_shared import correlation
from billing_shared.auth import scopes as scope_names
from billing_shared.auth.keys import SigningKey
from billing_shared.auth.principal import ROLE_CLIENT, ROLE_CUSTOMER
from billing_shared.auth.verifier import require_scope
from billing_shared.errors import FieldError, Problem
from gateway.clients import ClientDirectory
from gateway.keyring import Issuer
from gateway.problems import json_response, oauth_problem, problem_response
from gateway.proxy import Proxy
from gateway.ratelimit import RateLimits

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="billing-api"'}


def _too_large(request: web.Request) -> Problem:
    return Problem(413, f"The request body is larger than the limit of {request.client_max_size} bytes.")


def _invalid_request(detail: str) -> Problem:
    return oauth_problem(400, "invalid_request", detail)


async def _params(request: web.Request) -> dict[str, str]:
    """The grant's parameters from a form-encoded or a JSON body."""
    ctype = request.content_type
    if ctype == "application/json":
        try:
            data: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise _invalid_request("The body is not valid JSON (or is nested too deeply).") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise _invalid_request("The JSON body must be an object of string values.")
        return data
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data") or not request.body_exists:
        try:
            form = await request.post()
        except (ValueError, HttpProcessingError):
            raise _invalid_request("The form body is malformed.") from None
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raise _invalid_request("Send the grant form-encoded (application/x-www-form-urlencoded) or as JSON.")


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise oauth_problem(401, "invalid_client", "Malformed Basic credentials.", BASIC_CHALLENGE) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise oauth_problem(401, "invalid_client", "Malformed Basic credentials.", BASIC_CHALLENGE)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


class TokenEndpoints:
    """Its collaborators are the gateway's, passed in: `signing_key()` answers the key current now
    (it changes on rotation)."""

    def __init__(
        self,
        *,
        clients: ClientDirectory,
        issuer: Issuer,
        limits: RateLimits,
        proxy: Proxy,
        signing_key: Callable[[], SigningKey],
        customers_url: str,
    ) -> None:
        self.clients = clients
        self.issuer = issuer
        self.limits = limits
        self.proxy = proxy
        self.signing_key = signing_key
        self.customers_url = customers_url

    async def token(self, request: web.Request) -> web.Response:
        request_id = correlation.accept(request.headers.get(correlation.HEADER))
        try:
            if request.method != "POST":
                raise Problem(405, "Use POST to request a token.", headers={"Allow": "POST"})
            response = await self._token(request)
            response.headers[correlation.HEADER] = request_id
            return response
        except web.HTTPRequestEntityTooLarge:
            return problem_response(_too_large(request), request_id, request.path)
        except Problem as problem:
            problem.headers.update(NO_STORE)
            return problem_response(problem, request_id, request.path)

    async def _token(self, request: web.Request) -> web.Response:
        params = await _params(request)
        basic = _basic_credentials(request.headers.get("Authorization"))
        if basic and ("client_secret" in params or params.get("client_id", basic[0]) != basic[0]):
            raise _invalid_request("Authenticate the client one way only: HTTP Basic or the body, not both.")
        grant_type = params.get("grant_type")
        if not grant_type:
            raise _invalid_request("grant_type is required (use 'client_credentials').")
        if grant_type != "client_credentials":
            raise oauth_problem(
                400,
                "unsupported_grant_type",
                f"grant_type '{grant_type}' is not supported; use 'client_credentials'.",
            )
        client_id, secret = basic or (params.get("client_id", ""), params.get("client_secret", ""))
        if not client_id or not secret:
            raise oauth_problem(
                401,
                "invalid_client",
                "Client authentication is required: client_id and client_secret, or HTTP Basic.",
                BASIC_CHALLENGE,
            )
        self.limits.hit_token(client_id, request.remote or "")
        client = await self.clients.authenticate(client_id, secret)
        if client is None:
            raise oauth_problem(
                401, "invalid_client", "Unknown client, wrong secret, or client disabled.", BASIC_CHALLENGE
            )
        granted = client.scopes
        if "scope" in params:
            requested = scope_names.parse(params["scope"])
            if not requested:
                raise oauth_problem(
                    400, "invalid_scope", "scope is empty; omit it to get every scope of the client."
                )
            beyond = sorted(requested - client.scopes)
            if beyond:
                raise oauth_problem(
                    400, "invalid_scope", f"The client may not request: {' '.join(beyond)}.", {}
                )
            granted = requested
        token, scope = self.issuer.mint(
            self.signing_key(), subject=client.id, client_id=client.id, scopes=granted, role=ROLE_CLIENT
        )
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.issuer.ttl,
            "scope": scope,
        }
        return json_response(body, headers=NO_STORE)

    async def customer_token(self, request: web.Request) -> web.Response:
        request_id = correlation.accept(request.headers.get(correlation.HEADER))
        try:
            if request.method != "POST":
                raise Problem(405, "Use POST to mint a customer token.", headers={"Allow": "POST"})
            response = await self._customer_token(request, request_id)
            response.headers[correlation.HEADER] = request_id
            return response
        except web.HTTPRequestEntityTooLarge:
            return problem_response(_too_large(request), request_id, request.path)
        except Problem as problem:
            return problem_response(problem, request_id, request.path)

    async def _customer_token(self, request: web.Request, request_id: str) -> web.Response:
        authorization = request.headers.get("Authorization")
        principal = await self.proxy.authenticate(authorization)
        require_scope(principal, scope_names.ADMIN)
        self.limits.hit_client(principal.client_id)
        try:
            data: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise Problem(400, 'The body must be JSON: {"customerId": "cus_..."}.') from None
        customer_id = data.get("customerId") if isinstance(data, dict) else None
        if not isinstance(customer_id, str) or not customer_id.strip():
            raise Problem(
                422,
                "customerId is required.",
                errors=[FieldError("customerId", "Give the id of an existing customer, e.g. 'cus_...'.")],
            )
        if len(customer_id) > 64 or not customer_id.isprintable():
            # No id has control characters, NUL or unpaired surrogates (which could not even be
            # put in the URL that asks the customers service): such a customer does not exist.
            raise Problem(
                422,
                "customerId names no existing customer.",
                errors=[FieldError("customerId", "Not a customer id (printable, at most 64 characters).")],
            )
        await self._check_customer(customer_id, authorization or "", request_id)
        # Never more than the caller holds: an admin token narrowed by scope can't widen itself here.
        granted = frozenset(scope_names.CUSTOMER_SCOPES) & principal.scopes
        token, scope = self.issuer.mint(
            self.signing_key(),
            subject=f"customer:{customer_id}",
            client_id=principal.client_id,
            scopes=granted,
            role=ROLE_CUSTOMER,
            customer_id=customer_id,
        )
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.issuer.ttl,
            "scope": scope,
            "customerId": customer_id,
        }
        return json_response(body, status=201, headers=NO_STORE)

    async def _check_customer(self, customer_id: str, authorization: str, request_id: str) -> None:
        """The customers service is asked with the caller's own token (it verifies it again)."""
        url = f"{self.customers_url}/api/v1/Customers/{quote(customer_id, safe='')}"
        session = self.proxy.sessions["customers"]
        headers = {
            "Authorization": authorization,
            correlation.HEADER: request_id,
            "Accept": "application/json",
        }
        try:
            async with session.get(url, headers=headers, allow_redirects=False) as resp:
                status = resp.status
                await resp.read()
        except TimeoutError as exc:
            raise Problem(504, "The customers service did not answer in time; retry later.") from exc
        except aiohttp.ClientError as exc:
            raise Problem(502, "The customers service is unavailable; retry later.") from exc
        if status == 200:
            return
        if status == 404:
            raise Problem(
                422,
                f"customerId '{customer_id}' names no existing customer.",
                errors=[FieldError("customerId", f"No customer with id '{customer_id}'.")],
            )
        if status in (401, 403):
            raise Problem(
                403,
                "The token may not read customers (customers:read), so the customer cannot be checked.",
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="customers:read"'},
            )
        raise Problem(502, f"The customers service answered {status} while checking the customer.")
