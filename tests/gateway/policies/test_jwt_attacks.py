"""The JWT attack suite: each forged, altered or stale token is refused by validate-jwt with the right reason,
against keyless's published metadata and JWKS. Valid tokens are signed with keyless's own active key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import msal
import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from tests.gateway.policies._security_doubles import Ctx, Gateway, bearer, keyless_gateway, xml
from tests.platform.inprocess import grant, make_api, make_client

from keyless.gateway.policies import validate_jwt
from keyless.platform.ids import b64url

SPEC = validate_jwt.SPEC
API = "gw-attacks"
ATTACKER = "https://attacker.example"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from keyless_gateway(tmp_path_factory.mktemp("jwt-attacks"))


@pytest.fixture(scope="module")
def real(gw: Gateway) -> dict[str, Any]:
    """A real token from keyless (msal, client credentials) and the published JWKS."""
    kl = gw.kl

    async def build() -> tuple[dict[str, Any], str]:
        _, api_sp = await make_api(kl.svc, API, roles={"Orders.Write": True})
        client, client_sp, secret = await make_client(kl.svc, "gw-attack-client")
        await grant(kl.svc, client_sp, api_sp, "Orders.Write")
        return client, secret

    client, secret = kl.run(build())
    app = msal.ConfidentialClientApplication(
        client["appId"], client_credential=secret, authority=kl.authority, instance_discovery=False, verify=kl.ca
    )
    result = app.acquire_token_for_client(scopes=[f"api://{API}/.default"])
    assert "access_token" in result, result
    jwks = requests.get(f"{kl.authority}/discovery/v2.0/keys", verify=kl.ca, timeout=10).json()
    token = result["access_token"]
    head, body, _ = token.split(".")
    return {
        "token": token,
        "header": json.loads(base64.urlsafe_b64decode(head + "==")),
        "claims": json.loads(base64.urlsafe_b64decode(body + "==")),
        "jwks": jwks,
    }


def policy(gw: Gateway, extra: str = "") -> Any:
    tenant = gw.kl.tenant
    return validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization" require-scheme="Bearer" {extra}>
              <openid-config url="https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"/>
              <audiences><audience>api://{API}</audience></audiences>
              <issuers><issuer>https://sts.windows.net/{tenant}/</issuer></issuers>
              <required-claims><claim name="roles" match="any"><value>Orders.Write</value></claim></required-claims>
            </validate-jwt>"""
        ),
        Ctx(),
    )


def encode(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def rsa_sign(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey, alg: str = "RS256") -> str:
    signing_input = encode({**header, "alg": alg}, claims)
    digest = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}[alg[2:]]
    pad = padding.PSS(padding.MGF1(digest()), padding.PSS.DIGEST_LENGTH) if alg.startswith("PS") else padding.PKCS1v15()
    return f"{signing_input}.{b64url(key.sign(signing_input.encode(), pad, digest()))}"


def hs_sign(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = encode({**header, "alg": "HS256"}, claims)
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def keyless_key(gw: Gateway) -> rsa.RSAPrivateKey:
    active = gw.kl.svc.keys.active
    assert active is not None
    return active.private_key


def check(gw: Gateway, token: str, reason: str | None, extra: str = "") -> str:
    """Run the policy on `token`; assert the reason (None: accepted); return LastError.Message."""
    state = gw.state(headers=bearer(token))
    _, error = gw.run(SPEC, policy(gw, extra), state)
    if reason is None:
        assert error is None, error and error.message
        return ""
    assert error is not None, "the token was accepted"
    assert (error.source, error.reason) == ("validate-jwt", reason), error.message
    assert state.response is not None and state.response.status == 401
    assert token not in error.message and token not in json.dumps(state.traces)
    return error.message


def test_the_real_token_passes(gw: Gateway, real: dict[str, Any]) -> None:
    check(gw, real["token"], None)


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"])
def test_keyless_key_with_each_supported_algorithm_passes(gw: Gateway, real: dict[str, Any], alg: str) -> None:
    check(gw, rsa_sign(real["header"], real["claims"], keyless_key(gw), alg), None)


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(gw: Gateway, real: dict[str, Any], alg: str) -> None:
    unsigned = encode({"typ": "JWT", "alg": alg}, real["claims"]) + "."
    message = check(gw, unsigned, "TokenSignatureInvalid")
    assert "IDX10504" in message and "require-signed-tokens is true" in message
    # an unsigned token keeps its real header's kid: still refused
    assert "IDX10504" in check(
        gw, encode({**real["header"], "alg": alg}, real["claims"]) + ".", "TokenSignatureInvalid"
    )


def test_alg_none_with_a_signature_is_refused(gw: Gateway, real: dict[str, Any]) -> None:
    token = encode({"typ": "JWT", "alg": "none"}, real["claims"]) + "." + real["token"].split(".")[2]
    assert "not supported" in check(gw, token, "TokenSignatureInvalid")


def test_unsigned_token_is_refused_even_when_signatures_are_optional_if_alg_is_not_none(
    gw: Gateway, real: dict[str, Any]
) -> None:
    token = encode(real["header"], real["claims"]) + "."
    check(gw, token, "TokenSignatureInvalid", 'require-signed-tokens="false"')
    # APIM's documented behaviour: require-signed-tokens="false" accepts a token with alg none and no signature
    check(gw, encode({"alg": "none"}, real["claims"]) + ".", None, 'require-signed-tokens="false"')


def _public_forms(real: dict[str, Any]) -> list[bytes]:
    jwk = next(k for k in real["jwks"]["keys"] if k["kid"] == real["header"]["kid"])
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(base64.urlsafe_b64decode(jwk["e"] + "=="), "big"),
        int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big"),
    )
    public = numbers.public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pkcs1 = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return [pem, pkcs1, der, json.dumps(jwk).encode(), json.dumps(jwk, separators=(",", ":")).encode()]


