"""The test gateway's webhooks as a receiver sees them: signed, sent from the background for every
change (3DS answers included), retried with backoff until a 2xx, given up after a bounded number of
attempts, and a disputed card's dispute about a second after its success."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from test_psp.testing import RunningPsp, WebhookReceiver, running_test_psp

MAX_ATTEMPTS = 4


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def psp(tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver) -> Iterator[RunningPsp]:
    env = {"TEST_PSP_WEBHOOK_BACKOFF": "0.2", "TEST_PSP_WEBHOOK_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
    with running_test_psp(tmp_path_factory.mktemp("psp"), webhook_url=receiver.url, extra_env=env) as p:
        yield p


@pytest.fixture(autouse=True)
def healthy_receiver(receiver: WebhookReceiver) -> Iterator[None]:
    receiver.fail_next(0)
    yield
    receiver.fail_next(0)


def charge(psp: RunningPsp, token: str, **kw: Any) -> dict[str, Any]:
    r = requests.post(
        psp.url + "/v1/charges",
        json={"amount": 1500, "currency": "GBP", "token": token} | kw,
        headers={"Authorization": f"Bearer {psp.api_key}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()


def verify(secret: str, headers: dict[str, str], body: bytes) -> None:
    """The documented scheme, checked independently of any code of ours."""
    parts = dict(p.split("=", 1) for p in headers["Test-Psp-Signature"].split(","))
    assert abs(time.time() - int(parts["t"])) < 60
    mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, parts["v1"])


def test_a_success_is_announced_signed(psp: RunningPsp, receiver: WebhookReceiver) -> None:
    c = charge(psp, "tok_visa", metadata={"orderId": "ord_1"})
    [d] = receiver.wait_for(receiver.of_charge(c["id"]))
    verify(psp.webhook_secret, d.headers, d.body)
    e = d.event
    assert e["type"] == "charge.succeeded" and e["id"].startswith("evt_") and isinstance(e["created"], int)
    assert e["data"]["object"] == c
    assert d.headers["Content-Type"] == "application/json"


def test_a_decline_is_announced(psp: RunningPsp, receiver: WebhookReceiver) -> None:
    c = charge(psp, "tok_chargeDeclined")
    [d] = receiver.wait_for(receiver.of_charge(c["id"]))
    assert d.event["type"] == "charge.failed"
    assert d.event["data"]["object"]["failureCode"] == "insufficient_funds"


def test_3ds_answers_reach_the_receiver_only_as_webhooks(psp: RunningPsp, receiver: WebhookReceiver) -> None:
    ok, bad = charge(psp, "tok_threeDSecureRequired"), charge(psp, "tok_threeDSecureRequired")
    time.sleep(0.3)
    assert receiver.seen(ok["id"]) == receiver.seen(bad["id"]) == []
    for c, result in ((ok, "complete"), (bad, "fail")):
        sig = c["nextAction"]["url"].split("sig=")[1]
        r = requests.post(f"{psp.url}/3ds/{c['id']}", data={"sig": sig, "result": result}, timeout=5)
        assert r.status_code == 200
    [s] = receiver.wait_for(receiver.of_charge(ok["id"]))
    [f] = receiver.wait_for(receiver.of_charge(bad["id"]))
    assert (s.event["type"], s.event["data"]["object"]["status"]) == ("charge.succeeded", "succeeded")
    assert (f.event["type"], f.event["data"]["object"]["failureCode"]) == (
        "charge.failed",
        "authentication_failed",
    )


def test_refunds_are_announced_with_the_refunded_total(psp: RunningPsp, receiver: WebhookReceiver) -> None:
    c = charge(psp, "tok_visa")
    for amount in (500, 1000):
        r = requests.post(
            psp.url + "/v1/refunds",
            json={"charge": c["id"], "amount": amount},
            headers={"Authorization": f"Bearer {psp.api_key}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
    found = receiver.wait_for(receiver.of_charge(c["id"], "charge.refunded"), count=2)
    assert sorted(d.event["data"]["object"]["amountRefunded"] for d in found) == [500, 1500]


def test_a_disputed_card_is_disputed_about_a_second_after_success(
    psp: RunningPsp, receiver: WebhookReceiver
) -> None:
    c = charge(psp, "tok_chargeDisputed")
    [ok] = receiver.wait_for(receiver.of_charge(c["id"], "charge.succeeded"))
    [dispute] = receiver.wait_for(receiver.of_charge(c["id"], "charge.dispute.created"), timeout=10)
    assert 0.7 < dispute.at - ok.at < 5
    obj = dispute.event["data"]["object"]
    assert (
        obj["disputed"] is True
        and obj["dispute"]["amount"] == 1500
        and obj["dispute"]["id"].startswith("dp_")
    )
    assert dispute.event["created"] >= ok.event["created"]
    time.sleep(1.2)
    assert len(receiver.seen(c["id"], "charge.dispute.created")) == 1


def test_a_manually_captured_disputed_card_is_disputed_after_capture(
    psp: RunningPsp, receiver: WebhookReceiver
) -> None:
    c = charge(psp, "tok_chargeDisputed", captureMethod="manual")
    time.sleep(1.5)
    assert receiver.seen(c["id"]) == []
    requests.post(
        f"{psp.url}/v1/charges/{c['id']}/capture",
        headers={"Authorization": f"Bearer {psp.api_key}"},
        timeout=10,
    )
    receiver.wait_for(receiver.of_charge(c["id"], "charge.dispute.created"), timeout=10)


def test_failed_deliveries_are_retried_with_backoff_until_a_2xx(
    psp: RunningPsp, receiver: WebhookReceiver
) -> None:
    receiver.fail_next(2)
    c = charge(psp, "tok_visa")
    tries = receiver.wait_for(receiver.of_charge(c["id"]), count=3)
    assert [d.answered for d in tries] == [500, 500, 200]
    assert len({d.event["id"] for d in tries}) == 1  # the same event, sent again
    gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.3  # 0.2 s then 0.4 s, ±20 %
    time.sleep(1)
    assert len(receiver.seen(c["id"])) == 3


def test_delivery_gives_up_after_the_bounded_attempts(psp: RunningPsp, receiver: WebhookReceiver) -> None:
    receiver.fail_next(1000)
    c = charge(psp, "tok_visa")
    tries = receiver.wait_for(receiver.of_charge(c["id"]), count=MAX_ATTEMPTS, timeout=15)
    assert {d.answered for d in tries} == {500}
    time.sleep(4)  # the next attempt would have come after 1.6 s
    assert len(receiver.seen(c["id"])) == MAX_ATTEMPTS
    assert "webhook given up" in psp.log_path.read_text()


def test_undelivered_webhooks_survive_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    receiver = WebhookReceiver()
    var = tmp_path_factory.mktemp("restart")
    try:
        down = "http://127.0.0.1:9/unreachable"
        with running_test_psp(var, webhook_url=down, extra_env={"TEST_PSP_WEBHOOK_BACKOFF": "3"}) as first:
            c = charge(first, "tok_visa")
            key, secret = first.api_key, first.webhook_secret
            time.sleep(0.5)  # the first attempt fails; the next is about 3 s away
        env = {"TEST_PSP_WEBHOOK_BACKOFF": "0.1"}
        with running_test_psp(
            var, webhook_url=receiver.url, api_key=key, webhook_secret=secret, extra_env=env
        ):
            [d] = receiver.wait_for(receiver.of_charge(c["id"]), timeout=15)
            assert d.event["type"] == "charge.succeeded"
    finally:
        receiver.close()
