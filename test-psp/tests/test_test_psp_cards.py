"""The test gateway's card rules, without I/O: which numbers it takes and what each does."""

from __future__ import annotations

import datetime as dt

import pytest

from test_psp import cards

TODAY = dt.date(2026, 6, 15)


def card(number: str, **kw: object) -> dict[str, object]:
    return {"number": number, "expMonth": 12, "expYear": 2030, "cvc": "123"} | kw


@pytest.mark.parametrize(
    ("number", "behaviour", "last4"),
    [
        ("4242 4242 4242 4242", cards.SUCCEEDS, "4242"),
        ("4000-0025-0000-3155", cards.THREE_DS, "3155"),
        ("4000000000009995", cards.DECLINED, "9995"),
        (" 4000 0000 0000 0259 ", cards.DISPUTED, "0259"),
    ],
)
def test_each_test_number_has_its_behaviour_and_keeps_only_brand_last4_and_expiry(
    number: str, behaviour: str, last4: str
) -> None:
    kept = cards.tokenisable(card(number, expYear=30), TODAY)
    assert kept == cards.Card("visa", last4, behaviour, 12, 2030)
    assert set(vars(kept)) == {"brand", "last4", "behaviour", "exp_month", "exp_year"}


def test_a_ready_made_token_is_valid_for_years() -> None:
    assert cards.READY_MADE["tok_visa"].expiry(TODAY) == (12, 2029)
    assert cards.tokenisable(card("4242424242424242", expMonth=7), TODAY).expiry(TODAY) == (7, 2030)


def test_ready_made_tokens_match_the_numbers() -> None:
    by_behaviour = {c.behaviour: c.last4 for c in cards.READY_MADE.values()}
    for number, behaviour in cards.TEST_NUMBERS.items():
        assert by_behaviour[behaviour] == number[-4:]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (card("4242424242424241"), "invalid_number", "number"),  # fails the Luhn check
        (card("42424242abcd4242"), "invalid_number", "number"),
        ({"expMonth": 1, "expYear": 2030, "cvc": "123"}, "invalid_number", "number"),
        (card("5555555555554444"), "card_declined", "number"),  # valid, but not one of ours
        (card("4242424242424242", expMonth=13), "invalid_expiry_month", "expMonth"),
        (card("4242424242424242", expMonth=5, expYear=2026), "invalid_expiry_year", "expYear"),
        (card("4242424242424242", expYear="soon"), "invalid_request", "expYear"),
        (card("4242424242424242", cvc="12"), "invalid_cvc", "cvc"),
        (card("4242424242424242", cvc=True), "invalid_cvc", "cvc"),
    ],
)
def test_refusals_name_the_field_and_never_echo_the_number(
    body: dict[str, object], code: str, param: str
) -> None:
    with pytest.raises(cards.CardError) as err:
        cards.tokenisable(body, TODAY)
    assert (err.value.code, err.value.param) == (code, param)
    digits = str(body.get("number", "")).replace(" ", "")
    assert not digits or digits not in str(err.value)


def test_two_digit_years_and_the_current_month_are_accepted() -> None:
    assert cards.tokenisable(card("4242424242424242", expMonth=6, expYear=26), TODAY).last4 == "4242"


def test_luhn_and_brands() -> None:
    assert cards.luhn_ok("4242424242424242") and not cards.luhn_ok("4242424242424243")
    assert [cards.brand_of(n) for n in ("4242", "5555", "2223", "3782", "6011")] == [
        "visa",
        "mastercard",
        "mastercard",
        "amex",
        "unknown",
    ]
