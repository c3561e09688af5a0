"""Saved payment methods at the test gateway, as a real provider keeps them: a customer, a card
saved from a token (brand, last 4, expiry; never the number), charged again on- or off-session
only for its own customer, unusable once detached, and kept across a restart."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from test_psp.testing import RunningPsp, running_test_psp


@pytest.fixture(scope="module")
def psp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPsp]:
    with running_test_psp(tmp_path_factory.mktemp("psp")) as p:
        yield p


def call(
    psp: RunningPsp, method: str, path: str, body: Any = None, key: str | None = None
) -> requests.Response:
    headers = {"Authorization": f"Bearer {psp.api_key}"}
    if key:
        headers["Idempotency-Key"] = key
    return requests.request(method, psp.url + path, json=body, headers=headers, timeout=10)


def customer(psp: RunningPsp) -> str:
    r = call(psp, "POST", "/v1/customers", {"email": "ann@example.com"})
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def token(psp: RunningPsp, number: str = "4242424242424242") -> str:
    body = {"number": number, "expMonth": 7, "expYear": 2031, "cvc": "123"}
    r = requests.post(psp.url + "/v1/tokens", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def attach(psp: RunningPsp, customer_id: str, tok: str) -> dict[str, Any]:
    r = call(psp, "POST", f"/v1/customers/{customer_id}/payment_methods", {"token": tok})
    assert r.status_code == 200, r.text
    return dict(r.json())


def charge(psp: RunningPsp, **body: Any) -> requests.Response:
    return call(psp, "POST", "/v1/charges", {"amount": 1500, "currency": "EUR"} | body)


def test_a_saved_card_shows_brand_last4_and_expiry_and_is_listed_for_its_customer(psp: RunningPsp) -> None:
    cus = customer(psp)
    saved = attach(psp, cus, token(psp))
    ready = attach(psp, cus, "tok_visa")
    assert saved["customer"] == cus and saved["id"].startswith("pm_")
    assert saved["card"] == {"brand": "visa", "last4": "4242", "expMonth": 7, "expYear": 2031}
    assert ready["card"]["expMonth"] == 12 and ready["card"]["expYear"] >= 2029
    listed = call(psp, "GET", f"/v1/customers/{cus}/payment_methods").json()["data"]
    assert [m["id"] for m in listed] == [saved["id"], ready["id"]]
    assert call(psp, "GET", f"/v1/customers/{customer(psp)}/payment_methods").json()["data"] == []
    assert call(psp, "GET", f"/v1/payment_methods/{saved['id']}").json() == saved


def test_a_saved_method_is_charged_on_and_off_session_for_its_own_customer_only(psp: RunningPsp) -> None:
    cus, other = customer(psp), customer(psp)
    visa = attach(psp, cus, token(psp))
    three_ds = attach(psp, cus, "tok_threeDSecureRequired")
    paid = charge(psp, paymentMethod=visa["id"], customer=cus, offSession=True)
    assert paid.status_code == 200 and paid.json()["status"] == "succeeded"
    assert paid.json()["paymentMethod"]["id"] == visa["id"] and paid.json()["customer"] == cus
    # a card that asks for 3DS cannot be authenticated off-session; on-session it asks for it
    off = charge(psp, paymentMethod=three_ds["id"], customer=cus, offSession=True).json()
    assert (off["status"], off["failureCode"]) == ("failed", "authentication_required")
    on = charge(psp, paymentMethod=three_ds["id"], customer=cus).json()
    assert on["status"] == "requires_action" and on["nextAction"]["type"] == "three_ds"
    # what a real provider refuses and stripe-mock lets through: a saved method without its customer
    for wrong in ({"customer": other}, {}, {"customer": cus, "token": "tok_visa"}):
        r = charge(psp, paymentMethod=visa["id"], **wrong)
        assert r.status_code == 400, wrong
    assert charge(psp, paymentMethod="pm_unknown", customer=cus).status_code == 400


def test_a_detached_method_is_never_charged_again(psp: RunningPsp) -> None:
    cus = customer(psp)
    visa = attach(psp, cus, "tok_visa")
    key = str(uuid.uuid4())
    first = call(psp, "POST", f"/v1/payment_methods/{visa['id']}/detach", {}, key=key)
    again = call(psp, "POST", f"/v1/payment_methods/{visa['id']}/detach", {}, key=key)
    assert first.status_code == again.status_code == 200 and first.json()["customer"] is None
    assert again.headers.get("Idempotent-Replayed") == "true"
    other_key = call(psp, "POST", f"/v1/payment_methods/{visa['id']}/detach", {})
    assert other_key.status_code == 400 and other_key.json()["error"]["code"] == "payment_method_not_attached"
    assert charge(psp, paymentMethod=visa["id"], customer=cus).status_code == 400
    assert call(psp, "GET", f"/v1/customers/{cus}/payment_methods").json()["data"] == []


def test_attaching_needs_a_known_customer_and_token_and_is_idempotent(psp: RunningPsp) -> None:
    nobody = call(psp, "POST", "/v1/customers/cus_nobody/payment_methods", {"token": "tok_visa"})
    assert nobody.status_code == 404
    cus = customer(psp)
    r = call(psp, "POST", f"/v1/customers/{cus}/payment_methods", {"token": "tok_nothing"})
    assert r.status_code == 400
    assert call(psp, "POST", f"/v1/customers/{cus}/payment_methods", {}).status_code == 400
    key = str(uuid.uuid4())
    one = call(psp, "POST", f"/v1/customers/{cus}/payment_methods", {"token": "tok_visa"}, key=key)
    two = call(psp, "POST", f"/v1/customers/{cus}/payment_methods", {"token": "tok_visa"}, key=key)
    assert one.json()["id"] == two.json()["id"]
    assert len(call(psp, "GET", f"/v1/customers/{cus}/payment_methods").json()["data"]) == 1
    assert requests.post(psp.url + "/v1/customers", json={}, timeout=10).status_code == 401


def test_saved_methods_survive_a_restart_and_an_older_file_gains_the_new_columns(tmp_path: Path) -> None:
    db = tmp_path / "test-psp.sqlite3"
    old = sqlite3.connect(db)  # a file from before saved methods: tokens without an expiry
    old.executescript(
        "CREATE TABLE tokens (id TEXT PRIMARY KEY, brand TEXT NOT NULL, last4 TEXT NOT NULL,"
        " behaviour TEXT NOT NULL, created INTEGER NOT NULL);"
        "INSERT INTO tokens VALUES ('tok_old', 'visa', '4242', 'succeeds', 0);"
    )
    old.close()
    with running_test_psp(tmp_path) as first:
        cus = customer(first)
        kept = attach(first, cus, token(first))
        from_old = attach(first, cus, "tok_old")
        assert from_old["card"]["last4"] == "4242" and from_old["card"]["expMonth"] == 12
        key, secret = first.api_key, first.webhook_secret
    with running_test_psp(tmp_path, api_key=key, webhook_secret=secret) as second:
        assert call(second, "GET", f"/v1/payment_methods/{kept['id']}").json() == kept
        assert charge(second, paymentMethod=kept["id"], customer=cus).json()["status"] == "succeeded"
