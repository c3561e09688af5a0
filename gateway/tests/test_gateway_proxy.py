"""Forwarding: what reaches the upstream, what comes back, and the gateway's own failure answers."""

from __future__ import annotations

from collections.abc import Iterator

import requests
from gateway_testkit import GatewayFactory, RunningGateway, Stub, problem


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_forwards_method_path_query_body_and_headers(gw: RunningGateway, stub: Stub) -> None:
    token = gw.token()
    resp = requests.post(
        f"{gw.url}/api/v1/Customers?expand=orders&x=%20y",
        json={"name": "Ada"},
        headers={**auth(token), "Idempotency-Key": "k-1", "X-Custom": "yes", "X-Forwarded-For": "10.9.9.9"},
        timeout=5,
    )
    assert resp.status_code == 201, resp.text
    assert resp.headers["X-Stub"] == "1"
    call = stub.calls[-1]
    assert call["method"] == "POST" and call["path_qs"] == "/api/v1/Customers?expand=orders&x=%20y"
    assert call["body"] == b'{"name": "Ada"}'
    headers = call["headers"]
    assert headers["Authorization"] == f"Bearer {token}"  # services verify again
    assert headers["Idempotency-Key"] == "k-1" and headers["X-Custom"] == "yes"
    assert headers["X-Forwarded-For"] == "10.9.9.9, 127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert (
        "Accept-Encoding" not in headers
        or headers["Accept-Encoding"] == resp.request.headers["Accept-Encoding"]
    )


def test_hop_by_hop_headers_are_not_forwarded(gw: RunningGateway, stub: Stub) -> None:
    resp = requests.get(
        f"{gw.url}/api/v1/Customers/cus_1",
        headers={
            **auth(gw.token()),
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "1",
            "TE": "trailers",
            "Proxy-Authorization": "Basic eDp5",
        },
        timeout=5,
    )
    assert resp.status_code == 200
    forwarded = {k.lower() for k in stub.calls[-1]["headers"]}
    assert not forwarded & {"x-secret-hop", "te", "proxy-authorization"}


def test_request_id_is_accepted_echoed_and_forwarded(gw: RunningGateway, stub: Stub) -> None:
    resp = gw.get("/api/v1/Customers/cus_1", gw.token(), headers={"X-Request-Id": "abc-123"})
    assert resp.headers["X-Request-Id"] == "abc-123"
    assert stub.calls[-1]["headers"]["X-Request-Id"] == "abc-123"


def test_insane_request_id_is_replaced(gw: RunningGateway, stub: Stub) -> None:
    resp = gw.get("/api/v1/Customers/cus_1", gw.token(), headers={"X-Request-Id": "bad id with spaces"})
    minted = resp.headers["X-Request-Id"]
    assert minted and minted != "bad id with spaces"
    assert stub.calls[-1]["headers"]["X-Request-Id"] == minted
    resp = gw.get("/api/v1/Customers/cus_1", gw.token())
    assert resp.headers["X-Request-Id"]


def test_request_id_on_gateway_errors_too(gw: RunningGateway) -> None:
    resp = gw.get("/api/v1/Customers/cus_1", headers={"X-Request-Id": "err-1"})
    problem(resp, 401)
    assert resp.headers["X-Request-Id"] == "err-1"


def test_upstream_status_and_body_pass_through(gw: RunningGateway) -> None:
    resp = gw.get("/api/v1/Customers/cus_nope", gw.token())
    assert resp.status_code == 404 and resp.json() == {"title": "Not Found"}


def test_head(gw: RunningGateway) -> None:
    token = gw.token()
    resp = requests.head(f"{gw.url}/api/v1/Customers/cus_1", headers=auth(token), timeout=5)
    assert resp.status_code == 200 and resp.content == b""
    full = gw.get("/api/v1/Customers/cus_1", token)
    assert int(resp.headers["Content-Length"]) > 0
    assert resp.headers["Content-Type"] == full.headers["Content-Type"]


