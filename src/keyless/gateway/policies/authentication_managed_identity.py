"""authentication-managed-identity: a token for the APIM service's own managed identity, as `Authorization: Bearer`."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies._security import check_attributes, check_children, constant_bool, is_expression
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value
from keyless.platform.errors import KeylessError

NAME = "authentication-managed-identity"
ATTRIBUTES = ("id", "resource", "client-id", "output-token-variable-name", "ignore-error")
NO_EXPRESSION = ("client-id", "output-token-variable-name", "ignore-error")
# Unconfirmed against Azure: the reason APIM gives when no token could be obtained.
REASON = "ManagedIdentityTokenFailure"


@dataclass(frozen=True)
class Config:
    resource: Value
    client_id: str | None
    output_variable: str | None
    ignore_error: bool


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, ())
    if not element.attrs.get("resource"):
        raise ctx.error(element, "'resource' is required.", attribute="resource")
    for name in NO_EXPRESSION:
        if is_expression(element.attrs.get(name, "")):
            raise ctx.error(element, f"'{name}' does not allow policy expressions.", attribute=name)
    ignore = element.attrs.get("ignore-error", "false")
    constant_bool(element, ctx, "ignore-error", ignore)
    return Config(
        resource=ctx.value(element, element.attrs["resource"], attribute="resource"),
        client_id=element.attrs.get("client-id") or None,
        output_variable=element.attrs.get("output-token-variable-name") or None,
        ignore_error=ignore.strip().lower() == "true",
    )


async def service_identities(state: RequestState) -> list[Any]:
    """The APIM service's managed identities (HostIdentity) from `services.identity`: a list, or a function of
    the request state (one GatewayServices serves several APIM services) returning one, maybe awaitable."""
    source = state.services.identity
    if source is None:
        return []
    found = source(state) if callable(source) else source
    if inspect.isawaitable(found):
        found = await found
    return list(found)


def choose(identities: list[Any], client_id: str | None) -> Any:
    """client-id picks that user-assigned identity; without it, the system-assigned one (as APIM)."""
    if client_id is None:
        system = [i for i in identities if i.kind == "SystemAssigned"]
        if not system:
            raise LookupError("the API Management service has no system-assigned managed identity")
        return system[0]
    wanted = client_id.strip().lower()
    chosen = [i for i in identities if i.kind == "UserAssigned" and i.client_id.lower() == wanted]
    if not chosen:
        raise LookupError(f"no user-assigned managed identity with client id '{client_id}' is assigned to the service")
    return chosen[0]


async def run(cfg: Config, state: RequestState) -> None:
    resource = str(cfg.resource.get(state))
    try:
        identity = choose(await service_identities(state), cfg.client_id)
        issued = await state.services.tokens.managed_identity_token(identity.principal, resource)
    except (LookupError, KeylessError) as exc:
        message = f"Unable to obtain a managed identity token for resource '{resource}': {exc}"
        state.trace(NAME, {"message": message})
        if cfg.ignore_error:
            return None
        raise PolicyError(NAME, REASON, message) from None
    if cfg.output_variable:
        state.variables[cfg.output_variable] = issued.access_token
    else:
        state.request.headers.set("Authorization", f"Bearer {issued.access_token}")
    state.trace(NAME, {"message": f"Token obtained for resource '{resource}' ({identity.kind} identity)."})
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
