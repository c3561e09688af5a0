"""The hosted checkout page (HTML): the invoice's amount due and the customer's saved cards, one
form that pays with the card chosen. Rendered by Jinja2 with autoescape; no scripts, no outside
assets (the page's Content-Security-Policy allows neither)."""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

from billing_shared.money import Money
from payments.service_layer.hosted_checkout import Checkout

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_CSS = (
    "body{margin:0;background:#f4f5f7;color:#1f2328;"
    'font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}'
    "main{max-width:520px;margin:32px auto;background:#fff;padding:32px;border-radius:8px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.08)}"
    "h1{margin:0 0 8px;font-size:22px}.due{font-size:28px;font-weight:700;margin:8px 0 20px}"
    "label{display:block;padding:10px 12px;border:1px solid #d0d7de;border-radius:6px;margin:8px 0}"
    "button{margin-top:16px;width:100%;padding:12px;font-size:16px;font-weight:600;color:#fff;"
    "background:#1f6feb;border:0;border-radius:6px}"
    ".error{background:#ffebe9;color:#a40e26;padding:10px 12px;border-radius:6px}.note{color:#656d76}"
)
_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Pay invoice</title><style>{{ css }}</style></head><body><main>
<h1>Pay invoice</h1>
{% if c.invoice.status != "open" %}
<p class="note" id="status">This invoice is {{ c.invoice.status }}: there is nothing to pay.</p>
{% else %}
<p class="due" id="amount-due">{{ due }}</p>
{% if failure %}<p class="error" id="failure">{{ failure }}</p>{% endif %}
{% if c.cards %}
<form method="post">
{% for card in c.cards %}
<label><input type="radio" name="paymentMethodId" value="{{ card.id }}"
{%- if card.id == chosen %} checked{% endif %}> {{ card.brand|title }} ending in {{ card.last4 }},
 expires {{ "%02d"|format(card.exp_month) }}/{{ card.exp_year }}</label>
{% endfor %}
<button type="submit" id="pay">Pay {{ due }}</button>
</form>
{% else %}
<p class="note" id="no-card">No card is saved for your account yet. Please contact the seller to add one.</p>
{% endif %}
{% endif %}
<p><a href="{{ c.invoice_url }}">Back to the invoice</a></p>
</main></body></html>
"""
)


def render_checkout(c: Checkout, *, failure: str | None = None) -> str:
    chosen = c.default_id or (c.cards[0].id if c.cards else None)
    due = str(Money(c.invoice.amount_due, c.invoice.currency))
    return _PAGE.render(c=c, due=due, chosen=chosen, failure=failure, css=Markup(_CSS))
