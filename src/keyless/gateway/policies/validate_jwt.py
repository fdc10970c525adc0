"""validate-jwt: APIM's JWT check (openid-config or inline keys, audiences, issuers, lifetime, required claims)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.jwt_validation import (
    ClaimRule,
    Failure,
    Jwt,
    ParsedToken,
    Rules,
    SigningKey,
    TokenRejected,
    check_claims,
    check_lifetime,
    fingerprint,
    parse,
    rsa_key,
    symmetric_key,
    verify_signature,
)
from keyless.gateway.openid import MetadataError, OpenIdCache, OpenIdMetadata
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value

NAME = "validate-jwt"

# attribute -> default (None: no default); all allow expressions except those in NO_EXPRESSION.
ATTRIBUTES: dict[str, str | None] = {
    "id": None,
    "header-name": None,
    "query-parameter-name": None,
    "token-value": None,
    "failed-validation-httpcode": "401",
    "failed-validation-error-message": None,
    "require-expiration-time": "true",
    "require-scheme": None,
    "require-signed-tokens": "true",
    "clock-skew": "0",
    "output-token-variable-name": None,
}
NO_EXPRESSION = frozenset({"output-token-variable-name", "id"})
CHILDREN = ("openid-config", "issuer-signing-keys", "decryption-keys", "audiences", "issuers", "required-claims")
SOURCES = ("header-name", "query-parameter-name", "token-value")
NOT_PRESENT = "JWT not present."
INVALID = "Invalid JWT."
# Verified tokens kept per policy instance (until exp); cleared whole when full.
TOKEN_CACHE_SIZE = 10_000


# --- compile helpers shared with validate-azure-ad-token ---------------------------------------------------


def is_expression(raw: str) -> bool:
    return raw.startswith(("@(", "@{"))


def check_attributes(element: Element, ctx: CompileContext, allowed: dict[str, str | None] | tuple[str, ...]) -> None:
    for name in element.attrs:
        if name not in allowed:
            raise ctx.error(element, f"'{name}' is not a valid attribute of <{element.name}>.", attribute=name)


def check_children(element: Element, ctx: CompileContext, allowed: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for child in element.children:
        if child.name not in allowed:
            raise ctx.error(child, f"<{child.name}> is not allowed in <{element.name}>; allowed: {', '.join(allowed)}.")
        if child.name in seen and child.name != "openid-config" and element.name in (NAME, "validate-azure-ad-token"):
            raise ctx.error(child, f"<{child.name}> may appear only once in <{element.name}>.")
        seen.add(child.name)


def constant_bool(element: Element, ctx: CompileContext, name: str, raw: str) -> None:
    if not is_expression(raw) and raw.strip().lower() not in ("true", "false"):
        raise ctx.error(element, f"'{name}' must be true or false, not '{raw}'.", attribute=name)


def constant_int(element: Element, ctx: CompileContext, name: str, raw: str, low: int, high: int) -> None:
    if is_expression(raw):
        return
    try:
        value = int(raw.strip())
    except ValueError:
        raise ctx.error(element, f"'{name}' must be an integer, not '{raw}'.", attribute=name) from None
    if not low <= value <= high:
        raise ctx.error(element, f"'{name}' must be between {low} and {high}, not {value}.", attribute=name)


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"'{value}' is not a boolean")


def as_seconds(value: Any) -> float:
    """clock-skew: seconds, or a .NET TimeSpan text (`00:05:00`)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0.0)
        return parts[-3] * 3600 + parts[-2] * 60 + parts[-1]
    return float(text)


def attr_values(element: Element, ctx: CompileContext, table: dict[str, str | None]) -> dict[str, Value | None]:
    """Each attribute of `table` compiled (with its default), None when absent without a default."""
    values: dict[str, Value | None] = {}
    for name, default in table.items():
        if name == "id":
            continue
        raw = element.attrs.get(name, default)
        if raw is None:
            values[name] = None
            continue
        if name in NO_EXPRESSION and is_expression(raw):
            raise ctx.error(element, f"'{name}' does not allow policy expressions.", attribute=name)
        values[name] = ctx.value(element, raw, attribute=name, allow_expression=name not in NO_EXPRESSION)
    return values


