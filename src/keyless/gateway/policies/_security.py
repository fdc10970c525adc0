"""Helpers shared by the security policies: attribute and child checks, token extraction, APIM's JSON error
response, the verified-token cache, and OpenID metadata for validate-jwt and validate-azure-ad-token."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.jwt_validation import (
    ClaimRule,
    Failure,
    ParsedToken,
    Rules,
    SigningKey,
    TokenRejected,
    check_claims,
    check_lifetime,
    fingerprint,
    parse,
    verify_signature,
)
from keyless.gateway.openid import MetadataError, OpenIdCache, OpenIdMetadata
from keyless.gateway.policy import CompileContext, PolicyError, RequestState, Value

NO_EXPRESSION = frozenset({"output-token-variable-name", "id"})
SOURCES = ("header-name", "query-parameter-name", "token-value")
NOT_PRESENT = "JWT not present."
INVALID = "Invalid JWT."
# Verified tokens kept per policy instance (until exp); cleared whole when full.
TOKEN_CACHE_SIZE = 10_000


def is_expression(raw: str) -> bool:
    return raw.startswith(("@(", "@{"))


def check_attributes(element: Element, ctx: CompileContext, allowed: dict[str, str | None] | tuple[str, ...]) -> None:
    for name in element.attrs:
        if name not in allowed:
            raise ctx.error(element, f"'{name}' is not a valid attribute of <{element.name}>.", attribute=name)


def check_children(
    element: Element,
    ctx: CompileContext,
    allowed: tuple[str, ...],
    *,
    repeatable: tuple[str, ...] | None = None,
    text: bool = False,
) -> None:
    """Only `allowed` children, and text only where `text`; with `repeatable` given, other children at most once."""
    if element.text and not text:
        raise ctx.error(element, f"<{element.name}> takes no text content.")
    seen: set[str] = set()
    for child in element.children:
        if child.name not in allowed:
            raise ctx.error(child, f"<{child.name}> is not allowed in <{element.name}>; allowed: {', '.join(allowed)}.")
        if repeatable is not None and child.name in seen and child.name not in repeatable:
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


def attr_values(
    element: Element, ctx: CompileContext, table: dict[str, str | None], no_expression: frozenset[str] = NO_EXPRESSION
) -> dict[str, Value | None]:
    """Each attribute of `table` compiled (with its default), None when absent without a default."""
    values: dict[str, Value | None] = {}
    for name, default in table.items():
        if name == "id":
            continue
        raw = element.attrs.get(name, default)
        if raw is None:
            values[name] = None
            continue
        if name in no_expression and is_expression(raw):
            raise ctx.error(element, f"'{name}' does not allow policy expressions.", attribute=name)
        values[name] = ctx.value(element, raw, attribute=name, allow_expression=name not in no_expression)
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
        check_children(item, ctx, (), text=True)
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
            check_children(value, ctx, (), text=True)
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
    return PolicyError(source, failure.reason, message, explanation=failure.explanation)


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