def test_unknown_resource_is_404(gw: RunningGateway, stub: Stub) -> None:
    before = len(stub.calls)
    body = problem(gw.get("/api/v1/Nope/1", gw.token()), 404)
    assert "Nope" in body["detail"]
    problem(gw.get("/api/v2/Customers"), 404)
    problem(gw.get("/"), 404)
    assert len(stub.calls) == before


def test_odd_paths_are_refused(gw: RunningGateway, stub: Stub) -> None:
    token = gw.token()
    before = len(stub.calls)
    for path in (
        "/api/v1/Customers/%2e%2e/PaymentIntents",
        "/api/v1/Customers%2F..%2FOrders",
        "/api/v1/Customers//x",
        "/api/v1/Customers/./x",
    ):
        req = requests.Request("GET", gw.url + path, headers=auth(token)).prepare()
        req.url = gw.url + path  # keep the path exactly as written
        resp = requests.Session().send(req, timeout=5)
        problem(resp, 400)
    assert len(stub.calls) == before


def test_webhooks_are_public(make_gateway: GatewayFactory, stub: Stub) -> None:
    hooks = make_gateway(payments_url=stub.url)
    resp = requests.post(f"{hooks.url}/api/v1/PaymentGateways/test/webhooks", data=b'{"sig":1}', timeout=5)
    assert resp.status_code == 201
    assert "Authorization" not in stub.calls[-1]["headers"]
    # Only that exact route: anything else on PaymentGateways needs a token.
    problem(requests.post(f"{hooks.url}/api/v1/PaymentGateways/test", timeout=5), 401)
    problem(requests.get(f"{hooks.url}/api/v1/PaymentGateways/test/webhooks", timeout=5), 401)
    problem(requests.post(f"{hooks.url}/api/v1/PaymentGateways/test/webhooks/x", timeout=5), 401)


def test_upstream_down_is_502(gw: RunningGateway) -> None:
    body = problem(gw.get("/api/v1/Orders", gw.token()), 502)
    assert "orders" in body["detail"]


def test_upstream_slow_is_504(gw: RunningGateway) -> None:
    body = problem(gw.get("/api/v1/Customers/slow", gw.token()), 504)
    assert "customers" in body["detail"]


def test_oversized_body_is_413(gw: RunningGateway, stub: Stub) -> None:
    before = len(stub.calls)
    big = b"x" * (gw.settings.max_body_bytes + 1)
    resp = requests.post(f"{gw.url}/api/v1/Customers", data=big, headers=auth(gw.token()), timeout=10)
    problem(resp, 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    resp = requests.post(f"{gw.url}/api/v1/Customers", data=chunks(), headers=auth(gw.token()), timeout=10)
    problem(resp, 413)
    assert len(stub.calls) == before


def test_large_bodies_stream_both_ways(gw: RunningGateway, stub: Stub) -> None:
    token = gw.token()
    body = b"z" * (512 * 1024)
    resp = requests.post(f"{gw.url}/api/v1/Customers", data=body, headers=auth(token), timeout=10)
    assert resp.status_code == 201 and resp.json()["length"] == len(body)
    assert stub.calls[-1]["body"] == body

    def chunks() -> Iterator[bytes]:
        yield b"a" * 1000
        yield b"b" * 1000

    resp = requests.post(f"{gw.url}/api/v1/Customers", data=chunks(), headers=auth(token), timeout=10)
    assert resp.status_code == 201 and resp.json()["length"] == 2000

    resp = gw.get("/api/v1/Customers/big", token)
    assert resp.status_code == 200 and len(resp.content) == 32 * 65536


def test_rate_limit_per_client(make_gateway: GatewayFactory) -> None:
    limited = make_gateway(rate_limit_client="3/minute")
    token = limited.token()
    statuses = [limited.get("/api/v1/Customers/cus_1", token).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    resp = limited.get("/api/v1/Customers/cus_1", token)
    body = problem(resp, 429)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60 and limited.admin_id in body["detail"]
    # Another client has its own budget.
    client, secret = limited.store.create_client("other", frozenset({"customers:read"}))
    assert (
        limited.get("/api/v1/Customers/cus_1", limited.token(client=(client.id, secret))).status_code == 200
    )
