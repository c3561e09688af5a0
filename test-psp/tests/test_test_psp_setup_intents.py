"""Setup intents at the test gateway: a card saved for a customer without a charge, at once when its
bank asks nothing, after 3D Secure on the gateway's page when it does (back to the return URL),
never when the challenge fails or the card is declined."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from test_test_psp_payment_methods import call, customer, token

from test_psp.testing import RunningPsp, running_test_psp


@pytest.fixture(scope="module")
def psp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPsp]:
    with running_test_psp(tmp_path_factory.mktemp("psp")) as p:
        yield p


def methods(psp: RunningPsp, customer_id: str) -> list[str]:
    return [m["id"] for m in call(psp, "GET", f"/v1/customers/{customer_id}/payment_methods").json()["data"]]


def test_a_card_its_bank_does_not_challenge_is_saved_at_once(psp: RunningPsp) -> None:
    cus = customer(psp)
    r = call(psp, "POST", "/v1/setup_intents", {"customer": cus, "token": token(psp)}, key="seti-1")
    assert r.status_code == 200, r.text
    setup = r.json()
    assert setup["status"] == "succeeded" and setup["nextAction"] is None
    assert methods(psp, cus) == [setup["paymentMethod"]]
    again = call(psp, "POST", "/v1/setup_intents", {"customer": cus, "token": token(psp)}, key="seti-1")
    assert again.status_code == 422  # the same key with another request
    assert call(psp, "GET", f"/v1/setup_intents/{setup['id']}").json() == setup


def test_3ds_completed_on_the_page_saves_the_card_and_returns(psp: RunningPsp) -> None:
    cus = customer(psp)
    body = {
        "customer": cus,
        "token": "tok_threeDSecureRequired",
        "returnUrl": "https://shop.example/back?x=1",
    }
    setup = call(psp, "POST", "/v1/setup_intents", body).json()
    assert setup["status"] == "requires_action" and setup["paymentMethod"] is None and methods(psp, cus) == []
    page = requests.get(setup["nextAction"]["url"], timeout=10)
    assert page.status_code == 200 and "saving the visa card ending in 3155" in page.text
    sig = parse_qs(urlsplit(setup["nextAction"]["url"]).query)["sig"][0]
    done = requests.post(
        f"{psp.url}/3ds/{setup['id']}",
        data={"sig": sig, "result": "complete"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 303
    assert done.headers["Location"] == f"https://shop.example/back?x=1&setup_intent={setup['id']}"
    after = call(psp, "GET", f"/v1/setup_intents/{setup['id']}").json()
    assert after["status"] == "succeeded" and methods(psp, cus) == [after["paymentMethod"]]


def test_a_failed_challenge_or_a_declined_card_saves_nothing(psp: RunningPsp) -> None:
    cus = customer(psp)
    setup = call(
        psp, "POST", "/v1/setup_intents", {"customer": cus, "token": "tok_threeDSecureRequired"}
    ).json()
    sig = parse_qs(urlsplit(setup["nextAction"]["url"]).query)["sig"][0]
    requests.post(f"{psp.url}/3ds/{setup['id']}", data={"sig": sig, "result": "fail"}, timeout=10)
    failed = call(psp, "GET", f"/v1/setup_intents/{setup['id']}").json()
    assert failed["status"] == "failed" and failed["failureCode"] == "authentication_failed"
    declined = call(psp, "POST", "/v1/setup_intents", {"customer": cus, "token": "tok_chargeDeclined"}).json()
    assert declined["status"] == "failed" and declined["failureCode"] == "insufficient_funds"
    assert methods(psp, cus) == []
    unknown = call(psp, "POST", "/v1/setup_intents", {"customer": "cus_nope", "token": "tok_visa"})
    assert unknown.status_code == 400
