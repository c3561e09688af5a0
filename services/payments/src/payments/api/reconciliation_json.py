"""A reconciliation report on the wire (camelCase, as `ReconciliationReportSchema` documents it):
counts in `summary`, and each finding with our intent and the gateway's charge side by side."""

from __future__ import annotations

from typing import Any

from payments.domain.intents import PaymentIntent
from payments.domain.reconciliation import DuplicateCharge, GatewayCharge, Mismatch, Report


def report_json(report: Report) -> dict[str, Any]:
    return {
        "date": report.date,
        "gateways": report.gateways,
        "clean": report.clean,
        "summary": {
            "matched": report.matched,
            "missingAtGateway": len(report.missing_at_gateway),
            "missingHere": len(report.missing_here),
            "amountMismatches": len(report.amount_mismatches),
            "statusMismatches": len(report.status_mismatches),
            "duplicateCharges": len(report.duplicate_charges),
            "awaitingGateway": len(report.awaiting_gateway),
        },
        "missingAtGateway": [_ours(i) for i in report.missing_at_gateway],
        "missingHere": [_theirs(c) for c in report.missing_here],
        "amountMismatches": [_mismatch(m) for m in report.amount_mismatches],
        "statusMismatches": [_mismatch(m) for m in report.status_mismatches],
        "duplicateCharges": [_duplicate(d) for d in report.duplicate_charges],
        "awaitingGateway": [_ours(i) for i in report.awaiting_gateway],
    }


def _ours(i: PaymentIntent) -> dict[str, Any]:
    return {
        "paymentIntentId": i.id,
        "orderId": i.order_id,
        "gatewayId": i.gateway_id,
        "gatewayReference": i.gateway_reference,
        "amount": i.amount,
        "amountRefunded": i.amount_refunded,
        "currency": i.currency,
        "status": i.status,
    }


def _theirs(found: GatewayCharge) -> dict[str, Any]:
    c = found.charge
    return {
        "gatewayId": found.gateway_id,
        "gatewayReference": c.reference,
        "orderId": c.metadata.get("orderId"),
        "amount": c.amount,
        "amountRefunded": c.amount_refunded,
        "currency": c.currency,
        "status": c.status,
        "created": c.created,
    }


def _mismatch(m: Mismatch) -> dict[str, Any]:
    return {"ours": _ours(m.ours), "gateway": _theirs(m.theirs)}


def _duplicate(d: DuplicateCharge) -> dict[str, Any]:
    return {"gatewayId": d.gateway_id, "orderId": d.order_id, "gatewayReferences": d.gateway_references}
