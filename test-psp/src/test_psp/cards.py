"""Test cards and what each does. Pure: no I/O, so the rules are easy to see and to test.

Only the numbers below are accepted, as a real provider's test mode does: a real card number typed
here by mistake is refused, and no number is ever kept (the caller stores the token, brand, last
four digits and behaviour only).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

SUCCEEDS = "succeeds"
THREE_DS = "three_ds"
DECLINED = "declined"
DISPUTED = "disputed"  # succeeds, then the cardholder disputes it shortly after

BEHAVIOURS = (SUCCEEDS, THREE_DS, DECLINED, DISPUTED)

TEST_NUMBERS = {
    "4242424242424242": SUCCEEDS,
    "4000002500003155": THREE_DS,
    "4000000000009995": DECLINED,
    "4000000000000259": DISPUTED,
}


@dataclass(frozen=True)
class Card:
    """What is kept of a card: never the number."""

    brand: str
    last4: str
    behaviour: str
    exp_month: int | None = None  # None: a ready-made test token, valid for years (as Stripe's)
    exp_year: int | None = None

    def expiry(self, today: dt.date) -> tuple[int, int]:
        """(month, year): the card's, or for a ready-made token December three years on."""
        if self.exp_month is None or self.exp_year is None:
            return 12, today.year + 3
        return self.exp_month, self.exp_year


READY_MADE = {
    "tok_visa": Card("visa", "4242", SUCCEEDS),
    "tok_threeDSecureRequired": Card("visa", "3155", THREE_DS),
    "tok_chargeDeclined": Card("visa", "9995", DECLINED),
    "tok_chargeDisputed": Card("visa", "0259", DISPUTED),
}

DECLINE_CODE = "insufficient_funds"
DECLINE_MESSAGE = "Your card has insufficient funds."
AUTH_FAILED_CODE = "authentication_failed"
AUTH_FAILED_MESSAGE = "The cardholder did not complete 3D Secure authentication."
# A 3DS card charged off-session (offSession: true): nobody is there to authenticate.
AUTH_REQUIRED_CODE = "authentication_required"
AUTH_REQUIRED_MESSAGE = "This card requires authentication, which an off-session payment cannot do."


class CardError(ValueError):
    """A card the gateway refuses to tokenise; `param` names the field, the message never the number."""

    def __init__(self, code: str, message: str, param: str) -> None:
        super().__init__(message)
        self.code = code
        self.param = param


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def brand_of(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if re.match(r"5[1-5]|2[2-7]", digits):
        return "mastercard"
    if re.match(r"3[47]", digits):
        return "amex"
    return "unknown"


def _int_field(value: object, param: str) -> int:
    if isinstance(value, bool):
        raise CardError("invalid_request", f"{param} must be a number", param)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise CardError("invalid_request", f"{param} must be a number", param)


def tokenisable(body: dict[str, object], today: dt.date | None = None) -> Card:
    """Check a card as a provider would and say what is kept of it (raises CardError)."""
    number = body.get("number")
    if not isinstance(number, str) or not number.strip():
        raise CardError("invalid_number", "number is required (a string of digits)", "number")
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        raise CardError("invalid_number", "The card number is not a valid card number.", "number")
    today = today or dt.datetime.now(dt.UTC).date()
    month = _int_field(body.get("expMonth"), "expMonth")
    year = _int_field(body.get("expYear"), "expYear")
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError("invalid_expiry_month", "expMonth must be 1 to 12.", "expMonth")
    if (year, month) < (today.year, today.month) or year > today.year + 50:
        raise CardError("invalid_expiry_year", "The card's expiration date is in the past.", "expYear")
    cvc = body.get("cvc")
    if not isinstance(cvc, str | int) or isinstance(cvc, bool) or not re.fullmatch(r"\d{3,4}", str(cvc)):
        raise CardError("invalid_cvc", "cvc must be 3 or 4 digits.", "cvc")
    behaviour = TEST_NUMBERS.get(digits)
    if behaviour is None:
        raise CardError(
            "card_declined",
            "Your card was declined: this test gateway accepts only its test card numbers.",
            "number",
        )
    return Card(brand_of(digits), digits[-4:], behaviour, month, year)