def texts(element: Element | None, ctx: CompileContext, child: str) -> tuple[Value, ...]:
    """`<audiences><audience>…</audience></audiences>` and the like, each text compiled."""
    if element is None:
        return ()
    check_attributes(element, ctx, ())
    check_children(element, ctx, (child,))
    found: list[Value] = []
    for item in element.children:
        check_attributes(item, ctx, ())
        if item.children:
            raise ctx.error(item.children[0], f"<{item.children[0].name}> is not allowed in <{item.name}>.")
        if not item.text:
            raise ctx.error(item, f"<{item.name}> must not be empty.")
        found.append(ctx.value(item, item.text))
    if not found:
        raise ctx.error(element, f"<{element.name}> needs at least one <{child}>.")
    return tuple(found)


@dataclass(frozen=True)
class ClaimSpec:
    name: str
    match: str
    separator: str | None
    values: tuple[Value, ...]


def compile_claims(element: Element | None, ctx: CompileContext) -> tuple[ClaimSpec, ...]:
    if element is None:
        return ()
    check_attributes(element, ctx, ())
    check_children(element, ctx, ("claim",))
    claims: list[ClaimSpec] = []
    for claim in element.children:
        check_attributes(claim, ctx, ("name", "match", "separator"))
        check_children(claim, ctx, ("value",))
        name = claim.attrs.get("name", "")
        if not name:
            raise ctx.error(claim, "<claim> needs a 'name'.", attribute="name")
        match = claim.attrs.get("match", "all")
        if match not in ("all", "any"):
            raise ctx.error(claim, f"'match' must be 'all' or 'any', not '{match}'.", attribute="match")
        values = []
        for value in claim.children:
            check_attributes(value, ctx, ())
            values.append(ctx.value(value, value.text))
        claims.append(ClaimSpec(name, match, claim.attrs.get("separator") or None, tuple(values)))
    return tuple(claims)


@dataclass(frozen=True)
class TokenSource:
    header: Value | None
    query: Value | None
    token_value: Value | None
    scheme: Value | None


def compile_source(element: Element, ctx: CompileContext, values: dict[str, Value | None]) -> TokenSource:
    given = [name for name in SOURCES if name in element.attrs]
    if len(given) > 1:
        raise ctx.error(element, f"Only one of {', '.join(SOURCES)} may be given; found {', '.join(given)}.")
    header = values.get("header-name")
    if not given and header is None:
        raise ctx.error(element, f"One of {', '.join(SOURCES)} is required.")
    return TokenSource(
        header, values.get("query-parameter-name"), values.get("token-value"), values.get("require-scheme")
    )


def extract_token(source: TokenSource, state: RequestState) -> tuple[str | None, str]:
    """The token (scheme removed) or None with the reason it is absent."""
    if source.token_value is not None:
        value = source.token_value.get(state)
        return (str(value), "") if value else (None, "token-value evaluated to an empty value")
    if source.query is not None:
        name = str(source.query.get(state))
        values = state.request.original_url.query.get(name) or []
        return (values[0], "") if values and values[0] else (None, f"the request has no '{name}' query parameter")
    assert source.header is not None
    name = str(source.header.get(state))
    raw = state.request.headers.get(name)
    if not raw:
        return None, f"the request has no {name} header"
    scheme = str(source.scheme.get(state)) if source.scheme is not None else ""
    if scheme and name.lower() == "authorization":
        given, _, rest = raw.strip().partition(" ")
        if given.lower() != scheme.lower() or not rest.strip():
            return None, f"the Authorization header does not use the '{scheme}' scheme"
        return rest.strip(), ""
    given, sep, rest = raw.strip().partition(" ")
    if sep and given.lower() == "bearer":
        return rest.strip() or None, "the header holds only the scheme"
    return raw.strip(), ""


