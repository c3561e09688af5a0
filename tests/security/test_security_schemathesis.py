"""A bounded schemathesis run over the gateway's aggregated OpenAPI with a valid admin token: every
operation (less the token endpoint and the few that change the whole shared platform, see
fuzzing.PLATFORM_WIDE) gets the schema's examples, its coverage cases (boundaries, missing and
wrong-typed fields) and a few generated ones, deterministically. No 5xx; each response's status,
content type and body as documented. `make fuzz` is the long run of the same thing."""

from __future__ import annotations

import json
import os

import pytest
from fuzzing import PLATFORM_WIDE, run
from helpers import Client

pytestmark = [pytest.mark.integration, pytest.mark.stack]

MAX_EXAMPLES = int(os.environ.get("SECURITY_FUZZ_EXAMPLES", "5"))


@pytest.mark.timeout(400)
def test_the_api_keeps_its_documented_contract_under_generated_input(api: Client) -> None:
    out = api.platform.var / "schemathesis"
    summary = run(
        api.base,
        api.token,
        out,
        max_examples=MAX_EXAMPLES,
        phases="examples,coverage,fuzzing",
        exclude=PLATFORM_WIDE,
        timeout=360,
    )
    print(json.dumps(summary.to_dict(), indent=2))
    assert summary.operations >= 50 and summary.cases > 0, (summary.to_dict(), out / "console.log")
    assert summary.failures == {}, json.dumps(summary.examples, indent=1)[:6000]
    assert summary.errors == [], summary.errors[:5]
