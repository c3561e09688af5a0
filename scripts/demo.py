#!/usr/bin/env python3
"""`make demo`: the seed's order-to-invoice flow against a running `make run`, through the gateway
with plain HTTP, printing each request and the key fields of each answer.

token → customer → currencies → billing cycles → tax rules → coupon (created, validated) → order →
draft invoice → payment gateways → payment intent (3-D Secure) → the test bank's 3DS page completed
with a plain form POST → intent succeeded → invoice finalized and paid → PDF saved → invoice sent
by e-mail → a monthly order paid starts a subscription → a billing run at the period's end renews it
once → its billing history and renewal invoice.

Standard library only. Settings (flags win over the environment):
  --gateway / GATEWAY_URL   the gateway [http://127.0.0.1:8080]
  --var-dir / VAR_DIR       the stack's var/ (demo-credentials.json, mail/) [<repo>/var]
  --timeout / DEMO_TIMEOUT  seconds each wait for an asynchronous result [30]
Exit status 0 when every step did what the flow promises, 1 otherwise (the failing step says why).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class DemoError(Exception):
    """A step did not do what the flow promises; the message says which and why."""


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def text(self, limit: int = 300) -> str:
        return self.body[:limit].decode(errors="replace")


def _short(value: Any, limit: int = 400) -> str:
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + "…"


class Demo:
    def __init__(self, gateway: str, var_dir: Path, timeout: float) -> None:
        self.gateway = gateway.rstrip("/")
        self.var = var_dir
        self.timeout = timeout
        self.token = ""
        self.results: dict[str, str] = {}

    # -- HTTP ---------------------------------------------------------------------------------

    def raw(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Answer(r.status, dict(r.headers.items()), r.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, dict(e.headers.items()), e.read())
        except (urllib.error.URLError, OSError) as e:
            raise DemoError(f"{method} {url}: no answer ({e})") from None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: tuple[int, ...] = (200,),
        show: Callable[[Any], dict[str, Any]] | None = None,
        idempotent: bool = False,
        quiet: bool = False,
        accept: str = "application/json",
    ) -> Answer:
        """One API call through the gateway: print it, check the status, print the key fields."""
        url = self.gateway + "/api/v1" + path
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotent:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        if not quiet:
            print(f"→ {method} /api/v1{path}" + (f"  {_short(body)}" if body is not None else ""))
        ans = self.raw(method, url, data, headers)
        if ans.status not in expect:
            if quiet:
                print(f"→ {method} /api/v1{path}" + (f"  {_short(body)}" if body is not None else ""))
            print(f"← {ans.status}  {ans.text(600)}")
            want = " or ".join(str(s) for s in expect)
            raise DemoError(f"{method} /api/v1{path} answered {ans.status}, expected {want}")
        if not quiet:
            fields = show(ans.json()) if show else {}
            print(f"← {ans.status}" + (f"  {_short(fields, 600)}" if fields else ""))
        return ans

    def wait(self, what: str, probe: Callable[[], T | None]) -> T:
        """Poll `probe` until it gives something (printed once, not every poll)."""
        print(f"… waiting for {what}")
        deadline = time.monotonic() + self.timeout
        while True:
            got = probe()
            if got is not None and got is not False:
                return got
            if time.monotonic() > deadline:
                raise DemoError(f"waited {self.timeout:.0f} s for {what}, in vain")
            time.sleep(0.3)

    def step(self, title: str) -> None:
        print(f"\n== {title}")

    # -- the flow -----------------------------------------------------------------------------

    def check_stack(self) -> None:
        try:
            ans = self.raw("GET", self.gateway + "/readyz")
        except DemoError:
            raise DemoError(f"nothing answers at {self.gateway}; start it with make run") from None
        if ans.status != 200:
            raise DemoError(
                f"{self.gateway}/readyz answers {ans.status} ({ans.text(200)}); the stack is not ready "
                "(start it with make run and wait until it says ready)"
            )

    def credentials(self) -> dict[str, str]:
        path = self.var / "demo-credentials.json"
        if not path.exists():
            raise DemoError(f"{path} does not exist; start the stack with make run (it writes it)")
        creds = json.loads(path.read_text())
        return {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}

    def get_token(self) -> None:
        self.step("1. a token (OAuth2 client credentials)")
        creds = self.credentials()
        form = {"grant_type": "client_credentials", **creds}
        print("→ POST /api/v1/Auth/token  " + _form(form | {"client_secret": "***"}) + "  (form-encoded)")
        ans = self.raw(
            "POST",
            self.gateway + "/api/v1/Auth/token",
            urllib.parse.urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        body = ans.json() or {}
        if ans.status != 200 or "access_token" not in body:
            print(f"← {ans.status}  {ans.text()}")
            raise DemoError(f"no token: {ans.status}")
        self.token = body["access_token"]
        print(
            f"← {ans.status}  "
            + _short(
                {
                    "access_token": self.token[:16] + "…",
                    "token_type": body.get("token_type"),
                    "expires_in": body.get("expires_in"),
                    "scope": body.get("scope"),
                }
            )
        )

    def run(self) -> None:
        self.check_stack()
        self.get_token()
        tag = uuid.uuid4().hex[:8]

        self.step("2. the customer (looked up by e-mail, then created)")
        email = f"ada.{tag}@example.com"
        self.call(
            "GET",
            "/Customers?" + urllib.parse.urlencode({"email": email}),
            show=lambda b: {"found": len(b.get("data", []))},
        )
        customer = self.call(
            "POST",
            "/Customers",
            {
                "name": "Ada Lovelace",
                "email": email,
                "billingAddress": {
                    "line1": "Unter den Linden 1",
                    "city": "Berlin",
                    "postalCode": "10117",
                    "country": "DE",
                },
                "taxId": "DE123456789",
                "preferredCurrency": "EUR",
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "name", "email", "preferredCurrency")},
        ).json()
        customer_id = customer["id"]

        self.step("3. currencies (EUR switched on)")
        self.call(
            "GET",
            "/Currencies?limit=100",
            show=lambda b: {
                "enabled": [c["code"] for c in b.get("data", []) if c.get("enabled")],
                "count": len(b.get("data", [])),
            },
        )
        self.call(
            "PATCH",
            "/Currencies/EUR",
            {"enabled": True},
            show=lambda b: {k: b.get(k) for k in ("code", "exponent", "enabled")},
        )

        self.step("4. billing cycles")
        cycles = self.call(
            "GET",
            "/BillingCycles",
            show=lambda b: {
                "cycles": [
                    f"{c['id']} every {c.get('intervalCount')} {c.get('intervalUnit')}"
                    for c in b.get("data", [])
                ]
            },
        ).json()["data"]
        monthly = next(
            (c for c in cycles if c.get("intervalUnit") == "month" and c.get("intervalCount") == 1), None
        )
        if monthly is None:
            raise DemoError("no monthly billing cycle in GET /BillingCycles")
        print(f"   monthly cycle: {monthly['id']}")

        self.step("5. tax rules (German VAT 19 % on the demo's tax category)")
        self.call(
            "GET",
            "/TaxRules?country=DE",
            show=lambda b: {
                "rules": [
                    f"{r.get('name')} {r.get('rate')} {r.get('taxCategory')}" for r in b.get("data", [])
                ]
            },
        )
        # identical to the active rule of the scope on a second run: 200 with it
        self.call(
            "POST",
            "/TaxRules",
            {
                "name": "DE VAT (demo)",
                "country": "DE",
                "taxCategory": "demo",
                "rate": "0.19",
                "inclusive": False,
            },
            expect=(200, 201),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "country", "taxCategory", "rate", "inclusive")},
        )

        self.step("6. products (a one-off notebook and a monthly plan)")
        product = self.call(
            "POST",
            "/Products",
            {
                "name": "Notebook",
                "taxCategory": "demo",
                "active": True,
                "prices": [{"currency": "EUR", "unitPrice": 1999}],
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "name", "prices")},
        ).json()
        plan = self.call(
            "POST",
            "/Products",
            {
                "name": "Analytical Engine, monthly",
                "taxCategory": "demo",
                "active": True,
                "billingCycleId": monthly["id"],
                "prices": [{"currency": "EUR", "unitPrice": 1000}],
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "name", "billingCycleId", "prices")},
        ).json()

        self.step("7. a coupon, created then validated for the order to come")
        code = f"DEMO10-{tag.upper()}"
        self.call(
            "POST",
            "/Coupons",
            {"code": code, "percentOff": "10", "duration": "once", "maxRedemptions": 5},
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "code", "percentOff", "duration")},
        )
        items = [{"productId": product["id"], "quantity": 3}]
        check = self.call(
            "POST",
            "/Coupons/validate",
            {"code": code, "customerId": customer_id, "currency": "EUR", "items": items},
            show=lambda b: {k: b.get(k) for k in ("valid", "reason", "discount")},
        ).json()
        if not check.get("valid"):
            raise DemoError(f"coupon {code} is not valid: {check.get('reason')}")

        self.step("8. the order (priced by the server: coupon, then tax)")
        order = self.call(
            "POST",
            "/Orders",
            {"customerId": customer_id, "currency": "EUR", "items": items, "couponCode": code},
            expect=(201,),
            idempotent=True,
            show=lambda b: {
                k: b.get(k)
                for k in ("id", "status", "subtotal", "discountTotal", "taxTotal", "total", "currency")
            },
        ).json()
        draft = self.wait(f"the draft invoice of {order['id']}", lambda: self.invoice_of_order(order["id"]))
        self.call(
            "GET",
            f"/Invoices/{draft['id']}",
            show=lambda b: {k: b.get(k) for k in ("id", "status", "number", "total", "allowedActions")},
        )

        self.step("9. payment gateways")
        gateways = self.call(
            "GET",
            "/PaymentGateways",
            show=lambda b: {"gateways": [g.get("id") for g in b.get("data", [])]},
        ).json()
        if not any(g.get("id") == "test" for g in gateways.get("data", [])):
            raise DemoError("the test gateway is not listed by GET /PaymentGateways")

        self.step("10. a payment intent with a card that needs 3-D Secure")
        intent = self.call(
            "POST",
            "/PaymentIntents",
            {
                "orderId": order["id"],
                "amount": order["total"],
                "currency": "EUR",
                "gatewayId": "test",
                "paymentMethodToken": "tok_threeDSecureRequired",
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: (
                {k: b.get(k) for k in ("id", "status", "amount", "currency", "nextAction")}
                | {"clientSecret": (b.get("clientSecret") or "")[:12] + "…"}
            ),
        ).json()
        next_action = intent.get("nextAction") or {}
        if intent.get("status") != "requires_action" or not next_action.get("url"):
            raise DemoError(f"expected requires_action with nextAction.url, got {intent.get('status')}")

        self.step("11. 3-D Secure: the test bank's page, answered with a plain form POST")
        self.complete_3ds(urllib.parse.urljoin(self.gateway + "/", next_action["url"]))
        self.wait(f"{intent['id']} to succeed", lambda: self.intent_status(intent["id"]) == "succeeded")
        self.call(
            "GET",
            f"/PaymentIntents/{intent['id']}",
            show=lambda b: {k: b.get(k) for k in ("id", "status", "amount", "gatewayId")},
        )

        self.step("12. the invoice, finalized with its number and paid")
        invoice = self.wait(
            "the invoice to be paid", lambda: self.invoice_of_order(order["id"], status="paid")
        )
        invoice = self.call(
            "GET",
            f"/Invoices/{invoice['id']}",
            show=lambda b: {
                k: b.get(k)
                for k in (
                    "id",
                    "number",
                    "status",
                    "total",
                    "amountPaid",
                    "finalizedAt",
                    "paidAt",
                    "paymentIntentId",
                )
            },
        ).json()
        number = invoice["number"]
        if not number:
            raise DemoError(f"paid invoice {invoice['id']} has no number")
        # the seed's "finalize or create the invoice for the order": the order's one invoice (200)
        same = self.call(
            "POST",
            "/Invoices",
            {"orderId": order["id"]},
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "number", "status")},
        ).json()
        if same.get("id") != invoice["id"]:
            raise DemoError(f"POST /Invoices for {order['id']} answered another invoice: {same.get('id')}")
        print(f"   hostedInvoiceUrl: {invoice.get('hostedInvoiceUrl')}")
        self.results["invoice"] = number
        pdf = self.call(
            "GET",
            f"/Invoices/{invoice['id']}/pdf",
            accept="application/pdf",
            show=lambda _b: {},
        )
        if not pdf.body.startswith(b"%PDF"):
            raise DemoError(f"GET /Invoices/{invoice['id']}/pdf is not a PDF: {pdf.body[:20]!r}")
        pdf_path = self.var / "demo" / f"{number}.pdf"
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        pdf_path.write_bytes(pdf.body)
        print(f"   {pdf.headers.get('Content-Type')}, {len(pdf.body)} bytes → {pdf_path}")
        self.results["pdf"] = str(pdf_path)
        if invoice.get("hostedInvoiceUrl"):
            page = self.raw("GET", urllib.parse.urljoin(self.gateway + "/", invoice["hostedInvoiceUrl"]))
            print(f"→ GET {invoice['hostedInvoiceUrl']}  (no token)")
            shown = number in page.body.decode(errors="replace")
            print(
                f"← {page.status}  shows {number}: {shown}"
                + ("" if page.status == 200 else "  (expected 200)")
            )

        self.step("13. the invoice sent by e-mail with the PDF attached")
        sent_since = time.time() - 1
        self.call(
            "POST",
            f"/Invoices/{invoice['id']}/send",
            idempotent=True,
            expect=(200, 202),
            show=lambda b: {k: b.get(k) for k in ("id", "number", "status", "sentAt", "sentTo")},
        )
        mail = self.wait("the e-mail in var/mail/", lambda: self.mail_with(number, sent_since))
        print(f"   {mail}")
        self.results["mail"] = str(mail)

        self.step("14. bookkeeping: the order and the customer record the payment and the invoice")
        self.call(
            "GET",
            f"/Orders/{order['id']}",
            show=lambda b: {
                k: b.get(k) for k in ("id", "status", "total", "paidAt", "paymentIntentIds", "invoiceId")
            },
        )
        self.call("GET", f"/Customers/{customer_id}", show=_references)

        self.step("15. a monthly plan ordered and paid starts a subscription")
        plan_order = self.call(
            "POST",
            "/Orders",
            {
                "customerId": customer_id,
                "currency": "EUR",
                "billingCycleId": monthly["id"],
                "items": [{"productId": plan["id"], "quantity": 1}],
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "status", "billingCycleId", "total", "currency")},
        ).json()
        plan_intent = self.call(
            "POST",
            "/PaymentIntents",
            {
                "orderId": plan_order["id"],
                "amount": plan_order["total"],
                "currency": "EUR",
                "gatewayId": "test",
                "paymentMethodToken": "tok_visa",
            },
            expect=(201,),
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "status", "amount")},
        ).json()
        if plan_intent.get("status") != "succeeded":
            self.wait(
                f"{plan_intent['id']} to succeed",
                lambda: self.intent_status(plan_intent["id"]) == "succeeded",
            )
        subscription = self.wait("the subscription", lambda: self.subscription_of(customer_id))
        subscription = self.call(
            "GET",
            f"/Subscriptions?customerId={customer_id}",
            show=lambda b: {
                k: (b.get("data") or [{}])[0].get(k)
                for k in ("id", "status", "billingCycleId", "currentPeriodStart", "currentPeriodEnd")
            },
        ).json()["data"][0]
        self.results["subscription"] = subscription["id"]
        # the seed's explicit POST /Subscriptions for that order: the one it already started (200)
        self.call(
            "POST",
            "/Subscriptions",
            {"orderId": plan_order["id"]},
            idempotent=True,
            show=lambda b: {k: b.get(k) for k in ("id", "status", "orderId")},
        )

        self.step("16. one renewal: a billing run at the end of the current period")
        period_end = datetime.fromisoformat(subscription["currentPeriodEnd"].replace("Z", "+00:00"))
        as_of = (period_end + timedelta(minutes=1)).isoformat()
        self.call(
            "POST",
            "/SubscriptionBillingRuns",
            {"asOf": as_of},
            expect=(200, 201, 202),
            idempotent=True,
            show=lambda b: b if isinstance(b, dict) else {},
        )
        renewal = self.wait(
            "the renewal invoice to be paid", lambda: self.renewal_invoice(subscription["id"], "paid")
        )
        self.call(
            "GET",
            f"/SubscriptionBillingHistories?subscriptionId={subscription['id']}",
            show=lambda b: {
                "rows": [
                    {
                        k: r.get(k)
                        for k in (
                            "periodStart",
                            "periodEnd",
                            "invoiceId",
                            "paymentIntentId",
                            "status",
                            "attempts",
                        )
                    }
                    for r in b.get("data", [])
                ]
            },
        )
        self.call(
            "GET",
            f"/Invoices?subscriptionId={subscription['id']}",
            show=lambda b: {
                "invoices": [
                    {k: i.get(k) for k in ("id", "number", "status", "total", "periodStart", "periodEnd")}
                    for i in b.get("data", [])
                ]
            },
        )
        self.call(
            "GET",
            f"/Subscriptions/{subscription['id']}",
            show=lambda b: {k: b.get(k) for k in ("id", "status", "currentPeriodStart", "currentPeriodEnd")},
        )
        self.results["renewal"] = f"{renewal['number']} ({renewal['id']}, {renewal['status']})"

    # -- probes -------------------------------------------------------------------------------

    def invoice_of_order(self, order_id: str, status: str | None = None) -> dict[str, Any] | None:
        ans = self.call("GET", f"/Invoices?orderId={order_id}", quiet=True)
        data = (ans.json() or {}).get("data") or []
        if data and (status is None or data[0].get("status") == status):
            return dict(data[0])
        return None

    def intent_status(self, intent_id: str) -> str | None:
        status = (self.call("GET", f"/PaymentIntents/{intent_id}", quiet=True).json() or {}).get("status")
        if status in ("failed", "canceled"):
            raise DemoError(f"payment intent {intent_id} is {status}")
        return status if isinstance(status, str) else None

    def subscription_of(self, customer_id: str) -> dict[str, Any] | None:
        data = (self.call("GET", f"/Subscriptions?customerId={customer_id}", quiet=True).json() or {}).get(
            "data"
        )
        return dict(data[0]) if data else None

    def renewal_invoice(self, subscription_id: str, status: str) -> dict[str, Any] | None:
        data = (self.call("GET", f"/Invoices?subscriptionId={subscription_id}", quiet=True).json() or {}).get(
            "data"
        ) or []
        renewals = [i for i in data if not i.get("orderId") and i.get("status") == status]
        return dict(renewals[0]) if renewals else None

    def mail_with(self, number: str, since: float) -> Path | None:
        """The newest .eml under var/mail/ written since `since` that names the invoice number."""
        folder = self.var / "mail"
        if not folder.is_dir():
            return None
        files = sorted(folder.rglob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
        for f in files:
            if f.stat().st_mtime < since:
                break
            if number in f.read_text(errors="replace"):
                return f
        return None

    def complete_3ds(self, page_url: str) -> None:
        print(f"→ GET {page_url}")
        page = self.raw("GET", page_url, headers={"Accept": "text/html"})
        html = page.body.decode(errors="replace")
        forms = PageForms()
        forms.feed(html)
        print(
            f"← {page.status}  text/html, buttons: {[b['text'] for f in forms.forms for b in f['buttons']]}"
        )
        for form in forms.forms:
            for button in form["buttons"]:
                if "complete" in button["text"].lower():
                    fields = dict(form["inputs"])
                    if button["name"]:
                        fields[button["name"]] = button["value"]
                    action = urllib.parse.urljoin(page_url, form["action"] or page_url)
                    shown = {k: (v[:8] + "…" if k == "sig" else v) for k, v in fields.items()}
                    print(f"→ POST {action}  {_form(shown)}  (form-encoded)")
                    done = self.raw(
                        "POST",
                        action,
                        urllib.parse.urlencode(fields).encode(),
                        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
                    )
                    title = _title(done.body.decode(errors="replace"))
                    print(f"← {done.status}  {title}")
                    if done.status != 200:
                        raise DemoError(f"the 3DS answer was refused: {done.status} {title}")
                    return
        raise DemoError(f"no 'Complete authentication' button on {page_url}: {html[:200]}")


def _form(fields: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in fields.items())


def _references(b: dict[str, Any]) -> dict[str, Any]:
    return {"id": b.get("id"), "references": b.get("references")}


class PageForms(HTMLParser):
    """The forms of a page with their hidden inputs and buttons, as a browser without JS sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.cur: dict[str, Any] | None = None
        self.btn: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.cur = {"action": a.get("action", ""), "inputs": {}, "buttons": []}
            self.forms.append(self.cur)
        elif self.cur is not None and tag == "input" and a.get("name"):
            self.cur["inputs"][a["name"]] = a.get("value", "")
        elif self.cur is not None and tag == "button":
            self.btn = {"name": a.get("name"), "value": a.get("value", ""), "text": ""}
            self.cur["buttons"].append(self.btn)

    def handle_data(self, data: str) -> None:
        if self.btn is not None:
            self.btn["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self.btn = None
        elif tag == "form":
            self.cur = None


def _title(html: str) -> str:
    start = html.find("<title>")
    end = html.find("</title>")
    return html[start + 7 : end] if 0 <= start < end else html[:80]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("VAR_DIR") or ROOT / "var"))
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("DEMO_TIMEOUT", "30")))
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # each step shows as it happens under make
    demo = Demo(args.gateway, args.var_dir.resolve(), args.timeout)
    print(f"The seed's flow against {demo.gateway} (var: {demo.var})")
    try:
        demo.run()
    except DemoError as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
        for k, v in demo.results.items():
            print(f"  got so far: {k}: {v}", file=sys.stderr)
        return 1
    r = demo.results
    print("\n== done")
    print(f"invoice:      {r['invoice']}")
    print(f"PDF:          {r['pdf']}")
    print(f"e-mail:       {r['mail']}")
    print(f"subscription: {r['subscription']}")
    print(f"renewal:      {r['renewal']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
