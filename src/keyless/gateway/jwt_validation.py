"""JWT checks as Microsoft.IdentityModel makes them for APIM's validate-jwt: pure functions, no HTTP.

Order (as the library): size and shape, signature, lifetime, audience, issuer; APIM then checks required
claims. Each refusal is a `TokenRejected` carrying APIM's reason, a library-like message (IDX text, with
the token itself never included) and keyless's own explanation (what was expected, what was found).
Header values `jku`, `x5u`, `jwk` and `x5c` are never used to find a key: keys come only from the policy.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from keyless.csharp.dotnet.jwt import Jwt

# TokenValidationParameters.DefaultMaximumTokenSizeInBytes
MAX_TOKEN_SIZE = 1024 * 250

RSA_ALGORITHMS: dict[str, tuple[type[hashes.HashAlgorithm], bool]] = {
    # alg: (hash, PSS padding)
    "RS256": (hashes.SHA256, False),
    "RS384": (hashes.SHA384, False),
    "RS512": (hashes.SHA512, False),
    "PS256": (hashes.SHA256, True),
    "PS384": (hashes.SHA384, True),
    "PS512": (hashes.SHA512, True),
}
HMAC_ALGORITHMS: dict[str, str] = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
# Header parameters a token may use to point at keys; never followed (key injection / SSRF).
IGNORED_KEY_HEADERS = ("jku", "x5u", "jwk", "x5c")

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_TOKEN_TYPE = "System.IdentityModel.Tokens.Jwt.JwtSecurityToken"


# --- results -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why a token was refused: APIM's `reason`, the library's `message`, keyless's `explanation`."""

    reason: str
    message: str
    explanation: str = ""

    @property
    def detail(self) -> str:
        """The library message followed by keyless's explanation, for the trace and LastError.Message."""
        return f"{self.message} — {self.explanation}" if self.explanation else self.message


