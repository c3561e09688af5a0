"""The test gateway as a client sees it over HTTP: tokens, charges, idempotency, refunds, the hosted
3DS page, listing for reconciliation, restarts, and no card number kept anywhere."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from test_psp.testing import RunningPsp, WebhookReceiver, running_test_psp

NUMBERS = {
    "4242424242424242": "succeeded",
    "4000002500003155": "requires_action",
    "4000000000009995": "failed",
    "4000000000000259": "succeeded",
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def psp(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[RunningPsp]:
    with running_test_psp(tmp_path_factory.mktemp("psp"), webhook_url=receiver.url) as p:
        yield p


class Api:
    def __init__(self, psp: RunningPsp) -> None:
        self.psp = psp
        self.http = requests.Session()

    def post(self, path: str, body: Any, key: str | None = None, auth: bool = True) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.psp.api_key}"} if auth else {}
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(self.psp.url + path, json=body, headers=headers, timeout=10)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(
            self.psp.url + path,
            params=params,
            headers={"Authorization": f"Bearer {self.psp.api_key}"},
            timeout=10,
        )

    def token(self, number: str) -> str:
        r = self.post(
            "/v1/tokens", {"number": number, "expMonth": 12, "expYear": 2034, "cvc": "123"}, auth=False
        )
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def charge(self, token: str, amount: int = 1000, **kw: Any) -> dict[str, Any]:
        r = self.post("/v1/charges", {"amount": amount, "currency": "USD", "token": token} | kw)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def api(psp: RunningPsp) -> Api:
    return Api(psp)


def test_tokens_for_each_test_card_and_the_browser_may_call_it(api: Api) -> None:
    for number in NUMBERS:
        spaced = " ".join(re.findall("....", number))
        r = api.post(
            "/v1/tokens", {"number": spaced, "expMonth": 1, "expYear": 2040, "cvc": "999"}, auth=False
        )
        assert r.status_code == 200, r.text
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        body = r.json()
        assert body["id"].startswith("tok_") and body["card"] == {"brand": "visa", "last4": number[-4:]}
    pre = api.http.options(api.psp.url + "/v1/tokens", timeout=5)
    assert pre.status_code == 204 and "POST" in pre.headers["Access-Control-Allow-Methods"]
    bad = api.post("/v1/tokens", {"number": "4242424242424241", "expMonth": 1, "expYear": 2040, "cvc": "1"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "number"
    assert "4242424242424241" not in bad.text
    foreign = api.post(
        "/v1/tokens", {"number": "5555555555554444", "expMonth": 1, "expYear": 2040, "cvc": "123"}
    )
    assert foreign.status_code == 402 and foreign.json()["error"]["code"] == "card_declined"
    assert api.post("/v1/tokens", "not an object", auth=False).status_code == 400


def test_each_card_and_ready_made_token_charges_as_documented(api: Api) -> None:
    ready = {
        "tok_visa": "succeeded",
        "tok_threeDSecureRequired": "requires_action",
        "tok_chargeDeclined": "failed",
        "tok_chargeDisputed": "succeeded",
    }
    tokens = {api.token(n): status for n, status in NUMBERS.items()} | ready
    for token, status in tokens.items():
        c = api.charge(token, 1999, metadata={"orderId": "ord_x"})
        assert c["status"] == status, (token, c)
        assert c["id"].startswith("ch_") and c["amount"] == 1999 and c["currency"] == "USD"
        assert c["metadata"] == {"orderId": "ord_x"} and c["clientSecret"].startswith(c["id"] + "_secret_")
        if status == "requires_action":
            assert c["nextAction"]["type"] == "three_ds"
            assert re.fullmatch(rf"{api.psp.url}/3ds/{c['id']}\?sig=[0-9a-f]{{64}}", c["nextAction"]["url"])
        else:
            assert c["nextAction"] is None
        if status == "failed":
            assert (c["failureCode"], c["failureMessage"]) == (
                "insufficient_funds",
                "Your card has insufficient funds.",
            )
        assert api.get(f"/v1/charges/{c['id']}").json() == c


def test_charges_need_the_api_key_and_a_valid_body(api: Api) -> None:
    body: dict[str, Any] = {"amount": 100, "currency": "USD", "token": "tok_visa"}
    assert api.post("/v1/charges", body, auth=False).status_code == 401
    r = api.http.post(
        api.psp.url + "/v1/charges", json=body, headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"
    assert api.get("/v1/charges/ch_missing").status_code == 404
    bad_fields: list[tuple[dict[str, Any], str]] = [
        ({"amount": 0}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"currency": "US"}, "currency"),
        ({"token": "tok_unknown"}, "token"),
        ({"captureMethod": "later"}, "captureMethod"),
        ({"metadata": {"n": 1}}, "metadata"),
        ({"returnUrl": "javascript:alert(1)"}, "returnUrl"),
    ]
    for bad, param in bad_fields:
        r = api.post("/v1/charges", body | bad)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, (bad, r.text)
    raw = api.http.post(
        api.psp.url + "/v1/charges",
        data=b"{oops",
        headers={"Authorization": f"Bearer {api.psp.api_key}"},
        timeout=5,
    )
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "invalid_json"


def test_idempotency_same_key_one_charge_other_body_422(api: Api) -> None:
    key = str(uuid.uuid4())
    body = {"amount": 500, "currency": "EUR", "token": "tok_visa", "metadata": {"k": key}}
    first = api.post("/v1/charges", body, key)
    again = api.post("/v1/charges", body, key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = api.post("/v1/charges", body | {"amount": 501}, key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_in_use"
    assert api.post("/v1/refunds", {"charge": first.json()["id"]}, key).status_code == 422  # another endpoint
    assert _charges_with(api, "k", key) == [first.json()["id"]]


def test_fifty_concurrent_requests_with_one_key_make_one_charge(api: Api) -> None:
    key = str(uuid.uuid4())
    body = {"amount": 4200, "currency": "USD", "token": "tok_visa", "metadata": {"k": key}}
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: Api(api.psp).post("/v1/charges", body, key), range(50)))
    assert {r.status_code for r in answers} == {200}
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in answers) == 49
    assert _charges_with(api, "k", key) == [answers[0].json()["id"]]


def _charges_with(api: Api, meta_key: str, value: str) -> list[str]:
    page = api.get("/v1/charges", limit=1000).json()
    return [c["id"] for c in page["data"] if c["metadata"].get(meta_key) == value]


def test_manual_capture_and_cancel(api: Api) -> None:
    held = api.charge("tok_visa", captureMethod="manual")
    assert held["status"] == "requires_capture"
    captured = api.post(f"/v1/charges/{held['id']}/capture", {}, "cap-" + held["id"]).json()
    assert captured["status"] == "succeeded"
    assert api.post(f"/v1/charges/{held['id']}/capture", {}).json()["status"] == "succeeded"
    cancel_paid = api.post(f"/v1/charges/{held['id']}/cancel", {})
    assert cancel_paid.status_code == 400 and cancel_paid.json()["error"]["code"] == "charge_not_cancelable"

    other = api.charge("tok_visa", captureMethod="manual")
    assert api.post(f"/v1/charges/{other['id']}/cancel", {}).json()["status"] == "canceled"
    assert api.post(f"/v1/charges/{other['id']}/cancel", {}).json()["status"] == "canceled"
    late = api.post(f"/v1/charges/{other['id']}/capture", {})
    assert late.status_code == 400 and late.json()["error"]["code"] == "charge_not_capturable"
    declined = api.charge("tok_chargeDeclined", captureMethod="manual")
    assert declined["status"] == "failed"


def test_refunds_partial_full_and_never_more_than_left(api: Api) -> None:
    c = api.charge("tok_visa", 1000)
    part = api.post(
        "/v1/refunds", {"charge": c["id"], "amount": 300, "reason": "requested_by_customer"}, "r1" + c["id"]
    )
    assert part.status_code == 200 and part.json()["amount"] == 300 and part.json()["id"].startswith("re_")
    replay = api.post(
        "/v1/refunds", {"charge": c["id"], "amount": 300, "reason": "requested_by_customer"}, "r1" + c["id"]
    )
    assert replay.json() == part.json() and replay.headers["Idempotent-Replayed"] == "true"
    over = api.post("/v1/refunds", {"charge": c["id"], "amount": 701})
    assert over.status_code == 400 and over.json()["error"]["code"] == "amount_too_large"
    rest = api.post("/v1/refunds", {"charge": c["id"]})  # no amount: what is left
    assert rest.json()["amount"] == 700
    after = api.get(f"/v1/charges/{c['id']}").json()
    assert (after["amountRefunded"], after["refunded"], after["status"]) == (1000, True, "succeeded")
    assert [r["amount"] for r in after["refunds"]] == [300, 700]
    again = api.post("/v1/refunds", {"charge": c["id"], "amount": 1})
    assert again.status_code == 400 and again.json()["error"]["code"] == "charge_already_refunded"
    declined = api.charge("tok_chargeDeclined")
    assert (
        api.post("/v1/refunds", {"charge": declined["id"]}).json()["error"]["code"] == "charge_not_refundable"
    )
    assert api.post("/v1/refunds", {"charge": "ch_nope"}).status_code == 404
    assert api.post("/v1/refunds", {"charge": c["id"], "amount": -5}).status_code == 400


def test_concurrent_refunds_never_exceed_the_charge(api: Api) -> None:
    c = api.charge("tok_visa", 1000)
    with ThreadPoolExecutor(20) as pool:
        answers = list(
            pool.map(
                lambda i: Api(api.psp).post(
                    "/v1/refunds", {"charge": c["id"], "amount": 100}, f"{c['id']}-{i}"
                ),
                range(20),
            )
        )
    assert sorted(r.status_code for r in answers) == [200] * 10 + [400] * 10
    assert api.get(f"/v1/charges/{c['id']}").json()["amountRefunded"] == 1000


def test_hosted_3ds_page_complete_and_fail(api: Api) -> None:
    ok = api.charge("tok_threeDSecureRequired", 2500, currency="EUR")
    page = requests.get(ok["nextAction"]["url"], timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    for label in ("Complete authentication", "Fail authentication"):
        assert f">{label}</button>" in page.text
    assert "25.00 EUR" in page.text and "3155" in page.text
    sig = ok["nextAction"]["url"].split("sig=")[1]
    done = requests.post(f"{api.psp.url}/3ds/{ok['id']}", data={"sig": sig, "result": "complete"}, timeout=5)
    assert done.status_code == 200 and "Authentication complete, you may close this window" in done.text
    assert api.get(f"/v1/charges/{ok['id']}").json()["status"] == "succeeded"
    # a second answer changes nothing
    requests.post(f"{api.psp.url}/3ds/{ok['id']}", data={"sig": sig, "result": "fail"}, timeout=5)
    assert api.get(f"/v1/charges/{ok['id']}").json()["status"] == "succeeded"
    assert "already finished" in requests.get(ok["nextAction"]["url"], timeout=5).text

    bad = api.charge("tok_threeDSecureRequired")
    sig = bad["nextAction"]["url"].split("sig=")[1]
    failed = requests.post(f"{api.psp.url}/3ds/{bad['id']}", data={"sig": sig, "result": "fail"}, timeout=5)
    assert "Authentication failed" in failed.text
    c = api.get(f"/v1/charges/{bad['id']}").json()
    assert (c["status"], c["failureCode"]) == ("failed", "authentication_failed") and c["failureMessage"]


def test_3ds_links_are_signed(api: Api) -> None:
    c = api.charge("tok_threeDSecureRequired")
    other = api.charge("tok_threeDSecureRequired")
    other_sig = other["nextAction"]["url"].split("sig=")[1]
    assert requests.get(f"{api.psp.url}/3ds/{c['id']}?sig={other_sig}", timeout=5).status_code == 404
    assert requests.get(f"{api.psp.url}/3ds/{c['id']}", timeout=5).status_code == 404
    forged = requests.post(
        f"{api.psp.url}/3ds/{c['id']}", data={"sig": "0" * 64, "result": "complete"}, timeout=5
    )
    assert forged.status_code == 404
    assert api.get(f"/v1/charges/{c['id']}").json()["status"] == "requires_action"


def test_3ds_with_return_url_redirects_and_manual_capture_waits(api: Api) -> None:
    c = api.charge(
        "tok_threeDSecureRequired", returnUrl="https://shop.example/done?x=1", captureMethod="manual"
    )
    sig = c["nextAction"]["url"].split("sig=")[1]
    r = requests.post(
        f"{api.psp.url}/3ds/{c['id']}",
        data={"sig": sig, "result": "complete"},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 303 and r.headers["Location"] == f"https://shop.example/done?x=1&charge={c['id']}"
    assert api.get(f"/v1/charges/{c['id']}").json()["status"] == "requires_capture"


def test_list_charges_by_creation_time_with_pages(api: Api) -> None:
    start = int(time.time())
    time.sleep(1.05)  # a second of our own: charges of earlier tests are before it
    made = [api.charge("tok_visa", 100 + i)["id"] for i in range(5)]
    end = int(time.time()) + 1
    first = api.get("/v1/charges", createdFrom=start + 1, createdTo=end, limit=2).json()
    assert [c["id"] for c in first["data"]] == made[:2] and first["hasMore"]
    rest = api.get(
        "/v1/charges", createdFrom=start + 1, createdTo=end, limit=10, startingAfter=made[1]
    ).json()
    assert [c["id"] for c in rest["data"]] == made[2:] and not rest["hasMore"]
    assert api.get("/v1/charges", createdFrom=end, limit=10).json()["data"] == []
    assert api.get("/v1/charges", createdFrom="yesterday").status_code == 400
    assert api.get("/v1/charges", limit=0).status_code == 400


def test_restart_keeps_charges_and_3ds_links(tmp_path: Path) -> None:
    with running_test_psp(tmp_path) as first:
        a = Api(first)
        paid = a.charge("tok_visa")
        pending = a.charge("tok_threeDSecureRequired")
        key, secret = first.api_key, first.webhook_secret
    with running_test_psp(tmp_path, api_key=key, webhook_secret=secret) as second:
        b = Api(second)
        assert b.get(f"/v1/charges/{paid['id']}").json()["status"] == "succeeded"
        url = b.get(f"/v1/charges/{pending['id']}").json()["nextAction"]["url"]
        assert url.split("sig=")[1] == pending["nextAction"]["url"].split("sig=")[1]
        assert requests.get(url, timeout=5).status_code == 200


def test_never_starts_in_production_or_without_its_secrets(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path)}
    prod = base | {"ENVIRONMENT": "production", "TEST_PSP_API_KEY": "k", "TEST_PSP_WEBHOOK_SECRET": "s"}
    for env, says in [(prod, "ENVIRONMENT=production"), (base, "TEST_PSP_API_KEY")]:
        r = subprocess.run(
            [sys.executable, "-m", "test_psp"], env=env, capture_output=True, text=True, timeout=30
        )
        assert r.returncode == 2 and says in r.stderr


def test_no_card_number_in_its_database_or_log(tmp_path: Path) -> None:
    with running_test_psp(tmp_path) as p:
        a = Api(p)
        for number in NUMBERS:
            for shown in (number, " ".join(re.findall("....", number)), "-".join(re.findall("....", number))):
                a.charge(a.token(shown))
        # and refused ones: a wrong digit, a foreign card
        a.post(
            "/v1/tokens",
            {"number": "4242424242424241", "expMonth": 1, "expYear": 2040, "cvc": "1"},
            auth=False,
        )
        a.post(
            "/v1/tokens",
            {"number": "5555555555554444", "expMonth": 1, "expYear": 2040, "cvc": "1"},
            auth=False,
        )
    files = [f for f in tmp_path.rglob("*") if f.is_file()]
    assert any(f.name == "test-psp.sqlite3" for f in files) and any(f.name == "test-psp.log" for f in files)
    assert p.log_path.stat().st_size > 0
    for f in files:
        data = f.read_bytes()
        for number in [*NUMBERS, "4242424242424241", "5555555555554444"]:
            for shown in (number, " ".join(re.findall("....", number)), "-".join(re.findall("....", number))):
                assert shown.encode() not in data, (f.name, shown)
