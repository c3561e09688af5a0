import io
import json
import logging

from billing_shared import correlation
from billing_shared.logs import configure_logging


def test_log_lines_are_json_and_carry_the_request_id() -> None:
    configure_logging("svc-test")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    token = correlation.set_current("req-123")
    try:
        logging.getLogger("billing.test").info("customer created", extra={"customerId": "cus_1"})
    finally:
        correlation.reset(token)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "customer created" and line["level"] == "INFO"
    assert line["service"] == "svc-test" and line["request_id"] == "req-123" and line["customerId"] == "cus_1"


def test_unsafe_incoming_request_ids_are_replaced() -> None:
    assert correlation.accept("abc-123") == "abc-123"
    assert correlation.accept("evil\r\nSet-Cookie: x") != "evil\r\nSet-Cookie: x"
    assert len(correlation.accept(None)) == 32