def test_hs256_signed_with_the_rsa_public_key_is_refused(gw: Gateway, real: dict[str, Any]) -> None:
    """Key confusion: the published RSA key (PEM, PKCS#1, DER, JWK) used as an HMAC secret."""
    for secret in _public_forms(real):
        message = check(gw, hs_sign(real["header"], real["claims"], secret), "TokenSignatureInvalid")
        assert "never used as an HMAC secret" in message
    # also when the policy names the RSA key inline as n/e
    jwk = next(k for k in real["jwks"]["keys"] if k["kid"] == real["header"]["kid"])
    inline = validate_jwt.compile_policy(
        xml(f"""<validate-jwt header-name="Authorization">
            <issuer-signing-keys><key n="{jwk["n"]}" e="{jwk["e"]}"/></issuer-signing-keys></validate-jwt>"""),
        Ctx(),
    )
    assert gw.run(SPEC, inline, gw.state(headers=bearer(real["token"])))[1] is None
    for secret in _public_forms(real):
        forged = hs_sign({"typ": "JWT"}, real["claims"], secret)
        _, error = gw.run(SPEC, inline, gw.state(headers=bearer(forged)))
        assert error is not None and error.reason == "TokenSignatureInvalid"


def test_unknown_kid_is_refused_and_refreshes_the_keys_at_most_once(gw: Gateway, real: dict[str, Any]) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = rsa_sign({"typ": "JWT", "kid": "attacker-kid"}, real["claims"], attacker)
    check(gw, real["token"], None)  # metadata cached
    before = gw.openid.fetches
    message = check(gw, token, "TokenSignatureKeyNotFound")
    assert message.startswith("IDX10501: Signature validation failed. Unable to match key: kid: 'attacker-kid'.")
    assert gw.openid.fetches == before + 1  # the unknown kid forced one refresh
    check(gw, token, "TokenSignatureKeyNotFound")
    assert gw.openid.fetches == before + 1  # not again within five minutes


def test_expired_and_not_yet_valid(gw: Gateway, real: dict[str, Any]) -> None:
    now = int(time.time())
    key = keyless_key(gw)
    expired = rsa_sign(real["header"], {**real["claims"], "nbf": now - 7200, "exp": now - 30}, key)
    message = check(gw, expired, "TokenExpired")
    assert message.startswith("IDX10223: Lifetime validation failed. The token is expired.")
    assert "expired 3" in message  # keyless says by how much (about 30 s)
    check(gw, expired, None, 'clock-skew="120"')
    future = rsa_sign(real["header"], {**real["claims"], "nbf": now + 600, "exp": now + 3600}, key)
    assert "IDX10222" in check(gw, future, "JwtInvalid")
    check(gw, future, None, 'clock-skew="900"')
    no_exp = {k: v for k, v in real["claims"].items() if k != "exp"}
    assert "IDX10225" in check(gw, rsa_sign(real["header"], no_exp, key), "JwtInvalid")


