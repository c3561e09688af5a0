"""/api/v1/PaymentIntents/hosted/<token>: the checkout behind a hosted invoice page's Pay button.

The gateway lets exactly `GET` and `POST PaymentIntents/hosted/<token>` through without a token:
the hosted invoice link's signed, expiring token is the credential, and this service verifies it
(with the key invoicing signs it with). A browser posts the form; the answer is a redirect (303) to
the gateway's 3D Secure page or back to the invoice page, or the page again with the reason a card
was declined."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from billing_shared.errors import Problem
from billing_shared.web.context import deps
from billing_shared.web.responses import hosted_page
from billing_shared.web.transaction import current_uow, transactional
from payments.api.checkout_page import render_checkout
from payments.bootstrap import Deps
from payments.service_layer import hosted_checkout

blp = Blueprint(
    "hosted_checkout", __name__, url_prefix="/api/v1/PaymentIntents", description="Hosted invoice checkout"
)

_HTML = {"200": {"description": "the checkout page", "content": {"text/html": {}}}}
_PAID = {"303": {"description": "to the gateway's 3D Secure page, or back to the invoice page"}}


@blp.route("/hosted/<string:token>")
class HostedCheckout(MethodView):
    @blp.doc(security=[], responses=_HTML)
    def get(self, token: str) -> Response:
        """The checkout of the invoice the hosted token grants: the amount due and the customer's
        saved cards. 404 when the token does not verify, 410 when it has expired."""
        return hosted_page(render_checkout(hosted_checkout.checkout(deps(Deps), token)))

    @blp.doc(security=[], responses=_PAID | _HTML)
    @transactional
    def post(self, token: str) -> Response:
        """Pay with the saved card chosen (form field `paymentMethodId`): 303 to 3D Secure or back
        to the invoice; a declined card shows the page again with the reason (a 200: the declined
        intent is recorded, as every answer of the gateway is)."""
        method_id = request.form.get("paymentMethodId", "")
        if not method_id:
            raise Problem(422, "Choose a card to pay with (paymentMethodId).")
        outcome = hosted_checkout.pay(current_uow(), deps(Deps), token, method_id)
        if outcome.redirect is not None:
            return Response(status=303, headers={"Location": outcome.redirect})
        page = render_checkout(hosted_checkout.checkout(deps(Deps), token), failure=outcome.failure)
        return hosted_page(page)
