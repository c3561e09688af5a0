from billing_shared.errors import Problem, flatten_marshmallow


def test_nested_marshmallow_messages_become_dotted_fields() -> None:
    errs = flatten_marshmallow(
        {"billingAddress": {"country": ["bad"]}, "name": ["Not a valid string."], "_schema": ["whole body"]}
    )
    assert {(e.field, e.message) for e in errs} == {
        ("billingAddress.country", "bad"),
        ("name", "Not a valid string."),
        ("(body)", "whole body"),
    }


def test_problem_body_follows_rfc_9457() -> None:
    body = Problem(409, "Key in flight.").to_dict(instance="/api/v1/Customers")
    assert body == {
        "type": "https://billing.dev/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Key in flight.",
        "instance": "/api/v1/Customers",
    }
