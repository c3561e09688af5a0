"""One OpenAPI document for the whole API: each enabled service's /openapi.json merged, plus the
gateway's own Auth paths and security schemes; and a Swagger UI served from local files (the
machine may be offline, so no CDN).

Merging: paths are disjoint by design (each resource has one owner). A component name two
services define differently is renamed `<service>.<Name>` in the later one, with its $refs
rewritten, so nothing is silently overwritten.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import aiohttp

from billing_shared.auth.scopes import ALL_SCOPES, CUSTOMER_SCOPES

log = logging.getLogger("gateway.openapi")

FETCH_TIMEOUT = aiohttp.ClientTimeout(total=5.0)
CACHE_SECONDS = 60.0
PARTIAL_CACHE_SECONDS = 5.0

SCOPE_HELP = {
    **{s: s.replace(":", " ") for s in ALL_SCOPES},
    "admin": "administer the platform (mint customer tokens)",
    "orders:price_override": "set prices on an order by hand",
}

_PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details (application/problem+json).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "error": {"type": "string", "description": "OAuth2 error code (token endpoint only)."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/GatewayProblem"}}},
    }


def gateway_document() -> dict[str, Any]:
    """The gateway's own part of the API (Auth) and the security schemes every path uses."""
    token_body = {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "scope": {"type": "string", "description": "Space-separated subset of the client's scopes."},
        },
    }
    token_response = {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
        },
    }
    return {
        "paths": {
            "/api/v1/Auth/token": {
                "post": {
                    "tags": ["Auth"],
                    "summary": "Get an access token (OAuth2 client credentials)",
                    "description": "Client authentication in the body or with HTTP Basic. "
                    "Errors follow RFC 6749 (`error` field) inside problem+json.",
                    "security": [],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {"schema": token_body},
                            "application/json": {"schema": token_body},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "A bearer token.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/AccessToken"}}
                            },
                        },
                        "400": _problem("invalid_request, unsupported_grant_type or invalid_scope"),
                        "401": _problem("invalid_client"),
                        "429": _problem("Too many token requests (see Retry-After)."),
                    },
                }
            },
            "/api/v1/Auth/customer-tokens": {
                "post": {
                    "tags": ["Auth"],
                    "summary": "Mint a token that acts as one customer (needs the admin scope)",
                    "security": [{"bearerAuth": []}, {"oauth2": ["admin"]}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["customerId"],
                                    "properties": {"customerId": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": f"A customer-role token with scopes: {' '.join(CUSTOMER_SCOPES)}.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "allOf": [
                                            {"$ref": "#/components/schemas/AccessToken"},
                                            {
                                                "type": "object",
                                                "properties": {"customerId": {"type": "string"}},
                                            },
                                        ]
                                    }
                                }
                            },
                        },
                        "400": _problem("The body is not JSON."),
                        "401": _problem("Missing or invalid token."),
                        "403": _problem("The token lacks the admin scope."),
                        "413": _problem("The body is larger than the limit."),
                        "422": _problem("customerId is missing or names no customer."),
                        "429": _problem("The API client's rate limit is exceeded (see Retry-After)."),
                    },
                }
            },
        },
        "components": {
            "schemas": {"AccessToken": token_response, "GatewayProblem": _PROBLEM_SCHEMA},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/api/v1/Auth/token", "scopes": SCOPE_HELP}},
                },
            },
        },
    }


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v in renames:
                out[k] = renames[v]
            else:
                out[k] = _rewrite_refs(v, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


def merge(documents: Mapping[str, dict[str, Any]], missing: list[str]) -> dict[str, Any]:
    """Merge the services' documents (in the given order) under the gateway's own part."""
    own = gateway_document()
    merged: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "Billing platform API",
            "version": "1",
            "description": "Every call goes through the gateway. Get a token at POST /api/v1/Auth/token "
            "and send it as `Authorization: Bearer <token>`. Errors are application/problem+json.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"oauth2": []}],
        "tags": [{"name": "Auth", "description": "Tokens (served by the gateway)."}],
        "paths": dict(own["paths"]),
        "components": copy.deepcopy(own["components"]),
    }
    seen_tags = {"Auth"}
    for service, doc in documents.items():
        if str(doc.get("openapi", "")).startswith("3.1"):
            merged["openapi"] = "3.1.0"
        components = doc.get("components") or {}
        renames: dict[str, str] = {}
        for section, entries in components.items():
            target = merged["components"].setdefault(section, {})
            for name, definition in (entries or {}).items():
                if name in target and target[name] != definition:
                    renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{service}.{name}"
        if renames:
            doc = _rewrite_refs(doc, renames)
            components = doc.get("components") or {}
        for section, entries in components.items():
            target = merged["components"].setdefault(section, {})
            for name, definition in (entries or {}).items():
                ref = f"#/components/{section}/{name}"
                key = renames[ref].rsplit("/", 1)[1] if ref in renames else name
                target.setdefault(key, definition)
        for path, item in (doc.get("paths") or {}).items():
            if path in merged["paths"]:
                log.warning("openapi: %s of %s is already defined; kept the first", path, service)
                continue
            merged["paths"][path] = item
        for tag in doc.get("tags") or []:
            if isinstance(tag, dict) and isinstance(tag.get("name"), str) and tag["name"] not in seen_tags:
                seen_tags.add(tag["name"])
                merged["tags"].append(tag)
    if missing:
        merged["info"]["x-missing-services"] = missing
    return merged


class OpenApi:
    def __init__(
        self,
        services: tuple[str, ...],
        urls: Mapping[str, str],
        sessions: Mapping[str, aiohttp.ClientSession],
    ) -> None:
        self.services = services
        self.urls = urls
        self.sessions = sessions
        self._cached: tuple[float, bytes] | None = None
        self._lock = asyncio.Lock()

    async def document(self) -> bytes:
        async with self._lock:
            if self._cached and time.monotonic() < self._cached[0]:
                return self._cached[1]
            results = await asyncio.gather(*(self._fetch(s) for s in self.services))
            documents = {s: d for s, d in zip(self.services, results, strict=True) if d is not None}
            missing = [s for s in self.services if s not in documents]
            body = json.dumps(merge(documents, missing)).encode()
            ttl = PARTIAL_CACHE_SECONDS if missing else CACHE_SECONDS
            self._cached = (time.monotonic() + ttl, body)
            return body

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            async with self.sessions[service].get(
                f"{self.urls[service]}/openapi.json", timeout=FETCH_TIMEOUT, allow_redirects=False
            ) as resp:
                if resp.status != 200:
                    log.warning("openapi: %s answered %s", service, resp.status)
                    return None
                doc = await resp.json(content_type=None)
                return doc if isinstance(doc, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("openapi: cannot fetch %s's document: %s", service, exc)
            return None


SWAGGER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Billing platform API</title>
  <link rel="stylesheet" href="/api/v1/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/v1/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/static/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/static/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/api/v1/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""
