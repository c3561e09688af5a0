"""JSON Schema contracts, one per event type and version, checked before an event is stored."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


class ContractError(ValueError):
    """An event that does not match its published schema: a bug in the publisher."""


@cache
def _validator(name: str, version: int) -> Draft202012Validator:
    path = resources.files("billing_shared") / "contracts" / "events" / f"{name}.v{version}.json"
    if not path.is_file():
        raise ContractError(f"no schema for {name} v{version}")
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check(name: str, version: int, data: dict[str, Any]) -> None:
    errors = sorted(_validator(name, version).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(root)"
        raise ContractError(f"{name} v{version} breaks its schema at {where}: {errors[0].message}")


def schema_names() -> list[str]:
    folder = resources.files("billing_shared") / "contracts" / "events"
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
