"""The pricing module's one error: which input field is wrong, and why.

The API layer turns a `PricingError` into a 422 problem+json that names the field
(`PricingError.to_problem()`), so a client always learns what to fix.
"""

from __future__ import annotations

from billing_shared.errors import FieldError, Problem


class PricingError(ValueError):
    """Invalid pricing input; `field` is a dotted path in the API's camelCase (`lines[3].quantity`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def within(self, prefix: str) -> PricingError:
        """The same error one level down (`quantity` -> `lines[3].quantity`), same class."""
        return type(self)(f"{prefix}.{self.field}" if self.field else prefix, self.message)

    def to_problem(self) -> Problem:
        return Problem(
            422, f"Invalid {self.field}: {self.message}", errors=[FieldError(self.field, self.message)]
        )


class PricingTypeError(PricingError, TypeError):
    """A value of the wrong type (a float where an exact amount or rate is needed, a bool for a count).

    It is a `TypeError` (floats are refused as a programming error) and still a `PricingError`, so the
    API layer answers a client that sent `1.5` with a 422 naming the field, never a 500.
    """
