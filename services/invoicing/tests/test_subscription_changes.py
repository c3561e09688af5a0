"""Subscription changes through the API: an upgrade previewed and invoiced at the proration rule's
figures (computed here on fractions, independently), a downgrade that becomes credit and is used on
the next renewal before any charge, prorations that wait for the renewal, cancel at period end and
its undo, a prorated cancellation, and bad changes refused without changing anything."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from documents_testing import customer_created
from flask import Flask
from flask.testing import FlaskClient
from invoicing_testing import deliver, event, new_id
from sqlalchemy import select
from subscriptions_testing import answer, requested, run, start

from billing_shared.ids import new_id as platform_id
from billing_shared.web.context import deps_of
from invoicing.store.catalog import CatalogProjection
from invoicing.store.credit import CustomerBalances

VAT = Fraction(2, 10)  # the subscription's items' rate (subscriptions_testing: exclusive 20 %)


def half_up(x: Fraction) -> int:
    return (-1 if x < 0 else 1) * math.floor(abs(x) + Fraction(1, 2))


def rule(old: list[tuple[int, int]], new: list[tuple[int, int]], f: Fraction, rate: Fraction = VAT) -> int:
    """The written rule's total: signed lines, then exclusive tax per line, half-up each."""
    bases = [-half_up(p * q * f) for p, q in old] + [half_up(p * q * f) for p, q in new]
    return sum(b + half_up(b * rate) for b in bases)