class TokenRejected(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _reject(reason: str, message: str, explanation: str = "") -> TokenRejected:
    return TokenRejected(Failure(reason, message, explanation))


# --- keys ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """A verification key: RSA public key or a symmetric secret. `kid` None matches any token kid."""

    kid: str | None
    source: str
    rsa_key: rsa.RSAPublicKey | None = None
    secret: bytes | None = field(default=None, repr=False)

    @property
    def symmetric(self) -> bool:
        return self.secret is not None


def _b64url_int(text: str) -> int:
    return int.from_bytes(b64url_decode_strict(text), "big")


def rsa_key(n: str, e: str, *, kid: str | None, source: str) -> SigningKey:
    """A key from base64url modulus and exponent (`<key n="…" e="…"/>`, a JWK)."""
    numbers = rsa.RSAPublicNumbers(_b64url_int(e), _b64url_int(n))
    return SigningKey(kid, source, rsa_key=numbers.public_key())


def symmetric_key(base64_text: str, *, kid: str | None, source: str) -> SigningKey:
    """`<key>base64</key>`: a symmetric key given in (standard) Base64."""
    try:
        secret = base64.b64decode(base64_text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the key is not valid Base64") from exc
    if not secret:
        raise ValueError("the key is empty")
    return SigningKey(kid, source, secret=secret)


def certificate_key(der_or_pem: bytes, *, kid: str | None, source: str) -> SigningKey:
    cert = (
        x509.load_pem_x509_certificate(der_or_pem)
        if der_or_pem.lstrip().startswith(b"-----")
        else x509.load_der_x509_certificate(der_or_pem)
    )
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise ValueError("only RSA certificates are supported")
    return SigningKey(kid, source, rsa_key=public)


def jwks_keys(document: Any, source: str) -> list[SigningKey]:
    """The RSA signing keys of a JWKS (`use` sig or absent); `n`/`e`, else the first `x5c` certificate."""
    found: list[SigningKey] = []
    keys = document.get("keys") if isinstance(document, dict) else None
    for entry in keys if isinstance(keys, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid") if isinstance(entry.get("kid"), str) else None
        try:
            if isinstance(entry.get("n"), str) and isinstance(entry.get("e"), str):
                found.append(rsa_key(entry["n"], entry["e"], kid=kid, source=source))
            elif isinstance(entry.get("x5c"), list) and entry["x5c"]:
                found.append(certificate_key(base64.b64decode(entry["x5c"][0]), kid=kid, source=source))
        except (ValueError, TypeError):
            continue
    return found


# --- parsing -------------------------------------------------------------------------------------------


def b64url_decode_strict(text: str) -> bytes:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member '{key}'")
        result[key] = value
    return result


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode_strict(segment), object_pairs_hook=_no_duplicates)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _reject(
            "JwtInvalid",
            f"IDX12729: Unable to decode the {what} '[PII is hidden]' as Base64Url encoded string.",
            f"the token's {what} is not base64url-encoded JSON ({exc}).",
        ) from None
    if not isinstance(value, dict):
        raise _reject(
            "JwtInvalid", f"IDX12723: Unable to decode the {what}.", f"the token's {what} is not a JSON object."
        )
    return value


@dataclass(frozen=True)
class ParsedToken:
    raw: str = field(repr=False)
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    signing_input: bytes = field(default=b"", repr=False)
    signature: bytes = field(default=b"", repr=False)

    @property
    def alg(self) -> str:
        return str(self.header.get("alg", ""))

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def parse(token: str, max_size: int = MAX_TOKEN_SIZE) -> ParsedToken:
    """Shape checks: size, three segments, base64url JSON header and payload without duplicate members."""
    if len(token) > max_size:
        raise _reject(
            "JwtInvalid",
            f"IDX10209: Token has length: '{len(token)}' which is larger than the MaximumTokenSizeInBytes: "
            f"'{max_size}'.",
            f"the token is {len(token)} characters long; the limit is {max_size}.",
        )
    parts = token.split(".")
    if len(parts) == 5:
        raise _reject(
            "JwtInvalid",
            "IDX10609: Decryption failed. No Keys tried: token: '[PII is hidden]'.",
            "the token is an encrypted JWT (JWE, five segments); keyless does not decrypt tokens.",
        )
    if len(parts) != 3:
        raise _reject(
            "JwtInvalid",
            "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact "
            "Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'."
            if len(parts) == 1
            else "IDX14111: JWT: '[PII is hidden]': must have three segments (JWS) or five segments (JWE).",
            f"the token has {len(parts)} dot-separated segments; a signed JWT has three.",
        )
    header = _json_object(parts[0], "header")
    claims = _json_object(parts[1], "payload")
    try:
        signature = b64url_decode_strict(parts[2])
    except ValueError:
        raise _reject(
            "JwtInvalid",
            "IDX10511: Signature validation failed. The signature is not base64url-encoded.",
            "the token's third segment (signature) is not base64url.",
        ) from None
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        raise _reject("JwtInvalid", "IDX14112: The JWT header has no 'alg'.", "the token's header has no 'alg' member.")
    return ParsedToken(token, header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


# --- signature -----------------------------------------------------------------------------------------


def _verify_with(key: SigningKey, token: ParsedToken) -> bool:
    alg = token.alg
    if alg in HMAC_ALGORITHMS:
        if key.secret is None:  # never an RSA public key as an HMAC secret (key confusion)
            return False
        expected = hmac.new(key.secret, token.signing_input, HMAC_ALGORITHMS[alg]).digest()
        return hmac.compare_digest(expected, token.signature)
    if alg in RSA_ALGORITHMS:
        if key.rsa_key is None:
            return False
        hash_type, pss = RSA_ALGORITHMS[alg]
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(hash_type()), padding.PSS.DIGEST_LENGTH) if pss else padding.PKCS1v15()
        )
        try:
            key.rsa_key.verify(token.signature, token.signing_input, pad, hash_type())
        except InvalidSignature:
            return False
        return True
    return False


def _keys_tried(keys: Sequence[SigningKey]) -> str:
    return ", ".join(f"kid '{k.kid}'" if k.kid else f"a key without id ({k.source})" for k in keys) or "none"


def verify_signature(
    token: ParsedToken, keys: Sequence[SigningKey], *, require_signed: bool = True
) -> SigningKey | None:
    """The key that verifies the token (None for an accepted unsigned token), else TokenRejected."""
    alg = token.alg
    if not token.signature:
        if alg.lower() == "none" and not require_signed:
            return None
        raise _reject(
            "TokenSignatureInvalid",
            "IDX10504: Unable to validate signature, token does not have a signature: '[PII is hidden]'.",
            f"the token is unsigned (alg '{alg}') and require-signed-tokens is true."
            if require_signed
            else f"the token has no signature but its alg is '{alg}', not 'none'.",
        )
    if alg not in RSA_ALGORITHMS and alg not in HMAC_ALGORITHMS:
        raise _reject(
            "TokenSignatureInvalid",
            f"IDX10511: Signature validation failed. Algorithm '{alg}' is not supported.",
            f"alg '{alg}' is not one of {', '.join([*RSA_ALGORITHMS, *HMAC_ALGORITHMS])}.",
        )
    ignored = [h for h in IGNORED_KEY_HEADERS if h in token.header]
    note = f" The token's {', '.join(ignored)} header was ignored: keys come only from the policy." if ignored else ""
    kid = token.kid
    matched = [k for k in keys if kid is not None and k.kid == kid]
    unnamed = [k for k in keys if k.kid is None]
    candidates = matched + unnamed if kid is not None else list(keys)
    kind = "symmetric" if alg in HMAC_ALGORITHMS else "RSA"
    usable = [k for k in candidates if k.symmetric == (alg in HMAC_ALGORITHMS)]
    for key in usable:
        if _verify_with(key, token):
            return key
    if kid is not None and not matched and not unnamed:
        raise _reject(
            "TokenSignatureKeyNotFound",
            f"IDX10501: Signature validation failed. Unable to match key: kid: '{kid}'.",
            f"no configured key has kid '{kid}'; keys known: {_keys_tried(keys)}.{note}",
        )
    if not usable:
        raise _reject(
            "TokenSignatureInvalid",
            f"IDX10503: Signature validation failed. Keys tried: '{_keys_tried(candidates)}'.",
            f"the token is signed with {alg} but no {kind} key is configured for it"
            + (" (an RSA public key is never used as an HMAC secret)." if alg in HMAC_ALGORITHMS else ".")
            + note,
        )
    raise _reject(
        "TokenSignatureInvalid",
        f"IDX10511: Signature validation failed. Keys tried: '{_keys_tried(usable)}'.",
        f"the {alg} signature does not verify with {_keys_tried(usable)}: the token was altered or signed by "
        f"another key.{note}",
    )


# --- claims --------------------------------------------------------------------------------------------


def claim_values(value: Any) -> list[str]:
    """A claim as the strings .NET sees: arrays are several values, booleans lower-case, objects as JSON."""
    if isinstance(value, list):
        return [v for item in value for v in claim_values(item)]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if value is None:
        return []
    if isinstance(value, dict):
        return [json.dumps(value, separators=(",", ":"))]
    return [str(value)]


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%m/%d/%Y %H:%M:%S")


def _numeric(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _reject(
            "JwtInvalid",
            f"IDX14300: Could not parse '{name}' : '{value}' as type: 'System.Int64'.",
            f"the '{name}' claim is not a number.",
        )
    return float(value)


def check_lifetime(claims: dict[str, Any], now: float, *, skew: float = 0, require_exp: bool = True) -> None:
    exp = _numeric(claims, "exp")
    nbf = _numeric(claims, "nbf")
    if exp is None:
        if require_exp:
            raise _reject(
                "JwtInvalid",
                "IDX10225: Lifetime validation failed. The token is missing an Expiration Time. "
                f"Tokentype: '{_TOKEN_TYPE}'.",
                "the token has no 'exp' claim and require-expiration-time is true.",
            )
    if nbf is not None and exp is not None and nbf > exp:
        raise _reject(
            "JwtInvalid",
            f"IDX10224: Lifetime validation failed. The NotBefore: '{_utc(nbf)}' is after Expires: '{_utc(exp)}'.",
            "the token's 'nbf' is later than its 'exp'.",
        )
    if nbf is not None and nbf > now + skew:
        raise _reject(
            "JwtInvalid",
            f"IDX10222: Lifetime validation failed. The token is not yet valid. ValidFrom: '{_utc(nbf)}', "
            f"Current time: '{_utc(now)}'.",
            f"the token becomes valid in {int(nbf - now)} s (clock-skew {int(skew)} s).",
        )
    if exp is not None and exp < now - skew:
        raise _reject(
            "TokenExpired",
            f"IDX10223: Lifetime validation failed. The token is expired. ValidTo: '{_utc(exp)}', "
            f"Current time: '{_utc(now)}'.",
            f"the token expired {int(now - exp)} s ago (clock-skew {int(skew)} s).",
        )


def _aud_equal(a: str, b: str) -> bool:
    # IdentityModel ignores one trailing slash when comparing audiences (IgnoreTrailingSlashWhenValidatingAudience).
    return a == b or a.rstrip("/") == b.rstrip("/")


def check_audience(claims: dict[str, Any], audiences: Sequence[str]) -> None:
    found = claim_values(claims.get("aud"))
    if not found:
        raise _reject(
            "TokenAudienceNotAllowed",
            "IDX10206: Unable to validate audience. The 'audiences' parameter is empty.",
            f"the token has no 'aud' claim; the policy accepts {_list(audiences)}.",
        )
    if any(_aud_equal(f, a) for f in found for a in audiences):
        return
    hint = ""
    guid = [a for a in audiences if a.startswith("api://")]
    if guid and any(re.fullmatch(r"[0-9a-fA-F-]{36}", f) for f in found):
        hint = " A v2 token's audience is the API's application (client) id, not its api:// identifier URI."
    raise _reject(
        "TokenAudienceNotAllowed",
        f"IDX10214: Audience validation failed. Audiences: '{', '.join(found)}'. Did not match: "
        f"validationParameters.ValidAudience: 'null' or validationParameters.ValidAudiences: '{', '.join(audiences)}'.",
        f"the token's audience is {_list(found)}; the policy accepts {_list(audiences)}.{hint}",
    )


def _list(values: Iterable[str]) -> str:
    items = [f"'{v}'" for v in values]
    return " or ".join(items) if items else "nothing"


def token_version_note(issuer: str) -> str:
    if issuer.startswith("https://sts.windows.net/"):
        return "this is a v1 token (issuer https://sts.windows.net/{tenant}/)"
    if issuer.startswith("https://login.microsoftonline.com/") and issuer.rstrip("/").endswith("/v2.0"):
        return "this is a v2 token (issuer https://login.microsoftonline.com/{tenant}/v2.0)"
    return ""


def check_issuer(claims: dict[str, Any], issuers: Sequence[str], *, from_metadata: Sequence[str] = ()) -> None:
    """`issuers` any-of, exact (ordinal) comparison; `from_metadata` names the openid-config issuers among them."""
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _reject(
            "TokenIssuerNotAllowed",
            "IDX10211: Unable to validate issuer. The 'issuer' parameter is null or whitespace.",
            f"the token has no 'iss' claim; the policy accepts {_list(issuers)}.",
        )
    if iss in issuers:
        return
    explanation = f"the token's issuer is '{iss}'; the policy accepts {_list(issuers)}"
    version = token_version_note(iss)
    if version:
        explanation = f"{version}; {explanation}"
    if from_metadata and set(issuers) == set(from_metadata):
        kind = "v2" if all(i.rstrip("/").endswith("/v2.0") for i in from_metadata) else "metadata"
        explanation += (
            f", taken from the {kind} openid-config document because the policy has no <issuers>. "
            "Managed identity tokens are v1 by default: use the v1 document "
            "(…/{tenant}/.well-known/openid-configuration) or list both issuers in <issuers>"
            if version.startswith("this is a v1") and kind == "v2"
            else f", taken from the openid-config document{'s' if len(from_metadata) > 1 else ''} "
            "because the policy has no <issuers>"
        )
    raise _reject(
        "TokenIssuerNotAllowed",
        f"IDX10205: Issuer validation failed. Issuer: '{iss}'. Did not match: validationParameters.ValidIssuer: "
        f"'null' or validationParameters.ValidIssuers: '{', '.join(issuers)}'.",
        explanation + ".",
    )


@dataclass(frozen=True)
class ClaimRule:
    """`<claim name match separator><value>…` after evaluation."""

    name: str
    values: tuple[str, ...]
    match: str = "all"
    separator: str | None = None


def _values(rule: ClaimRule) -> str:
    """The values a rule requires, as a phrase: `'A'`, `'A' and 'B'` (match all), `'A' or 'B'` (match any)."""
    joiner = " and " if rule.match == "all" else " or "
    return joiner.join(f"'{v}'" for v in rule.values)


def check_required_claims(claims: dict[str, Any], rules: Sequence[ClaimRule]) -> None:
    absent = [r for r in rules if r.name not in claims or not claim_values(claims[r.name])]
    if absent:
        missing = [r.name for r in absent]
        wanted = "; ".join(
            f"the token has no '{r.name}' claim value {_values(r)} ({r.name}: none)"
            if r.values
            else f"the token has no '{r.name}' claim"
            for r in absent
        )
        raise _reject(
            "TokenClaimNotFound",
            f"JWT is missing the following claims: {', '.join(missing)}",
            f"{wanted}; its claims are {', '.join(sorted(claims))}.",
        )
    for rule in rules:
        found = claim_values(claims[rule.name])
        if rule.separator:
            found = [part for value in found for part in value.split(rule.separator) if part]
        if not rule.values:
            continue
        present = [v for v in rule.values if v in found]
        ok = len(present) == len(rule.values) if rule.match == "all" else bool(present)
        if not ok:
            lacking = [v for v in rule.values if v not in found]
            wanted = ClaimRule(rule.name, tuple(lacking), rule.match)
            raise _reject(
                "TokenClaimValueNotAllowed",
                f"Claim {rule.name} value of {','.join(found)} is not allowed",
                f"the token has no '{rule.name}' claim value {_values(wanted)} "
                f"({rule.name}: {', '.join(repr(v) for v in found) or 'none'}); the policy requires "
                + (f"all of {_list(rule.values)} (missing {_list(lacking)})" if rule.match == "all" else "")
                + (f"one of {_list(rule.values)}" if rule.match != "all" else "")
                + (f", the claim split on '{rule.separator}'" if rule.separator else "")
                + ".",
            )


# --- the whole check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What a validate-jwt instance checks for one request, all expressions evaluated (hashable: cache key)."""

    audiences: tuple[str, ...] | None = None
    issuers: tuple[str, ...] | None = None
    metadata_issuers: tuple[str, ...] = ()
    required_claims: tuple[ClaimRule, ...] = ()
    require_expiration_time: bool = True
    require_signed_tokens: bool = True
    clock_skew: float = 0.0


def validate(token: str, keys: Sequence[SigningKey], rules: Rules, now: float) -> ParsedToken:
    """All checks in the library's order; returns the parsed token or raises TokenRejected."""
    parsed = parse(token)
    verify_signature(parsed, keys, require_signed=rules.require_signed_tokens)
    check_claims(parsed, rules, now)
    return parsed


def check_claims(parsed: ParsedToken, rules: Rules, now: float) -> None:
    """Everything after the signature (also what a cached token is re-checked against)."""
    claims = parsed.claims
    check_lifetime(claims, now, skew=rules.clock_skew, require_exp=rules.require_expiration_time)
    if rules.audiences:
        check_audience(claims, rules.audiences)
    if rules.issuers:
        check_issuer(claims, rules.issuers, from_metadata=rules.metadata_issuers)
    if rules.required_claims:
        check_required_claims(claims, rules.required_claims)


def unverified(token: str) -> ParsedToken | None:
    """The token's parts without checks (for `AsJwt()`-style reading), or None when it is not a JWS."""
    try:
        return parse(token)
    except TokenRejected:
        return None


def fingerprint(token: str) -> bytes:
    """A cache key for a token that does not keep the token itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


# --- the Jwt object policies see -------------------------------------------------------------------------


def jwt_object(parsed: ParsedToken) -> Jwt:
    """APIM's `Jwt` for a checked token (output-token-variable-name): the expression library's own type, so
    `ExpirationTime` is a .NET DateTime and `(Jwt)x`, `AsJwt()` and `TryParseJwt` agree with it."""
    return Jwt(parsed.header, parsed.claims)
