"""validate-azure-ad-token: an Entra ID token of the tenant (v1 or v2 issuer) from one of the allowed client apps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from keyless.gateway.element import Element
from keyless.gateway.jwt_validation import Failure, Rules, TokenRejected, claim_values, jwt_object
from keyless.gateway.policies._security import (
    ClaimSpec,
    TokenCache,
    TokenSource,
    attr_values,
    check_attributes,
    check_children,
    check_token,
    compile_claims,
    compile_source,
    constant_int,
    evaluate_claims,
    extract_token,
    fail,
    keys_with_refresh,
    metadata,
    texts,
)
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Value

NAME = "validate-azure-ad-token"
ATTRIBUTES: dict[str, str | None] = {
    "id": None,
    "tenant-id": None,
    "header-name": "Authorization",
    "query-parameter-name": None,
    "token-value": None,
    "authentication-endpoint": "https://login.microsoftonline.com",
    "failed-validation-httpcode": "401",
    "failed-validation-error-message": None,
    "output-token-variable-name": None,
}
CHILDREN = ("client-application-ids", "backend-application-ids", "audiences", "required-claims", "decryption-keys")
V1_ISSUER = "https://sts.windows.net/{tenant}/"
METADATA_PATH = "/{tenant}/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class Config:
    source: TokenSource
    tenant: Value
    endpoint: Value
    failed_code: Value
    failed_message: Value | None
    output_variable: str | None
    client_ids: tuple[Value, ...]
    backend_ids: tuple[Value, ...]
    audiences: tuple[Value, ...]
    claims: tuple[ClaimSpec, ...]
    cache: TokenCache = field(default_factory=TokenCache, compare=False, hash=False, repr=False)


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, CHILDREN, repeatable=())
    if not element.attrs.get("tenant-id"):
        raise ctx.error(element, "'tenant-id' is required.", attribute="tenant-id")
    if "failed-validation-httpcode" in element.attrs:
        constant_int(element, ctx, "failed-validation-httpcode", element.attrs["failed-validation-httpcode"], 100, 599)
    decryption = element.child("decryption-keys")
    if decryption is not None:
        raise ctx.error(
            decryption, "<decryption-keys> (encrypted JWE tokens) is not supported by keyless; only signed tokens."
        )
    clients = element.child("client-application-ids")
    if clients is None:
        raise ctx.error(element, "<client-application-ids> is required (at least one <application-id>).")
    values = attr_values(element, ctx, ATTRIBUTES)
    # header-name has a default, so it is the source only when neither of the others is given.
    if "query-parameter-name" in element.attrs or "token-value" in element.attrs:
        if "header-name" not in element.attrs:
            values["header-name"] = None
    values["require-scheme"] = None
    assert values["tenant-id"] is not None and values["failed-validation-httpcode"] is not None
    assert values["authentication-endpoint"] is not None
    return Config(
        source=compile_source(element, ctx, values),
        tenant=values["tenant-id"],
        endpoint=values["authentication-endpoint"],
        failed_code=values["failed-validation-httpcode"],
        failed_message=values["failed-validation-error-message"],
        output_variable=element.attrs.get("output-token-variable-name") or None,
        client_ids=texts(clients, ctx, "application-id"),
        backend_ids=texts(element.child("backend-application-ids"), ctx, "application-id"),
        audiences=texts(element.child("audiences"), ctx, "audience"),
        claims=compile_claims(element.child("required-claims"), ctx),
    )


def tenant_of(issuer: str) -> str:
    """`https://login.microsoftonline.com/{tid}/v2.0` -> tid."""
    parts = issuer.rstrip("/").split("/")
    return parts[3] if len(parts) >= 5 else ""


async def run(cfg: Config, state: RequestState) -> None:
    token, absent = extract_token(cfg.source, state)
    if token is None:
        raise fail(
            NAME, state, cfg.failed_code, cfg.failed_message, Failure("TokenNotPresent", "JWT not present.", absent)
        )
    try:
        tenant = str(cfg.tenant.get(state)).strip()
        if tenant.startswith("https://"):  # a tenant URL (`https://contoso.onmicrosoft.com`)
            tenant = tenant.removeprefix("https://").strip("/")
        endpoint = str(cfg.endpoint.get(state)).rstrip("/")
        urls = [endpoint + METADATA_PATH.format(tenant=tenant)]
        documents = await metadata(urls, state)
        v2_issuer = documents[0].issuer
        issuers = (V1_ISSUER.format(tenant=tenant_of(v2_issuer)), v2_issuer)
        audiences = tuple(str(a.get(state)) for a in cfg.audiences) + tuple(str(b.get(state)) for b in cfg.backend_ids)
        rules = Rules(
            audiences=audiences or None,
            issuers=issuers,
            required_claims=evaluate_claims(cfg.claims, state),
        )
        parsed, _ = await check_token(
            token, rules, keys_with_refresh(urls, documents, [], state), cfg.cache, time.time()
        )
        clients = [str(c.get(state)) for c in cfg.client_ids]
        caller = claim_values(parsed.claims.get("appid") or parsed.claims.get("azp"))
        if not any(c.lower() == a.lower() for c in caller for a in clients):
            claim = "appid" if "appid" in parsed.claims else "azp"
            found = caller[0] if caller else ""
            raise TokenRejected(
                Failure(
                    "TokenClaimValueNotAllowed",
                    f"Claim {claim} value of {found} is not allowed",
                    f"the calling application ('{claim}' claim) is '{found or 'absent'}'; the policy's "
                    f"<client-application-ids> allow {', '.join(repr(c) for c in clients)}.",
                )
            )
    except TokenRejected as rejected:
        raise fail(NAME, state, cfg.failed_code, cfg.failed_message, rejected.failure) from None
    if cfg.output_variable:
        state.variables[cfg.output_variable] = jwt_object(parsed)
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
