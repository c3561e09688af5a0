"""Tokens: issuing keys (`keys`), verifying bearer tokens (`verifier`), the caller (`Principal`)."""

from billing_shared.auth.keys import SigningKey, build_jwks, generate_key, load_key, sign
from billing_shared.auth.principal import ROLE_CLIENT, ROLE_CUSTOMER, Principal
from billing_shared.auth.scopes import ALL_SCOPES, CUSTOMER_SCOPES
from billing_shared.auth.verifier import TokenVerifier, require_scope

__all__ = [
    "ALL_SCOPES",
    "CUSTOMER_SCOPES",
    "ROLE_CLIENT",
    "ROLE_CUSTOMER",
    "Principal",
    "SigningKey",
    "TokenVerifier",
    "build_jwks",
    "generate_key",
    "load_key",
    "require_scope",
    "sign",
]
