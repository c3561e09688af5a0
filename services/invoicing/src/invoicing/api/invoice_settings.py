"""/api/v1/InvoiceSettings: the merchant's identity and branding on documents and mail (read by the
merchant, changed by an admin), and its logo (`PUT /InvoiceSettings/logo` with the image as the
body). Each change is a new revision; the ETag is the revision, If-Match guards a change."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from billing_shared.auth.flask import requires
from billing_shared.auth.scopes import ADMIN
from billing_shared.web.context import caller_scope, deps, if_match, reading
from billing_shared.web.field_types import flag
from billing_shared.web.responses import BEARER, IF_MATCH, resource_response
from billing_shared.web.schemas import CamelSchema
from billing_shared.web.transaction import current_uow, transactional
from invoicing.bootstrap import Deps
from invoicing.domain.invoice_settings import LOGO_MAX_BYTES as MAX_BYTES
from invoicing.domain.invoice_settings import PNG, SVG, InvoiceSettings
from invoicing.service_layer import invoice_settings

blp = Blueprint(
    "invoice_settings",
    __name__,
    url_prefix="/api/v1/InvoiceSettings",
    description="The merchant's identity and branding on invoices, credit notes and e-mails",
)
_COLOR = validate.Regexp(r"^#[0-9A-Fa-f]{6}$", error="a colour as #RRGGBB")
_LINE = fields.String(validate=validate.Length(min=1, max=200))


class MailSwitchesSchema(Schema):
    class Meta:
        ordered = True

    invoiceFinalized = flag(metadata={"description": "a finalized invoice, with its PDF"})
    receipt = flag(metadata={"description": "a receipt when an invoice is paid"})
    paymentFailed = flag(metadata={"description": "each failed renewal charge, with the pay link"})
    trialEnding = flag(metadata={"description": "three days before a trial ends"})
    subscriptionCanceled = flag(metadata={"description": "a subscription cancelled"})


class LogoSchema(CamelSchema):
    content_type = fields.String(metadata={"enum": [PNG, SVG]})
    size = fields.Integer(metadata={"description": "bytes, after sanitising"})


class InvoiceSettingsSchema(CamelSchema):
    revision = fields.Integer(metadata={"description": "0: the deployment's defaults, never changed"})
    seller_name = fields.String()
    seller_address = fields.List(fields.String())
    seller_tax_id = fields.String(allow_none=True)
    accent_color = fields.String()
    footer = fields.String(allow_none=True)
    days_until_due = fields.Integer()
    support_email = fields.String(allow_none=True)
    mail = fields.Nested(MailSwitchesSchema)
    logo = fields.Nested(LogoSchema, allow_none=True)


class InvoiceSettingsPatchSchema(CamelSchema):
    """The fields to change; null clears an optional one. Documents already issued keep what they
    showed: a finalized invoice names the revision it was issued with."""

    seller_name = fields.String(validate=validate.Length(min=1, max=200))
    seller_address = fields.List(_LINE, validate=validate.Length(max=6), allow_none=True)
    seller_tax_id = fields.String(validate=validate.Length(min=1, max=50), allow_none=True)
    accent_color = fields.String(validate=_COLOR)
    footer = fields.String(validate=validate.Length(min=1, max=1000), allow_none=True)
    days_until_due = fields.Integer(strict=True, validate=validate.Range(min=0, max=365))
    support_email = fields.Email(validate=validate.Length(max=320), allow_none=True)
    mail = fields.Nested(MailSwitchesSchema)


def settings_body(s: InvoiceSettings) -> dict[str, Any]:
    logo = {"contentType": s.logo.content_type, "size": len(s.logo.data)} if s.logo else None
    return {"revision": s.revision, **s.data(), "logo": logo}


def _answer(s: InvoiceSettings) -> Response:
    return resource_response(settings_body(s), version=s.revision)


@blp.route("")
class InvoiceSettingsResource(MethodView):
    @requires("invoices:read")
    @blp.response(200, InvoiceSettingsSchema)
    @blp.doc(security=BEARER)
    def get(self) -> Response:
        """The settings every new document and mail uses (the merchant's; a customer token 403)."""
        with reading() as uow:
            return _answer(invoice_settings.get_settings(uow, deps(Deps), caller_scope()))

    @requires(ADMIN)
    @transactional
    @blp.arguments(InvoiceSettingsPatchSchema)
    @blp.response(200, InvoiceSettingsSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH])
    def patch(self, body: dict[str, Any]) -> Response:
        """Change the named fields (admin): a new revision that drafts and every document issued
        from now on show; `mail` switches are merged. A change to nothing makes no revision."""
        return _answer(invoice_settings.change_settings(current_uow(), deps(Deps), body, if_match()))


_IMAGE_BODY = {
    "required": True,
    "content": {
        PNG: {"schema": {"type": "string", "format": "binary", "maxLength": MAX_BYTES}},
        SVG: {"schema": {"type": "string", "format": "binary", "maxLength": MAX_BYTES}},
    },
}


@blp.route("/logo")
class InvoiceSettingsLogo(MethodView):
    @requires(ADMIN)
    @transactional
    @blp.response(200, InvoiceSettingsSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH], requestBody=_IMAGE_BODY)
    def put(self) -> Response:
        """The logo (admin): the body is a PNG or an SVG of at most 512 KiB, named by its
        Content-Type. A PNG is decoded and written again, an SVG rebuilt from drawing elements
        only (no script, handler, link or embedded content). Another type is a 415, an image that
        does not read or is too large a 422; nothing changes then."""
        data = request.get_data(cache=False)
        content_type = request.headers.get("Content-Type", "")
        return _answer(
            invoice_settings.upload_logo(current_uow(), deps(Deps), data, content_type, if_match())
        )

    @requires(ADMIN)
    @transactional
    @blp.response(200, InvoiceSettingsSchema)
    @blp.doc(security=BEARER, parameters=[IF_MATCH])
    def delete(self) -> Response:
        """No logo on documents issued from now on (admin)."""
        return _answer(invoice_settings.remove_logo(current_uow(), deps(Deps), if_match()))
