"""Settings, the provider registry and the CLI: no test gateway in production, secrets never printed,
every gateway listed whatever is configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from payments.adapters import registry
from payments.cli import main
from payments.config import PaymentsSettings
from payments.domain.gateways import KNOWN


def test_production_never_offers_the_test_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_TEST_GATEWAY_ENABLED", "true")
    assert PaymentsSettings().test_gateway_enabled is True
    monkeypatch.setenv("ENVIRONMENT", "production")
    s = PaymentsSettings()
    assert s.test_gateway_enabled is False and "test" not in registry.build(s)


def test_the_registry_builds_what_is_configured() -> None:
    off = PaymentsSettings(test_gateway_enabled=False)
    assert registry.build(off) == {}
    both = registry.build(PaymentsSettings(STRIPE_API_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x"))
    assert sorted(both) == ["stripe", "test"] and all(both[g].id == g for g in both)
    assert set(KNOWN) == {"test", "stripe"} == set(registry.HOW_TO_CONFIGURE)


def test_secrets_never_print() -> None:
    s = PaymentsSettings(
        STRIPE_API_KEY="sk_live_secret1",
        STRIPE_WEBHOOK_SECRET="whsec_secret2",
        TEST_PSP_API_KEY="sk_test_secret3",
        TEST_PSP_WEBHOOK_SECRET="whsec_secret4",
    )
    printed = repr(s) + str(s)
    assert not any(f"secret{n}" in printed for n in range(1, 5)), printed
    assert s.stripe_api_key == "sk_live_secret1"


def test_the_cli_prints_the_openapi_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    main(["openapi"])
    paths = json.loads(capsys.readouterr().out)["paths"]
    for p in (
        "/api/v1/PaymentGateways",
        "/api/v1/PaymentGateways/{gateway_id}/webhooks",
        "/api/v1/PaymentIntents",
        "/api/v1/PaymentIntents/{intent_id}/capture",
        "/api/v1/PaymentIntents/{intent_id}/cancel",
        "/api/v1/Refunds",
        "/api/v1/Reconciliation",
    ):
        assert p in paths, p