def respond(state: RequestState, code: int, message: str) -> None:
    body = '{ "statusCode": %d, "message": %s }' % (code, json.dumps(message, ensure_ascii=False))  # noqa: UP031
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = ""
    state.response = GatewayResponse(code, Headers([("Content-Type", "application/json")]), body.encode(), reason)


def sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def fail(
    source: str,
    state: RequestState,
    code_value: Value,
    message_value: Value | None,
    failure: Failure,
) -> PolicyError:
    """Set the failure response, trace keyless's explanation, and return the PolicyError to raise."""
    not_present = failure.reason == "TokenNotPresent"
    custom = message_value.get(state) if message_value is not None else None
    code = int(code_value.get(state))
    respond(state, code, str(custom) if custom else (NOT_PRESENT if not_present else INVALID))
    explanation = f" — {failure.explanation}" if failure.explanation else ""
    state.trace(source, {"message": f"JWT Validation Failed: {sentence(failure.message)}{explanation}"})
    if not_present:
        message = NOT_PRESENT + explanation
    else:
        message = f"{sentence(failure.message)} Access denied.{explanation}"
    return PolicyError(source, failure.reason, message)


def evaluate_claims(claims: tuple[ClaimSpec, ...], state: RequestState) -> tuple[ClaimRule, ...]:
    return tuple(ClaimRule(c.name, tuple(str(v.get(state)) for v in c.values), c.match, c.separator) for c in claims)


@dataclass
class TokenCache:
    """Verified tokens (by SHA-256 of the token and the evaluated rules) until their `exp`."""

    entries: dict[tuple[bytes, Rules], ParsedToken] = field(default_factory=dict)

    def get(self, key: tuple[bytes, Rules]) -> ParsedToken | None:
        return self.entries.get(key)

    def put(self, key: tuple[bytes, Rules], parsed: ParsedToken) -> None:
        if "exp" not in parsed.claims:
            return
        if len(self.entries) >= TOKEN_CACHE_SIZE:
            self.entries.clear()
        self.entries[key] = parsed


async def check_token(
    token: str,
    rules: Rules,
    keys_for: Callable[[ParsedToken], Awaitable[list[SigningKey]]],
    cache: TokenCache | None,
    now: float,
) -> tuple[ParsedToken, bool]:
    """The cached verdict (only the lifetime re-checked) or the full check. Returns (token, from cache).
    `cache` None: keys differ per request (an expression gives one), so no verdict is reused."""
    key = (fingerprint(token), rules)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        try:
            check_lifetime(cached.claims, now, skew=rules.clock_skew, require_exp=rules.require_expiration_time)
        except TokenRejected:
            cache.entries.pop(key, None)  # type: ignore[union-attr]
            raise
        return cached, True
    parsed = parse(token)
    verify_signature(parsed, await keys_for(parsed), require_signed=rules.require_signed_tokens)
    check_claims(parsed, rules, now)
    if cache is not None:
        cache.put(key, parsed)
    return parsed, False


def openid_cache(services: Any) -> OpenIdCache:
    """`services.openid`, else one cache kept in `services.extra` (the per-policy singletons of GatewayServices)."""
    cache = getattr(services, "openid", None)
    if cache is None:
        cache = services.extra.get("openid")
        if cache is None:
            cache = services.extra["openid"] = OpenIdCache()
    return cache  # type: ignore[no-any-return]


async def metadata(urls: list[str], state: RequestState, kid: str | None = None) -> list[OpenIdMetadata]:
    """The openid-config documents (cached); a kid none of them has forces a refresh (at most every 5 min)."""
    if not urls:
        return []
    services = state.services
    cache = openid_cache(services)
    try:
        return [await cache.get(url, services.http, services.aliases, kid=kid) for url in urls]
    except MetadataError as exc:
        raise TokenRejected(
            Failure("JwtInvalid", exc.message, f"the openid-config document could not be fetched: {exc.detail}.")
        ) from None


