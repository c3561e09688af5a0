"""What the whole-flow tests share: a client application that talks to the gateway only."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import requests

from billing_devtools.localstack import Platform


class Client:
    """A client application: talks to the gateway only."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.base = platform.gateway_url
        self.http = requests.Session()
        self.token = platform.admin_token()

    def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> requests.Response:
        h = {"Authorization": f"Bearer {token or self.token}"} | (headers or {})
        url = path if path.startswith("http") else self.base + "/api/v1" + path
        return self.http.request(method, url, json=json_body, headers=h, timeout=30, **kw)

    def create_intent(self, body: dict[str, Any], *, token: str | None = None) -> requests.Response:
        """POST /PaymentIntents as a client right after creating the order does: payments learns of
        the order from OrderCreated and answers 422 `unknown order` when that is still on its way
        after its bounded wait (a loaded machine); the client tries again, with a new key (the
        refused request changed nothing), for up to 30 s."""
        deadline = time.monotonic() + 30
        while True:
            r = self.call(
                "POST", "/PaymentIntents", body, token=token, headers={"Idempotency-Key": str(uuid.uuid4())}
            )
            unknown = r.status_code == 422 and "unknown order" in r.text
            if not unknown or time.monotonic() > deadline:
                return r
            time.sleep(0.5)

    def mail_switched_on(self) -> None:
        """Every automatic e-mail on: the session's platform is shared, and the fuzzing suite may
        have switched some off through a valid PATCH /InvoiceSettings."""
        kinds = ("invoiceFinalized", "receipt", "paymentFailed", "trialEnding", "subscriptionCanceled")
        r = self.call("PATCH", "/InvoiceSettings", {"mail": dict.fromkeys(kinds, True)})
        assert r.status_code == 200, r.text

    def token_with(self, scope: str) -> str:
        """A token of the demo client narrowed to `scope`."""
        creds = json.loads((self.platform.var / "demo-credentials.json").read_text())
        r = self.http.post(
            self.base + "/api/v1/Auth/token",
            timeout=10,
            data={"grant_type": "client_credentials", "scope": scope, **creds},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])
