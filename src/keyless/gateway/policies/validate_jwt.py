"""validate-jwt: APIM's JWT check (openid-config or inline keys, audiences, issuers, lifetime, required claims)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from keyless.gateway.element import Element
from keyless.gateway.jwt_validation import Failure, Rules, SigningKey, TokenRejected, jwt_object, rsa_key, symmetric_key
from keyless.gateway.policies._security import (
    NOT_PRESENT,
    ClaimSpec,
    TokenCache,
    TokenSource,
    as_bool,
    as_seconds,
    attr_values,
    check_attributes,
    check_children,
    check_token,
    compile_claims,
    compile_source,
    constant_bool,
    constant_int,
    evaluate_claims,
    extract_token,
    fail,
    is_expression,
    keys_with_refresh,
    metadata,
    texts,
)
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Value

NAME = "validate-jwt"

# attribute -> default (None: no default); all allow expressions except output-token-variable-name and id.
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
CHILDREN = ("openid-config", "issuer-signing-keys", "decryption-keys", "audiences", "issuers", "required-claims")


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
        check_children(key, ctx, (), text=True)
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
    check_children(element, ctx, CHILDREN, repeatable=("openid-config",))
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
        state.variables[cfg.output_variable] = jwt_object(parsed)
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