def keys_with_refresh(
    urls: list[str], documents: list[OpenIdMetadata], inline: list[SigningKey], state: RequestState
) -> Callable[[ParsedToken], Awaitable[list[SigningKey]]]:
    async def keys_for(parsed: ParsedToken) -> list[SigningKey]:
        docs = documents
        kid = parsed.kid
        if (
            kid
            and urls
            and not any(k.kid == kid for k in inline)
            and not any(k.kid == kid for d in docs for k in d.keys)
        ):
            docs = await metadata(urls, state, kid)
        return inline + [k for d in docs for k in d.keys]

    return keys_for


# --- validate-jwt -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InlineKey:
    key: SigningKey | None  # compiled when constant
    text: Value | None  # a Base64 key given by an expression
    kid: str | None


@dataclass(frozen=True)
class Config:
    source: TokenSource
    failed_code: Value
    failed_message: Value | None
    require_expiration_time: Value
    require_signed_tokens: Value
    clock_skew: Value
    output_variable: str | None
    openid_urls: tuple[Value, ...]
    keys: tuple[InlineKey, ...]
    audiences: tuple[Value, ...]
    issuers: tuple[Value, ...]
    claims: tuple[ClaimSpec, ...]
    cache: TokenCache = field(default_factory=TokenCache, compare=False, hash=False, repr=False)


def compile_keys(element: Element | None, ctx: CompileContext) -> tuple[InlineKey, ...]:
    if element is None:
        return ()
    check_attributes(element, ctx, ())
    check_children(element, ctx, ("key",))
    keys: list[InlineKey] = []
    for index, key in enumerate(element.children, 1):
        check_attributes(key, ctx, ("id", "certificate-id", "n", "e"))
        kid = key.attrs.get("id") or None
        source = f"issuer-signing-keys key {index}"
        if "certificate-id" in key.attrs:
            raise ctx.error(
                key,
                "certificate-id keys are not supported by keyless (it has no APIM certificates); give the key as "
                "n and e, or as Base64 text.",
                attribute="certificate-id",
            )
        if "n" in key.attrs or "e" in key.attrs:
            n, e = key.attrs.get("n", ""), key.attrs.get("e", "")
            if not n or not e or key.text:
                raise ctx.error(key, "An RSA <key> needs both 'n' and 'e' and no text.")
            if is_expression(n) or is_expression(e):
                raise ctx.error(key, "'n' and 'e' do not allow policy expressions.")
            try:
                keys.append(InlineKey(rsa_key(n, e, kid=kid, source=source), None, kid))
            except ValueError:
                raise ctx.error(key, "'n' and 'e' must be base64url-encoded integers.") from None
            continue
        if not key.text:
            raise ctx.error(key, "A <key> needs Base64 text, 'n' and 'e', or 'certificate-id'.")
        if is_expression(key.text):
            keys.append(InlineKey(None, ctx.value(key, key.text), kid))
            continue
        try:
            keys.append(InlineKey(symmetric_key(key.text, kid=kid, source=source), None, kid))
        except ValueError as exc:
            raise ctx.error(key, f"The key is not usable: {exc}.") from None
    if not keys:
        raise ctx.error(element, "<issuer-signing-keys> needs at least one <key>.")
    return tuple(keys)


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, CHILDREN)
    for name in ("require-expiration-time", "require-signed-tokens"):
        if name in element.attrs:
            constant_bool(element, ctx, name, element.attrs[name])
    if "failed-validation-httpcode" in element.attrs:
        constant_int(element, ctx, "failed-validation-httpcode", element.attrs["failed-validation-httpcode"], 100, 599)
    skew = element.attrs.get("clock-skew")
    if skew is not None and not is_expression(skew):
        try:
            as_seconds(skew)
        except ValueError:
            raise ctx.error(element, f"'clock-skew' must be seconds, not '{skew}'.", attribute="clock-skew") from None
    decryption = element.child("decryption-keys")
    if decryption is not None:
        raise ctx.error(
            decryption, "<decryption-keys> (encrypted JWE tokens) is not supported by keyless; only signed tokens."
        )
    values = attr_values(element, ctx, ATTRIBUTES)
    urls: list[Value] = []
    for config in element.all("openid-config"):
        check_attributes(config, ctx, ("url",))
        check_children(config, ctx, ())
        if not config.attrs.get("url"):
            raise ctx.error(config, "<openid-config> needs a 'url'.", attribute="url")
        urls.append(ctx.value(config, config.attrs["url"], attribute="url"))
    keys = compile_keys(element.child("issuer-signing-keys"), ctx)
    if not urls and not keys and element.attrs.get("require-signed-tokens", "true").strip().lower() != "false":
        # Without keys every signed token fails (IDX10500): refused when written, not on each request.
        raise ctx.error(element, "validate-jwt needs <openid-config> or <issuer-signing-keys> to verify signatures.")
    assert values["failed-validation-httpcode"] is not None
    assert values["require-expiration-time"] is not None
    assert values["require-signed-tokens"] is not None
    assert values["clock-skew"] is not None
    return Config(
        source=compile_source(element, ctx, values),
        failed_code=values["failed-validation-httpcode"],
        failed_message=values["failed-validation-error-message"],
        require_expiration_time=values["require-expiration-time"],
        require_signed_tokens=values["require-signed-tokens"],
        clock_skew=values["clock-skew"],
        output_variable=element.attrs.get("output-token-variable-name") or None,
        openid_urls=tuple(urls),
        keys=keys,
        audiences=texts(element.child("audiences"), ctx, "audience"),
        issuers=texts(element.child("issuers"), ctx, "issuer"),
        claims=compile_claims(element.child("required-claims"), ctx),
    )


