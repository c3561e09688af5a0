"""Clients that drive complete flows through the gateway and retry like a careful client: on a
timeout, a connection error, a 5xx, a 409 (key in flight) or a 429, again with the same
Idempotency-Key, within a bounded time. Every answer is recorded with its time and service."""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from billing_devtools.localstack import ROOT

# The demo is a standalone script; its parser of the 3DS page serves the harness too (one copy).
sys.path.insert(0, str(ROOT / "scripts"))
from demo import PageForms

SERVICE_OF = {
    "Customers": "customers",
    "Orders": "orders",
    "Products": "orders",
    "Currencies": "orders",
    "PaymentIntents": "payments",
    "Invoices": "invoicing",
    "Subscriptions": "invoicing",
    "SubscriptionBillingRuns": "invoicing",
    "SubscriptionBillingHistories": "invoicing",
}


class FlowError(Exception):
    pass


@dataclass
class Answer:
    t: float
    service: str
    method: str
    route: str
    status: int  # 0: no answer (connection error or timeout)


@dataclass
class Flow:
    n: int
    scenario: str
    card: str
    monthly: bool
    by_invoice: bool = False  # the order's finalized invoice is paid (POST /PaymentIntents {invoiceId})
    started: float = 0.0
    done: float | None = None
    error: str | None = None
    customer: str | None = None
    order: str | None = None
    intent: str | None = None
    invoice: str | None = None
    number: str | None = None
    retries: int = 0


@dataclass
class Recorder:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, a: Answer) -> None:
        with self.lock:
            self.answers.append(a)


class Tokens:
    """One admin token for every client thread, renewed before it expires."""

    def __init__(self, gateway: str, creds: dict[str, str]) -> None:
        self.gateway, self.creds = gateway, creds
        self.lock = threading.Lock()
        self.token, self.at = "", 0.0

    def get(self, force: bool = False) -> str:
        with self.lock:
            if force or not self.token or time.time() - self.at > 600:
                deadline = time.time() + 180
                while True:
                    try:
                        r = requests.post(
                            self.gateway + "/api/v1/Auth/token",
                            json={"grant_type": "client_credentials", **self.creds},
                            timeout=10,
                        )
                        if r.status_code == 200:
                            self.token, self.at = r.json()["access_token"], time.time()
                            break
                    except requests.RequestException:
                        pass
                    if time.time() > deadline:
                        raise FlowError("no token from the gateway within 180 s")
                    time.sleep(0.5)
            return self.token


class Client:
    def __init__(self, gateway: str, tokens: Tokens, recorder: Recorder, budget: float) -> None:
        self.gateway = gateway
        self.tokens = tokens
        self.rec = recorder
        self.budget = budget  # seconds one request may take with all its retries
        self.http = requests.Session()
        self.retries = 0

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        ok: tuple[int, ...] = (200, 201, 202),
        retry_422: bool = False,
    ) -> Any:
        seg = path.split("/")[1].split("?")[0]
        service = SERVICE_OF.get(seg, "gateway")
        route = f"{method} /{seg}" + ("/{id}" if path.count("/") > 1 else "")
        if path.endswith("/send"):
            route += "/send"
        headers = {"Idempotency-Key": key} if key else {}
        deadline = time.monotonic() + self.budget
        pause = 0.2
        last = ""
        while True:
            headers["Authorization"] = "Bearer " + self.tokens.get()
            status = 0
            try:
                r = self.http.request(
                    method, self.gateway + "/api/v1" + path, json=body, headers=headers, timeout=20
                )
                status = r.status_code
                last = f"{status} {r.text[:200]}"
            except requests.RequestException as e:
                last = type(e).__name__
            self.rec.add(Answer(time.time(), service, method, route, status))
            if status in ok:
                return r.json()
            if status == 401:
                self.tokens.get(force=True)
            elif not (status == 0 or status >= 500 or status in (409, 429) or (status == 422 and retry_422)):
                raise FlowError(f"{method} {path}: {last}")
            if time.monotonic() > deadline:
                raise FlowError(f"{method} {path}: still failing after {self.budget:.0f} s: {last}")
            self.retries += 1
            time.sleep(pause * random.uniform(0.7, 1.3))
            pause = min(2.0, pause * 1.6)

    def wait(self, what: str, probe: Any, budget: float) -> Any:
        deadline = time.monotonic() + budget
        while True:
            got = probe()
            if got:
                return got
            if time.monotonic() > deadline:
                raise FlowError(f"waited {budget:.0f} s for {what}")
            time.sleep(0.3)

    def complete_3ds(self, url: str) -> None:
        deadline = time.monotonic() + self.budget
        while True:
            try:
                page = self.http.get(url, timeout=10, headers={"Accept": "text/html"})
                forms = PageForms()
                forms.feed(page.text)
                for form in forms.forms:
                    for button in form["buttons"]:
                        if "complete" in button["text"].lower():
                            fields = dict(form["inputs"])
                            if button["name"]:
                                fields[button["name"]] = button["value"]
                            action = urllib.parse.urljoin(url, form["action"] or url)
                            done = self.http.post(action, data=fields, timeout=10)
                            if done.status_code == 200:
                                return
                last = f"{page.status_code}"
            except requests.RequestException as e:
                last = type(e).__name__
            if time.monotonic() > deadline:
                raise FlowError(f"3DS page {url}: {last}")
            time.sleep(0.5)


