"""The hosted invoice page is reached with no token: exactly `GET /api/v1/Invoices/hosted/<token>`
(and its `/pdf`) pass the gateway unauthenticated, and invoicing verifies the signed token itself.
Every other Invoices route still needs a token."""

from __future__ import annotations

import requests
from gateway_testkit import GatewayFactory, Stub, problem

from gateway.routes import is_public


def test_only_the_hosted_invoice_routes_are_public(make_gateway: GatewayFactory, stub: Stub) -> None:
    gw = make_gateway(invoicing_url=stub.url, gateway_services="customers,invoicing")
    for path in ("/api/v1/Invoices/hosted/abc.def", "/api/v1/Invoices/hosted/abc.def/pdf"):
        resp = requests.get(gw.url + path, timeout=5)
        assert resp.status_code == 200, resp.text
        call = stub.calls[-1]
        assert call["path_qs"] == path and "Authorization" not in call["headers"]
    before = len(stub.calls)
    for method, path in (
        ("GET", "/api/v1/Invoices/in_1"),
        ("GET", "/api/v1/Invoices/in_1/pdf"),
        ("GET", "/api/v1/Invoices/hosted"),
        ("GET", "/api/v1/Invoices/hosted/"),
        ("GET", "/api/v1/Invoices/hosted/abc/other"),
        ("GET", "/api/v1/Invoices/hosted/abc/pdf/x"),
        ("POST", "/api/v1/Invoices/hosted/abc"),
        ("PUT", "/api/v1/Invoices/hosted/abc"),
        ("GET", "/api/v1/CreditNotes/hosted/abc"),
    ):
        problem(requests.request(method, gw.url + path, timeout=5), 401)
    assert len(stub.calls) == before


def test_is_public_table() -> None:
    assert is_public("GET", "Invoices", "hosted/tok")
    assert is_public("GET", "Invoices", "hosted/tok/pdf")
    assert not is_public("GET", "Invoices", "hosted/tok/pdf/")
    assert not is_public("GET", "Invoices", "in_1/hosted/tok")
    assert not is_public("DELETE", "Invoices", "hosted/tok")
    assert is_public("POST", "PaymentGateways", "test/webhooks")
    # the checkout behind the hosted page's Pay button: its page and its form, nothing else
    assert is_public("GET", "PaymentIntents", "hosted/tok") and is_public(
        "POST", "PaymentIntents", "hosted/tok"
    )
    assert not is_public("POST", "PaymentIntents", "")
    assert not is_public("GET", "PaymentIntents", "pi_1")
    assert not is_public("POST", "PaymentIntents", "hosted/tok/cancel")
    assert not is_public("DELETE", "PaymentIntents", "hosted/tok")