def _inline_keys(cfg: Config, state: RequestState) -> list[SigningKey]:
    keys: list[SigningKey] = []
    for index, key in enumerate(cfg.keys, 1):
        if key.key is not None:
            keys.append(key.key)
        elif key.text is not None:
            try:
                keys.append(
                    symmetric_key(str(key.text.get(state)), kid=key.kid, source=f"issuer-signing-keys key {index}")
                )
            except ValueError:
                continue
    return keys


async def run(cfg: Config, state: RequestState) -> None:
    token, absent = extract_token(cfg.source, state)
    if token is None:
        raise fail(NAME, state, cfg.failed_code, cfg.failed_message, Failure("TokenNotPresent", NOT_PRESENT, absent))
    try:
        urls = [str(u.get(state)) for u in cfg.openid_urls]
        documents = await metadata(urls, state)
        metadata_issuers = tuple(d.issuer for d in documents)
        issuers = tuple(str(i.get(state)) for i in cfg.issuers) or metadata_issuers
        rules = Rules(
            audiences=tuple(str(a.get(state)) for a in cfg.audiences) or None,
            issuers=issuers or None,
            metadata_issuers=metadata_issuers if not cfg.issuers else (),
            required_claims=evaluate_claims(cfg.claims, state),
            require_expiration_time=as_bool(cfg.require_expiration_time.get(state)),
            require_signed_tokens=as_bool(cfg.require_signed_tokens.get(state)),
            clock_skew=as_seconds(cfg.clock_skew.get(state)),
        )
        inline = _inline_keys(cfg, state)
        keys_for = keys_with_refresh(urls, documents, inline, state)
        cache = cfg.cache if all(k.key is not None for k in cfg.keys) else None
        parsed, _ = await check_token(token, rules, keys_for, cache, time.time())
    except TokenRejected as rejected:
        raise fail(NAME, state, cfg.failed_code, cfg.failed_message, rejected.failure) from None
    if cfg.output_variable:
        state.variables[cfg.output_variable] = Jwt.from_parsed(parsed)
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