def test_wrong_audience_issuer_claim(gw: Gateway, real: dict[str, Any]) -> None:
    key = keyless_key(gw)
    claims = real["claims"]
    message = check(
        gw, rsa_sign(real["header"], {**claims, "aud": "api://someone-else"}, key), "TokenAudienceNotAllowed"
    )
    assert "Audiences: 'api://someone-else'" in message and f"'api://{API}'" in message
    message = check(gw, rsa_sign(real["header"], {**claims, "iss": f"{ATTACKER}/"}, key), "TokenIssuerNotAllowed")
    assert f"Issuer: '{ATTACKER}/'" in message
    no_roles = {k: v for k, v in claims.items() if k != "roles"}
    message = check(gw, rsa_sign(real["header"], no_roles, key), "TokenClaimNotFound")
    assert message.startswith("JWT is missing the following claims: roles. Access denied.")
    message = check(
        gw, rsa_sign(real["header"], {**claims, "roles": ["Orders.Read"]}, key), "TokenClaimValueNotAllowed"
    )
    assert message.startswith("Claim roles value of Orders.Read is not allowed. Access denied.")


def test_tampered_payload_is_refused(gw: Gateway, real: dict[str, Any]) -> None:
    head, _, signature = real["token"].split(".")
    elevated = {**real["claims"], "roles": ["Orders.Write", "Orders.Admin"]}
    forged = f"{head}.{b64url(json.dumps(elevated).encode())}.{signature}"
    assert "IDX10511" in check(gw, forged, "TokenSignatureInvalid")
    # one flipped character in the signature
    last = "A" if signature[-2] != "A" else "B"
    assert "IDX10511" in check(
        gw, f"{head}.{real['token'].split('.')[1]}.{signature[:-2]}{last}{signature[-1]}", "TokenSignatureInvalid"
    )


def test_truncated_tokens_are_refused(gw: Gateway, real: dict[str, Any]) -> None:
    token = real["token"]
    head, body, signature = token.split(".")
    check(gw, f"{head}.{body}", "JwtInvalid")
    check(gw, head, "JwtInvalid")
    check(gw, f"{head}.{body}.{signature[:-20]}", "TokenSignatureInvalid")
    check(gw, f"{head}.{body[:-7]}.{signature}", "JwtInvalid")  # the payload no longer decodes to JSON
    check(gw, token + ".x.y", "JwtInvalid")  # five segments: a JWE, not supported


def test_oversized_token_is_refused(gw: Gateway, real: dict[str, Any]) -> None:
    big = rsa_sign(real["header"], {**real["claims"], "pad": "x" * 260_000}, keyless_key(gw))
    message = check(gw, big, "JwtInvalid")
    assert "IDX10209" in message and "MaximumTokenSizeInBytes: '256000'" in message


@pytest.mark.parametrize("kid", ["attacker-kid", None, "real"])
def test_key_headers_pointing_elsewhere_are_never_fetched(gw: Gateway, real: dict[str, Any], kid: str | None) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = attacker.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": b64url(numbers.n.to_bytes(256, "big")), "e": "AQAB"}
    header: dict[str, Any] = {"typ": "JWT", "jku": f"{ATTACKER}/jwks.json", "x5u": f"{ATTACKER}/cert.pem", "jwk": jwk}
    if kid is not None:
        header["kid"] = real["header"]["kid"] if kid == "real" else kid
    token = rsa_sign(header, real["claims"], attacker)
    expected = "TokenSignatureKeyNotFound" if kid == "attacker-kid" else "TokenSignatureInvalid"
    message = check(gw, token, expected)
    assert "jku, x5u, jwk header was ignored" in message
    assert not [u for u in gw.fetched if "attacker" in u]


@pytest.mark.parametrize(
    ("header_segment", "why"),
    [
        ('{"alg":"RS256","alg":"none","typ":"JWT"}', "duplicate member 'alg'"),
        ('{"alg":"RS256","kid":"a","kid":"b"}', "duplicate member 'kid'"),
        ('["RS256"]', "not a JSON object"),
        ("{'alg': 'RS256'}", "base64url-encoded JSON"),
        ('{"typ":"JWT"}', "no 'alg'"),
    ],
)
def test_duplicate_or_garbage_header_is_refused(
    gw: Gateway, real: dict[str, Any], header_segment: str, why: str
) -> None:
    _, body, signature = real["token"].split(".")
    token = f"{b64url(header_segment.encode())}.{body}.{signature}"
    assert why in check(gw, token, "JwtInvalid")


def test_non_base64url_segments_are_refused(gw: Gateway, real: dict[str, Any]) -> None:
    head, body, signature = real["token"].split(".")
    check(gw, f"{head}+.{body}.{signature}", "JwtInvalid")
    check(gw, f"{head}.{body}.{signature}==", "JwtInvalid")
    check(gw, f"{head}.{body}.{signature[:-1]}/", "JwtInvalid")