def at(sub: dict[str, Any], share: Fraction) -> tuple[str, Fraction]:
    """The instant `share` into the current period, and the fraction of it left then."""
    s, e = (datetime.fromisoformat(sub[k]) for k in ("currentPeriodStart", "currentPeriodEnd"))
    micros = (e - s) // timedelta(microseconds=1)
    t = s + timedelta(microseconds=int(micros * share))
    left = Fraction((e - t) // timedelta(microseconds=1), micros)
    return t.isoformat(), left


def catalog(app: Flask, customer_id: str, price: int, *, cycle: str | None = "bc_monthly") -> str:
    """A product priced `price` USD in the VAT category, taxed 20 % for the customer's country."""
    product_id = platform_id("prod")
    now = datetime.now(UTC).isoformat()
    deliver(
        app,
        event(
            "ProductCreated",
            {
                "id": product_id,
                "name": "plan",
                "taxCategory": "vat",
                "active": True,
                "prices": [{"currency": "USD", "unitPrice": price}],
                "billingCycleId": cycle,
                "version": 1,
                "updatedAt": now,
            },
        ),
    )
    rule_id = platform_id("txr")
    deliver(
        app,
        event(
            "TaxRuleCreated",
            {
                "id": rule_id,
                "name": "VAT",
                "country": "DE",
                "region": None,
                "taxCategory": "vat",
                "rate": "0.2",
                "inclusive": False,
                "active": True,
                "validFrom": None,
                "validTo": None,
                "changedAt": now,
            },
        ),
    )
    deliver(
        app,
        event(
            "CustomerCreated",
            customer_created(customer_id, name="Ada", billingAddress={"country": "DE"}, taxId=None),
            source="/customers",
        ),
    )
    return product_id


def patch(client: FlaskClient, admin: dict[str, str], sub_id: str, body: dict[str, Any]) -> Any:
    return client.patch(f"/api/v1/Subscriptions/{sub_id}", json=body, headers=admin)


def invoices_of(client: FlaskClient, admin: dict[str, str], sub_id: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/Invoices?subscriptionId={sub_id}&limit=100", headers=admin)
    assert r.status_code == 200
    found: list[dict[str, Any]] = r.json["data"]
    return found


def balance(app: Flask, customer_id: str) -> tuple[int, int]:
    """(the balance in USD, the sum of its movements): always equal."""
    db = deps_of(app).db
    with db.unit_of_work(write=False) as uow:
        store = CustomerBalances(uow.session)
        return store.of(customer_id).get("USD", 0), store.movements_sum(customer_id, "USD")


def outbox_events(app: Flask, name: str) -> list[dict[str, Any]]:
    db = deps_of(app).db
    outbox = db.kit_tables.outbox
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(outbox.c.data).where(outbox.c.type.like(f"billing.{name}.v%")).order_by(outbox.c.id)
        ).all()
    return [r.data if isinstance(r.data, dict) else json.loads(r.data) for r in rows]


def test_an_upgrade_is_previewed_and_invoiced_at_the_rules_figures_and_charged(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order, sub = start(app, client, admin)  # prod_0: 2 x 1999, prod_1: 1 x 500, VAT 20 %
    bigger = catalog(app, order["customerId"], 4999)
    when, f = at(sub, Fraction(1, 3))
    change = {"items": [{"productId": "prod_0", "quantity": 3}, {"productId": bigger, "quantity": 1}]}
    want = rule([(1999, 2), (500, 1)], [(1999, 3), (4999, 1)], f)

    pv = client.post(
        f"/api/v1/Subscriptions/{sub['id']}/preview-change",
        json=change | {"prorationDate": when},
        headers=admin,
    )
    assert pv.status_code == 200, pv.json
    assert (
        pv.json["total"] == want
        and pv.json["id"] is None
        and pv.json["billingReason"] == "subscription_update"
    )
    assert invoices_of(client, admin, sub["id"]) == [], "a preview makes nothing"

    r = patch(client, admin, sub["id"], change | {"prorationDate": when})
    assert r.status_code == 200, r.json
    assert [(i["productId"], i["quantity"]) for i in r.json["items"]] == [("prod_0", 3), (bigger, 1)]
    [inv] = invoices_of(client, admin, sub["id"])
    assert (inv["total"], inv["status"], inv["amountDue"]) == (want, "open", want)
    assert inv["number"] and all(
        line.get("proration") == f"{f.numerator}/{f.denominator}" for line in inv["lines"]
    )
    names = [line["name"] for line in inv["lines"]]
    assert names == ["prod_0", "prod_1", "prod_0", "plan"], "named as held, then as sold"
    [charge] = requested(app)
    assert (charge["invoiceId"], charge["amount"]) == (inv["id"], want)
    [row] = client.get(
        f"/api/v1/SubscriptionBillingHistories?subscriptionId={sub['id']}", headers=admin
    ).json["data"]
    assert (row["reason"], row["invoiceId"], row["status"], row["attempts"]) == (
        "subscription_update",
        inv["id"],
        "pending",
        1,
    )
    answer(app, charge, ok=True)
    [inv] = invoices_of(client, admin, sub["id"])
    assert inv["status"] == "paid"
    [row] = client.get(
        f"/api/v1/SubscriptionBillingHistories?subscriptionId={sub['id']}", headers=admin
    ).json["data"]
    assert row["status"] == "paid"
    [updated] = outbox_events(app, "SubscriptionUpdated")
    assert (updated["invoiceId"], updated["prorationBehavior"]) == (inv["id"], "always_invoice")

    again = patch(client, admin, sub["id"], change | {"prorationDate": when})
    assert again.status_code == 200 and len(invoices_of(client, admin, sub["id"])) == 1, (
        "same items: no change"
    )


def test_a_downgrade_becomes_credit_used_on_the_next_renewal_before_the_charge(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order, sub = start(app, client, admin)
    cheap = catalog(app, order["customerId"], 300)
    when, f = at(sub, Fraction(1, 2))
    r = patch(
        client, admin, sub["id"], {"items": [{"productId": cheap, "quantity": 1}], "prorationDate": when}
    )
    assert r.status_code == 200, r.json
    credit = rule([(1999, 2), (500, 1)], [(300, 1)], f)
    assert credit < 0
    [inv] = invoices_of(client, admin, sub["id"])
    assert (inv["total"], inv["status"], inv["amountDue"]) == (credit, "paid", 0)
    assert requested(app) == [], "a credit is never charged"
    assert balance(app, order["customerId"]) == (-credit, -credit)
    moves = client.get(f"/api/v1/CustomerBalanceTransactions?customerId={order['customerId']}", headers=admin)
    assert [(m["type"], m["amount"], m["invoiceId"]) for m in moves.json["data"]] == [
        ("invoice_credit", -credit, inv["id"])
    ]
    [changed] = outbox_events(app, "CustomerBalanceChanged")
    assert (changed["endingBalance"], changed["version"]) == (-credit, 1)

    renewal_total = 300 + 60  # the new item, VAT on top
    run(client, admin, datetime.fromisoformat(sub["currentPeriodEnd"]) + timedelta(minutes=1))
    renewal = next(
        i for i in invoices_of(client, admin, sub["id"]) if i["billingReason"] == "subscription_cycle"
    )
    used = min(-credit, renewal_total)
    assert (renewal["total"], renewal["creditApplied"]) == (renewal_total, used)
    assert renewal["amountDue"] == renewal_total - used
    if renewal["amountDue"]:
        assert requested(app)[-1]["amount"] == renewal_total - used
    else:
        assert renewal["status"] == "paid" and requested(app) == []
    assert balance(app, order["customerId"]) == (-credit - used, -credit - used)


def test_prorations_wait_for_the_renewal_or_are_left_out(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    _, sub = start(app, client, admin)
    when, f = at(sub, Fraction(1, 4))
    r = patch(
        client,
        admin,
        sub["id"],
        {
            "items": [{"productId": "prod_0", "quantity": 4}],
            "prorationDate": when,
            "prorationBehavior": "create_prorations",
        },
    )
    assert r.status_code == 200 and r.json["pendingProrationTotal"] == rule(
        [(1999, 2), (500, 1)], [(1999, 4)], f
    )
    assert invoices_of(client, admin, sub["id"]) == []
    run(client, admin, datetime.fromisoformat(sub["currentPeriodEnd"]) + timedelta(minutes=1))
    [renewal] = invoices_of(client, admin, sub["id"])
    period = 4 * 1999 + half_up(Fraction(4 * 1999) * VAT)
    assert renewal["total"] == period + r.json["pendingProrationTotal"]
    assert len(renewal["lines"]) == 1 + 3, "the period's line, then the waiting credit and charges"

    _, other = start(app, client, admin)
    r = patch(
        client,
        admin,
        other["id"],
        {"items": [{"productId": "prod_1", "quantity": 2}], "prorationBehavior": "none"},
    )
    assert r.status_code == 200 and r.json["pendingProrationTotal"] == 0
    assert invoices_of(client, admin, other["id"]) == []


def test_cancel_at_period_end_can_be_taken_back_and_a_prorated_cancel_credits(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    order, sub = start(app, client, admin)
    url = f"/api/v1/Subscriptions/{sub['id']}/cancel"
    r = client.post(url, json={"atPeriodEnd": True}, headers=admin)
    assert r.status_code == 200 and r.json["cancelAt"] == sub["currentPeriodEnd"]
    assert client.post(url, json={"atPeriodEnd": True}, headers=admin).json["version"] == r.json["version"]
    undone = client.post(url, json={"atPeriodEnd": False}, headers=admin)
    assert undone.status_code == 200 and undone.json["cancelAt"] is None and undone.json["status"] == "active"
    assert [e["change"] for e in outbox_events(app, "SubscriptionUpdated")] == ["cancellation_undone"]
    assert len(outbox_events(app, "SubscriptionCancellationScheduled")) == 1

    now = client.post(url, json={"atPeriodEnd": False, "prorate": True}, headers=admin)
    assert now.status_code == 200 and now.json["status"] == "canceled"
    [credit] = invoices_of(client, admin, sub["id"])
    assert credit["total"] < 0 and credit["status"] == "paid"
    assert balance(app, order["customerId"]) == (-credit["total"], -credit["total"])


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"items": []}, 422, "items"),
        ({"items": [{"productId": "prod_0", "quantity": 0}]}, 422, "items[0].quantity"),
        (
            {"items": [{"productId": "prod_0", "quantity": 1}], "prorationBehavior": "sometimes"},
            422,
            "prorationBehavior",
        ),
        (
            {"items": [{"productId": "prod_0", "quantity": 1}], "prorationDate": "2001-01-01T00:00:00Z"},
            422,
            "prorationDate",
        ),
        (
            {"items": [{"productId": "prod_01ARZ3NDEKTSV4RRFFQ69G5FAV", "quantity": 1}]},
            422,
            "items[0].productId",
        ),
        ({"items": [{"productId": "RECENT", "quantity": 1}]}, 503, None),
        ({"items": [{"productId": "ONE_OFF", "quantity": 1}]}, 422, "items[0].productId"),
        (
            {"items": [{"productId": "prod_0", "quantity": 1}, {"productId": "prod_0", "quantity": 2}]},
            422,
            "items[1].productId",
        ),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    app: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    order, sub = start(app, client, admin)
    one_off = catalog(app, order["customerId"], 100, cycle=None)
    for item in body["items"]:
        item["productId"] = {"RECENT": platform_id("prod"), "ONE_OFF": one_off}.get(
            item["productId"], item["productId"]
        )
    r = patch(client, admin, sub["id"], body)
    assert r.status_code == status and r.mimetype == "application/problem+json", r.json
    if field:
        assert field in json.dumps(r.json), r.json
    if status == 503:
        assert r.headers["Retry-After"]
    after = client.get(f"/api/v1/Subscriptions/{sub['id']}", headers=admin).json
    assert (after["version"], after["items"]) == (sub["version"], sub["items"])
    assert invoices_of(client, admin, sub["id"]) == [] and requested(app) == []


def test_a_customer_token_may_cancel_its_own_at_period_end_but_not_change_items(
    app: Flask, client: FlaskClient, admin: dict[str, str], tokens: Any
) -> None:
    order, sub = start(app, client, admin)
    own = {"Authorization": f"Bearer {tokens.token(customer_id=order['customerId'])}"}
    other = {"Authorization": f"Bearer {tokens.token(customer_id=new_id('cus'))}"}
    url = f"/api/v1/Subscriptions/{sub['id']}/cancel"
    assert client.post(url, json={"atPeriodEnd": True}, headers=other).status_code == 404
    assert (
        client.post(url, json={"atPeriodEnd": True}, headers=own).json["cancelAt"] == sub["currentPeriodEnd"]
    )
    assert client.post(url, json={"atPeriodEnd": False}, headers=own).json["cancelAt"] is None
    assert client.post(url, json={"atPeriodEnd": False, "prorate": False}, headers=own).status_code == 403
    r = patch(client, own, sub["id"], {"items": [{"productId": "prod_0", "quantity": 9}]})
    assert r.status_code == 403


def test_a_paused_subscription_bills_nothing_and_resuming_starts_a_billed_period(
    app: Flask, client: FlaskClient, admin: dict[str, str], tokens: Any
) -> None:
    order, sub = start(app, client, admin)
    own = {"Authorization": f"Bearer {tokens.token(customer_id=order['customerId'])}"}
    url = f"/api/v1/Subscriptions/{sub['id']}"
    assert client.post(f"{url}/pause", json={}, headers=own).status_code == 403, "pausing is the merchant's"
    r = client.post(f"{url}/pause", json={}, headers=admin)
    assert (
        r.status_code == 200
        and r.json["status"] == "paused"
        and r.json["allowedActions"] == ["resume", "cancel"]
    )
    end = datetime.fromisoformat(sub["currentPeriodEnd"])
    assert run(client, admin, end + timedelta(days=40))["invoiced"] == 0, "nothing billed while paused"
    assert client.post(f"{url}/cancel", json={"atPeriodEnd": True}, headers=admin).status_code == 409

    before = datetime.now(UTC)
    resumed = client.post(f"{url}/resume", headers=own)
    assert resumed.status_code == 200 and resumed.json["status"] == "active", resumed.json
    start_at = datetime.fromisoformat(resumed.json["currentPeriodStart"])
    assert before <= start_at <= datetime.now(UTC)
    [inv] = invoices_of(client, admin, sub["id"])
    assert datetime.fromisoformat(inv["periodStart"]) == start_at and inv["total"] == 5398
    [charge] = requested(app)
    assert charge["invoiceId"] == inv["id"]
    assert client.post(f"{url}/resume", headers=own).json["version"] == resumed.json["version"], (
        "resumed already"
    )
    assert run(client, admin, start_at + timedelta(days=20))["invoiced"] == 0, "the period is billed once"
    assert [e["resumedAt"] for e in outbox_events(app, "SubscriptionResumed")] == [start_at.isoformat()]


def test_a_pause_with_resumes_at_is_resumed_by_the_biller_then(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    _, sub = start(app, client, admin)
    url = f"/api/v1/Subscriptions/{sub['id']}"
    past = client.post(f"{url}/pause", json={"resumesAt": "2020-01-01T00:00:00Z"}, headers=admin)
    assert past.status_code == 422 and past.json["errors"][0]["field"] == "resumesAt"
    when = datetime.fromisoformat(sub["currentPeriodEnd"]) + timedelta(days=10)
    r = client.post(f"{url}/pause", json={"resumesAt": when.isoformat()}, headers=admin)
    assert r.status_code == 200 and datetime.fromisoformat(r.json["resumesAt"]) == when
    assert run(client, admin, when - timedelta(minutes=1))["invoiced"] == 0
    report = run(client, admin, when + timedelta(minutes=1))
    assert report["invoiced"] == 1
    after = client.get(url, headers=admin).json
    assert after["status"] == "active" and datetime.fromisoformat(after["currentPeriodStart"]) == when
    [inv] = invoices_of(client, admin, sub["id"])
    assert datetime.fromisoformat(inv["periodStart"]) == when


def test_a_declined_change_charge_goes_to_dunning_and_leaves_the_invoice_open(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    _, sub = start(app, client, admin)
    r = patch(client, admin, sub["id"], {"items": [{"productId": "prod_0", "quantity": 5}]})
    assert r.status_code == 200
    [charge] = requested(app)
    answer(app, charge, ok=False)
    [inv] = invoices_of(client, admin, sub["id"])
    assert inv["status"] == "open" and inv["amountDue"] == inv["total"] > 0, "payable on its hosted page"
    [row] = client.get(
        f"/api/v1/SubscriptionBillingHistories?subscriptionId={sub['id']}", headers=admin
    ).json["data"]
    assert (row["status"], row["failureCode"]) == ("past_due", "card_declined") and row["nextAttemptAt"]
    assert client.get(f"/api/v1/Subscriptions/{sub['id']}", headers=admin).json["status"] == "past_due"


def test_the_catalog_projection_keeps_the_newest_product_and_rule_whatever_the_order(app: Flask) -> None:
    product_id = catalog(app, new_id("cus"), 4999)
    db = deps_of(app).db
    with db.unit_of_work(write=False) as uow:
        first = CatalogProjection(uow.session).product(product_id)
        rule = CatalogProjection(uow.session).tax_rules("DE")[-1]
    assert first is not None
    newer = first | {"version": 2, "prices": [{"currency": "USD", "unitPrice": 5999}]}
    deliver(app, event("ProductUpdated", newer))
    deliver(app, event("ProductCreated", first))  # a replay of the older one
    off = {
        "id": rule.rule_id,
        "name": "VAT",
        "country": "DE",
        "region": None,
        "taxCategory": "vat",
        "rate": "0.2",
        "inclusive": False,
        "active": False,
        "validFrom": None,
        "validTo": None,
        "changedAt": datetime.now(UTC).isoformat(),
    }
    deliver(app, event("TaxRuleUpdated", off))
    with db.unit_of_work(write=False) as uow:
        kept = CatalogProjection(uow.session).product(product_id)
        rules = [r.rule_id for r in CatalogProjection(uow.session).tax_rules("DE")]
    assert kept is not None and kept["prices"] == [{"currency": "USD", "unitPrice": 5999}]
    assert rule.rule_id not in rules, "a deactivated rule no longer prices"
