"""The refusal matrix of TokenVerifier: every way a token can be wrong is a 401/403, never a pass."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_shared.auth import ALL_SCOPES, CUSTOMER_SCOPES, build_jwks, generate_key, sign
from billing_shared.auth.flask import current_principal, init_auth, requires
from billing_shared.auth.keys import SigningKey, load_key, thumbprint
from billing_shared.auth.verifier import TokenVerifier, require_scope
from billing_shared.errors import Problem

ISS = "http://127.0.0.1:8080"
AUD = "billing-api"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISS,
        "aud": AUD,
        "sub": "cli_test",
        "client_id": "cli_test",
        "scope": "customers:read orders:read",
        "role": "client",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("ES256")


@pytest.fixture
def verifier(key: SigningKey) -> TokenVerifier:
    return TokenVerifier(jwks=build_jwks([key]), issuer=ISS, audience=AUD)


def assert_invalid(verifier: TokenVerifier, token: str, words: str) -> Problem:
    with pytest.raises(Problem) as info:
        verifier.verify(token)
    problem = info.value
    assert problem.status == 401
    assert problem.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert words in problem.detail
    return problem


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_happy_path(verifier: TokenVerifier, key: SigningKey) -> None:
    c = claims()
    principal = verifier.verify(sign(c, key))
    assert principal.subject == "cli_test"
    assert principal.client_id == "cli_test"
    assert principal.scopes == frozenset({"customers:read", "orders:read"})
    assert principal.role == "client" and principal.customer_id is None
    assert principal.token_id == c["jti"] and principal.expires_at == c["exp"]
    assert principal.has("orders:read") and not principal.has("orders:write")


def test_rs256_is_accepted_too() -> None:
    rsa_key = generate_key("RS256")
    v = TokenVerifier(jwks=build_jwks([rsa_key]), issuer=ISS, audience=AUD)
    assert v.verify(sign(claims(), rsa_key)).subject == "cli_test"


def test_customer_token(verifier: TokenVerifier, key: SigningKey) -> None:
    token = sign(
        claims(sub="customer:cus_1", role="customer", customer_id="cus_1", scope=" ".join(CUSTOMER_SCOPES)),
        key,
    )
    principal = verifier.verify(token)
    assert principal.is_customer and principal.customer_id == "cus_1"
    assert principal.client_id == "cli_test"


def test_customer_role_without_customer_id_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    assert_invalid(verifier, sign(claims(role="customer"), key), "customer_id")


def test_unknown_role_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    assert_invalid(verifier, sign(claims(role="root"), key), "role")


def test_missing_header_is_plain_bearer_challenge(verifier: TokenVerifier) -> None:
    for header in (None, "", "Basic Zm9vOmJhcg==", "Bearer ", "Bearer"):
        with pytest.raises(Problem) as info:
            verifier.authenticate(header)
        assert info.value.status == 401
        assert info.value.headers == {"WWW-Authenticate": "Bearer"}


def test_authenticate_reads_bearer(verifier: TokenVerifier, key: SigningKey) -> None:
    assert verifier.authenticate("Bearer " + sign(claims(), key)).subject == "cli_test"
    assert verifier.authenticate("bearer " + sign(claims(), key)).subject == "cli_test"


def test_alg_none_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    token = b64({"alg": "none", "typ": "JWT", "kid": key.kid}) + "." + b64(claims()) + "."
    assert_invalid(verifier, token, "'none' is not accepted")


def test_hs256_signed_with_the_public_key_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    # The classic algorithm-confusion attack: HMAC keyed with the (public) PEM.
    import hashlib
    import hmac

    header = b64({"alg": "HS256", "typ": "JWT", "kid": key.kid})
    payload = b64(claims(scope=" ".join(ALL_SCOPES)))
    mac = hmac.new(key.public_pem().encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert_invalid(verifier, token, "'HS256' is not accepted")


def test_symmetric_algorithms_cannot_be_configured(key: SigningKey) -> None:
    with pytest.raises(ValueError):
        TokenVerifier(jwks=build_jwks([key]), issuer=ISS, audience=AUD, algorithms=("ES256", "HS256"))


def test_key_algorithm_must_match_header() -> None:
    # A key published for RS384 must not verify a token whose header says RS256.
    rsa_key = generate_key("RS256")
    jwk = rsa_key.public_jwk() | {"alg": "RS384"}
    v = TokenVerifier(jwks={"keys": [jwk]}, issuer=ISS, audience=AUD)
    assert_invalid(v, sign(claims(), rsa_key), "does not match")


def test_key_of_the_wrong_type_is_ignored(key: SigningKey) -> None:
    # An EC key that claims to be an RS256 key is unusable, so the token's kid is unknown.
    v = TokenVerifier(jwks={"keys": [key.public_jwk() | {"alg": "RS256"}]}, issuer=ISS, audience=AUD)
    assert_invalid(v, sign(claims(), key), "unknown key")


def test_expired_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    now = int(time.time())
    assert_invalid(verifier, sign(claims(iat=now - 600, nbf=now - 600, exp=now - 120), key), "expired")


def test_expiry_within_leeway_is_accepted(verifier: TokenVerifier, key: SigningKey) -> None:
    now = int(time.time())
    assert verifier.verify(sign(claims(iat=now - 600, nbf=now - 600, exp=now - 10), key)).subject


def test_nbf_in_future_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    assert_invalid(verifier, sign(claims(nbf=int(time.time()) + 300), key), "not valid yet")


def test_wrong_issuer_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    assert_invalid(verifier, sign(claims(iss="https://evil.example"), key), "trusted issuer")


def test_wrong_audience_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    assert_invalid(verifier, sign(claims(aud="other-api"), key), "aud")


def test_unknown_kid_is_refused(verifier: TokenVerifier) -> None:
    stranger = generate_key("ES256")
    assert_invalid(verifier, sign(claims(), stranger), "unknown key")


def test_missing_kid_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    token = jwt.encode(claims(), key.private_key, algorithm="ES256")
    assert_invalid(verifier, token, "kid")


def test_tampered_payload_is_refused(verifier: TokenVerifier, key: SigningKey) -> None:
    header, _payload, signature = sign(claims(), key).split(".")
    forged = b64(claims(scope=" ".join(ALL_SCOPES)))
    assert_invalid(verifier, f"{header}.{forged}.{signature}", "signature")


def test_garbage_is_refused(verifier: TokenVerifier) -> None:
    for token in ("abc", "a.b.c", "....", "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.AA"):
        assert_invalid(verifier, token, "malformed")
    assert_invalid(verifier, "eyJhbGciOiJFUzI1NiJ9.e30.", "trusted issuer")


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "jti"])
def test_missing_required_claim_is_refused(verifier: TokenVerifier, key: SigningKey, claim: str) -> None:
    problem = assert_invalid(verifier, sign(claims(**{claim: None}), key), "")
    assert claim in problem.detail or "issuer" in problem.detail


def test_missing_scope_is_403(verifier: TokenVerifier, key: SigningKey) -> None:
    principal = verifier.verify(sign(claims(), key))
    require_scope(principal, "orders:read")
    with pytest.raises(Problem) as info:
        require_scope(principal, "orders:write")
    assert info.value.status == 403
    assert info.value.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="orders:write"'


def test_error_description_cannot_inject_quotes(key: SigningKey) -> None:
    v = TokenVerifier(jwks=build_jwks([key]), issuer=ISS, audience='x"y')
    with pytest.raises(Problem) as info:
        v.verify(sign(claims(), key))
    challenge = info.value.headers["WWW-Authenticate"]
    assert challenge.count('"') == 4


def test_successful_verification_is_cached_until_exp(verifier: TokenVerifier, key: SigningKey) -> None:
    token = sign(claims(), key)
    assert verifier.cached(token) is None
    first = verifier.verify(token)
    assert verifier.cached(token) is first
    assert verifier.verify(token) is first
    short = sign(claims(exp=int(time.time()) - 1, iat=int(time.time()) - 60), key)
    verifier.verify(short)  # inside the leeway, so accepted, but already past exp
    assert verifier.cached(short) is None


def test_cache_is_bounded(key: SigningKey) -> None:
    v = TokenVerifier(jwks=build_jwks([key]), issuer=ISS, audience=AUD, cache_size=3)
    tokens = [sign(claims(), key) for _ in range(5)]
    for t in tokens:
        v.verify(t)
    assert v.cached(tokens[0]) is None and v.cached(tokens[-1]) is not None
    assert len(v._cache) == 3


def test_keys_round_trip_through_pem() -> None:
    for alg in ("ES256", "RS256"):
        k = generate_key(alg)
        again = load_key(k.private_pem(), alg, k.kid)
        assert again.kid == k.kid == thumbprint(again.public_key)
    with pytest.raises(ValueError):
        load_key(generate_key("ES256").private_pem(), "RS256")


def test_jwks_has_no_private_members(key: SigningKey) -> None:
    jwks = build_jwks([key, generate_key("RS256")])
    for jwk in jwks["keys"]:
        assert {"kid", "alg", "use", "kty"} <= set(jwk)
        assert not {"d", "p", "q"} & set(jwk)


def test_oidc_issuer_is_accepted_by_its_own_keys(key: SigningKey) -> None:
    outside = generate_key("RS256")
    with jwks_server(build_jwks([outside])) as (url, _state):
        v = TokenVerifier(
            jwks=build_jwks([key]),
            issuer=ISS,
            audience=AUD,
            oidc_issuer="https://idp.example",
            oidc_jwks_url=url,
        )
        oidc_claims = claims(iss="https://idp.example", jti=None, client_id=None, azp="spa", scope=None)
        oidc_claims["scp"] = ["customers:read"]
        p = v.verify(sign(oidc_claims, outside))
        assert p.client_id == "spa" and p.scopes == frozenset({"customers:read"})
        # Our own key cannot speak for the outside issuer, nor theirs for us.
        assert_invalid(v, sign(claims(iss="https://idp.example"), key), "unknown key")
        assert_invalid(v, sign(claims(), outside), "unknown key")


class _State:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0


class jwks_server:
    """A tiny JWKS endpoint on 127.0.0.1 whose key set the test can change."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.state = _State(jwks)

    def __enter__(self) -> tuple[str, _State]:
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state.fetches += 1
                body = json.dumps(state.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json", state

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(key: SigningKey) -> Iterator[tuple[str, _State]]:
    with jwks_server(build_jwks([key])) as pair:
        yield pair


def test_rotation_picks_up_a_new_kid_without_restart(key: SigningKey, served: tuple[str, _State]) -> None:
    url, state = served
    v = TokenVerifier(jwks_url=url, issuer=ISS, audience=AUD, refetch_cooldown=0.2)
    assert v.verify(sign(claims(), key)).subject == "cli_test"
    assert state.fetches == 1
    new = generate_key("ES256")
    token = sign(claims(), new)
    time.sleep(0.25)
    assert_invalid(v, token, "unknown key")  # not published yet: one refetch, still unknown
    assert state.fetches == 2
    state.jwks = build_jwks([key, new])
    time.sleep(0.25)
    assert v.verify(token).subject == "cli_test"
    assert state.fetches == 3
    assert v.verify(sign(claims(), key)).subject == "cli_test"  # the old key still works


def test_unknown_kids_cannot_hammer_the_jwks_endpoint(key: SigningKey, served: tuple[str, _State]) -> None:
    url, state = served
    v = TokenVerifier(jwks_url=url, issuer=ISS, audience=AUD, refetch_cooldown=60)
    v.verify(sign(claims(), key))
    for _ in range(20):
        assert_invalid(v, sign(claims(), generate_key("ES256")), "unknown key")
    assert state.fetches == 1


def test_unreachable_jwks_is_503_not_401(key: SigningKey) -> None:
    v = TokenVerifier(jwks_url="http://127.0.0.1:9/jwks.json", issuer=ISS, audience=AUD)
    with pytest.raises(Problem) as info:
        v.verify(sign(claims(), key))
    assert info.value.status == 503


def test_flask_requires(key: SigningKey, verifier: TokenVerifier) -> None:
    app = Flask("t")
    init_auth(app, verifier)

    @app.errorhandler(Problem)
    def render(problem: Problem) -> Any:
        return problem.to_dict(), problem.status, problem.headers

    @app.get("/things")
    @requires("orders:read")
    def things() -> Any:
        return {"sub": current_principal().subject}

    @app.post("/things")
    @requires("orders:write")
    def make_thing() -> Any:
        return {}, 201

    client = app.test_client()
    assert client.get("/things").status_code == 401
    good = {"Authorization": "Bearer " + sign(claims(), key)}
    response = client.get("/things", headers=good)
    assert response.status_code == 200 and response.json == {"sub": "cli_test"}
    response = client.post("/things", headers=good)
    assert response.status_code == 403 and "insufficient_scope" in response.headers["WWW-Authenticate"]
    bad = {"Authorization": "Bearer " + sign(claims(aud="x"), key)}
    assert client.get("/things", headers=bad).status_code == 401


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "kid", "typ", "crit", "b64", "jku"]), json_values, max_size=4
    ),
    payload=st.dictionaries(
        st.sampled_from(["iss", "aud", "sub", "exp", "nbf", "iat", "jti", "scope", "role", "customer_id"]),
        json_values,
        max_size=10,
    ),
    signed=st.booleans(),
)
def test_any_token_shape_is_a_problem_never_a_crash(
    verifier: TokenVerifier, key: SigningKey, header: dict[str, Any], payload: dict[str, Any], signed: bool
) -> None:
    if signed:
        try:
            token = jwt.encode(payload, key.private_key, algorithm="ES256", headers=header | {"kid": key.kid})
        except Exception:  # PyJWT refuses to build this shape at all: nothing to verify
            return
    else:
        token = f"{b64(header)}.{b64(payload)}.c2ln"
    try:
        verifier.verify(token)
    except Problem as problem:
        assert problem.status == 401
