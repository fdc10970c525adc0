"""cache-lookup: APIM's response cache read; a hit answers with the cached response and skips the backend."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from keyless.gateway import response_cache as rc
from keyless.gateway.compiler import Step, StepList
from keyless.gateway.element import Element
from keyless.gateway.policies.cache_lookup_value import cache_for, compile_caching_type
from keyless.gateway.policy import STOP, CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import bool_value, check_attributes, is_expression, required, to_bool

NAME = "cache-lookup"
STORE = "cache-store"
ATTRIBUTES = (
    "vary-by-developer",
    "vary-by-developer-groups",
    "caching-type",
    "downstream-caching-type",
    "must-revalidate",
    "allow-private-response-caching",
)
DOWNSTREAM = ("none", "private", "public")


@dataclass(frozen=True)
class Config:
    vary_by_developer: Value
    vary_by_groups: Value
    caching_type: str
    downstream: Value
    must_revalidate: Value
    allow_private: Value
    headers: tuple[str, ...]
    query_parameters: tuple[str, ...]


def _text(ctx: CompileContext, child: Element) -> str:
    if child.attrs or child.children:
        raise ctx.error(child, f"'{child.name}' takes only text content.")
    if is_expression(child.text):
        raise ctx.error(child, f"'{child.name}' does not allow policy expressions.")
    if not child.text.strip():
        raise ctx.error(child, f"'{child.name}' must not be empty.")
    return child.text.strip()


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ATTRIBUTES)
    if element.text.strip():
        raise ctx.error(element, f"'{NAME}' does not take text content.")
    headers: list[str] = []
    params: list[str] = []
    for child in element.children:
        if child.name == "vary-by-header":
            headers.append(_text(ctx, child))
        elif child.name == "vary-by-query-parameter":
            # "Enter a single or multiple parameters. Use semicolon as a separator." (the doc)
            params.extend(p.strip() for p in _text(ctx, child).split(";") if p.strip())
        else:
            raise ctx.error(
                child,
                f"The element '{NAME}' has invalid child element '{child.name}'. "
                "List of possible elements expected: 'vary-by-header', 'vary-by-query-parameter'.",
            )
    by_developer = bool_value(ctx, element, "vary-by-developer", required(ctx, element, "vary-by-developer"))
    by_groups = bool_value(ctx, element, "vary-by-developer-groups", required(ctx, element, "vary-by-developer-groups"))
    raw_downstream = element.attrs.get("downstream-caching-type", "none")
    if not is_expression(raw_downstream) and raw_downstream not in DOWNSTREAM:
        raise ctx.error(
            element,
            f"'downstream-caching-type' must be one of {', '.join(DOWNSTREAM)}, not '{raw_downstream}'.",
            "downstream-caching-type",
        )
    return Config(
        by_developer,
        by_groups,
        compile_caching_type(ctx, element),
        ctx.value(element, raw_downstream, attribute="downstream-caching-type"),
        bool_value(ctx, element, "must-revalidate", element.attrs.get("must-revalidate", "true")),
        bool_value(
            ctx, element, "allow-private-response-caching", element.attrs.get("allow-private-response-caching", "false")
        ),
        tuple(headers),
        tuple(params),
    )


def _downstream(cfg: Config, state: RequestState) -> str:
    value = str(cfg.downstream.get(state)).strip().lower()
    if value not in DOWNSTREAM:
        raise PolicyError(
            NAME,
            "ExpressionValueEvaluationFailure",
            f"Attribute 'downstream-caching-type' of '{NAME}' must be none, private or public, not '{value}'.",
        )
    return value


def key_for(cfg: Config, state: RequestState) -> str:
    """Service, API, operation and path, then the listed headers and query parameters (other parameters are
    not part of the key, hence the doc's advice on rewrite-uri), then the caller when varying by developer."""
    request = state.request
    vary: list[tuple[str, str]] = []
    for name in cfg.headers:
        vary.append(("h:" + name.lower(), request.headers.get(name) or ""))
    query = request.original_url.query
    for name in cfg.query_parameters:
        vary.append(("q:" + name, "\x00".join(query.get(name, []))))
    # keyless has no developer accounts: a subscription stands for its owner, so neither a developer's nor a
    # group's entry is ever served to another subscription (never shared more widely than APIM would).
    subscription = state.subscription.name if state.subscription is not None else ""
    if to_bool(NAME, "vary-by-developer", cfg.vary_by_developer.get(state)):
        vary.append(("developer", subscription))
    if to_bool(NAME, "vary-by-developer-groups", cfg.vary_by_groups.get(state)):
        vary.append(("groups", subscription))
    service = state.snapshot.service_name if state.snapshot is not None else ""
    api = state.api.name if state.api is not None else ""
    operation = state.operation.name if state.operation is not None else ""
    return rc.entry_key(service, api, operation, request.original_url.path, vary)


async def run(cfg: Config, state: RequestState) -> Stop | None:
    request = state.request
    if request.method != "GET":
        state.trace(NAME, {"message": "Only GET requests are looked up in the response cache."})
        return None
    if "Authorization" in request.headers and not to_bool(
        NAME, "allow-private-response-caching", cfg.allow_private.get(state)
    ):
        state.trace(NAME, {"message": "The request has an Authorization header; private response caching is off."})
        return None
    cache = cache_for(state, NAME, cfg.caching_type)
    if cache is None:
        return None
    pending = rc.Pending(
        key_for(cfg, state),
        cfg.caching_type,
        _downstream(cfg, state),
        to_bool(NAME, "must-revalidate", cfg.must_revalidate.get(state)),
    )
    found, value = await cache.get(pending.key)
    entry = rc.decode(value) if found else None
    if entry is None:
        state.trace(NAME, {"message": "Cache lookup resulted in a miss."})
        rc.remember(state, pending)
        return None
    response, expires = entry
    rc.downstream_headers(response, pending, math.ceil(expires - rc.clock(state.services)()))
    state.response = response
    state.trace(
        NAME,
        {
            "message": "Cache lookup resulted in a hit! Cached response will be used. Processing will continue "
            "from the step in the response pipeline that is after the corresponding cache-store."
        },
    )
    await _resume_outbound(state)
    return STOP


async def _resume_outbound(state: RequestState) -> None:
    """Run the effective outbound policies that follow the statement holding cache-store (a cache-store inside
    a choose resumes after that choose); with no cache-store in outbound nothing runs."""
    snapshot, api = state.snapshot, state.api
    if snapshot is None or api is None:
        return
    steps = snapshot.plan(api, state.operation, state.product).outbound.steps
    after = next((i + 1 for i, step in enumerate(steps) if _holds_store(step)), len(steps))
    if after >= len(steps):
        return
    state.section = "outbound"
    try:
        await StepList(tuple(steps[after:])).run(state)
    except PolicyError:
        state.response = None  # a failure here is an outbound failure: APIM's 500, then on-error
        raise


def _holds_store(node: Any, depth: int = 0) -> bool:
    """Whether a compiled step (or anything in its config: choose branches, nested statement lists) is a
    cache-store."""
    if depth > 12:
        return False
    if isinstance(node, Step):
        return node.name == STORE or _holds_store(node.config, depth + 1)
    if isinstance(node, StepList):
        return any(_holds_store(s, depth + 1) for s in node.steps)
    if isinstance(node, (tuple, list)):
        return any(_holds_store(item, depth + 1) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return any(_holds_store(getattr(node, f.name), depth + 1) for f in dataclasses.fields(node))
    return False


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound"}), compile=compile, run=run, once=True)