@dataclass
class Catalog:
    product: str
    plan: str


def setup_catalog(client: Client) -> Catalog:
    def product(name: str, cycle: str | None) -> str:
        body: dict[str, Any] = {
            "name": name,
            "taxCategory": "standard",
            "active": True,
            "prices": [{"currency": "USD", "unitPrice": 1999 if cycle is None else 1500}],
        }
        if cycle:
            body["billingCycleId"] = cycle
        return str(client.call("POST", "/Products", body, key=str(uuid.uuid4()))["id"])

    return Catalog(product("Chaos notebook", None), product("Chaos plan, monthly", "bc_monthly"))


def run_flow(client: Client, cat: Catalog, flow: Flow, wait_budget: float) -> Flow:
    """customer → order → intent (tok_visa, or 3DS completed on the test bank's page; for some
    one-off orders, of their finalized invoice) → paid → invoice finalized and paid → sent."""
    flow.started = time.time()
    retries_before = client.retries
    try:
        email = f"chaos.{flow.n}.{uuid.uuid4().hex[:8]}@example.com"
        cus = client.call(
            "POST", "/Customers", {"name": f"Chaos {flow.n}", "email": email}, key=str(uuid.uuid4())
        )
        flow.customer = cus["id"]
        order_body: dict[str, Any] = {
            "customerId": cus["id"],
            "currency": "USD",
            "items": [{"productId": cat.plan if flow.monthly else cat.product, "quantity": 1 + flow.n % 3}],
        }
        if flow.monthly:
            order_body["billingCycleId"] = "bc_monthly"
            order_body["items"][0]["quantity"] = 1
        order = client.call("POST", "/Orders", order_body, key=str(uuid.uuid4()), retry_422=True)
        flow.order = order["id"]
        pays: dict[str, Any] = {"orderId": order["id"], "amount": order["total"]}
        if flow.by_invoice and not flow.monthly:
            drafted = client.call(
                "POST", "/Invoices", {"orderId": order["id"]}, key=str(uuid.uuid4()), retry_422=True
            )
            opened = client.call("POST", f"/Invoices/{drafted['id']}/finalize", key=str(uuid.uuid4()))
            pays = {"invoiceId": opened["id"], "amount": opened["amountDue"]}
        intent = client.call(
            "POST",
            "/PaymentIntents",
            pays | {"currency": "USD", "gatewayId": "test", "paymentMethodToken": flow.card},
            key=str(uuid.uuid4()),
            retry_422=True,
        )
        flow.intent = intent["id"]
        if intent["status"] == "requires_action":
            client.complete_3ds(intent["nextAction"]["url"])
        elif intent["status"] in ("failed", "canceled"):
            raise FlowError(f"intent {intent['id']} {intent['status']}: {intent.get('failureMessage')}")

        def paid_invoice() -> Any:
            data = client.call("GET", f"/Invoices?orderId={order['id']}")["data"]
            return data[0] if data and data[0]["status"] == "paid" and data[0]["number"] else None

        inv = client.wait("the paid invoice", paid_invoice, wait_budget)
        flow.invoice, flow.number = inv["id"], inv["number"]
        client.call("POST", f"/Invoices/{inv['id']}/send", key=str(uuid.uuid4()))
        flow.done = time.time()
    except Exception as e:
        flow.error = f"{type(e).__name__}: {e}"[:400]
    flow.retries = client.retries - retries_before
    return flow


def creds_of(var: Any) -> dict[str, str]:
    c = json.loads((var / "demo-credentials.json").read_text())
    return {"client_id": c["client_id"], "client_secret": c["client_secret"]}
