"""rate-limit: APIM's per-subscription sliding-window call limit (429 + Retry-After), with per-API/operation limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop
from keyless.gateway.throttling import (
    after_response,
    check_attributes,
    check_children,
    gateway_error,
    int_constant,
    no_expression,
    required,
    service_key,
)

NAME = "rate-limit"
MAX_PERIOD = 300
OUTPUT_ATTRIBUTES = (
    "retry-after-header-name",
    "retry-after-variable-name",
    "remaining-calls-header-name",
    "remaining-calls-variable-name",
    "total-calls-header-name",
)


@dataclass(frozen=True)
class Outputs:
    """Where a rate limit reports itself: header and variable names (none allow expressions)."""

    retry_after_header: str = "Retry-After"
    retry_after_variable: str | None = None
    remaining_header: str | None = None
    remaining_variable: str | None = None
    total_header: str | None = None


@dataclass(frozen=True)
class Limit:
    """`calls` per sliding `period` seconds, for the API or operation named by `ref` (id wins over name)."""

    calls: int
    period: int
    ref_id: str | None = None
    ref_name: str | None = None
    operations: tuple[Limit, ...] = ()

    def matches(self, node: object) -> bool:
        if node is None:
            return False
        if self.ref_id is not None:
            return _same(getattr(node, "Id", None), self.ref_id)
        return _same(getattr(node, "Name", None), self.ref_name)


@dataclass(frozen=True)
class Config:
    limit: Limit
    apis: tuple[Limit, ...]
    outputs: Outputs
    scope: str


def _same(value: object, wanted: str | None) -> bool:
    """API and operation references match case-insensitively (an ARM id matches by its last segment)."""
    return value is not None and wanted is not None and str(value).rsplit("/", 1)[-1].lower() == wanted.lower()


def compile_outputs(ctx: CompileContext, element: Element) -> Outputs:
    values = {name: no_expression(ctx, element, name) for name in OUTPUT_ATTRIBUTES}
    for name, value in values.items():
        if value is not None and not value.strip():
            raise ctx.error(element, f"Attribute '{name}' of '{element.name}' must not be empty.", name)
    return Outputs(
        values["retry-after-header-name"] or "Retry-After",
        values["retry-after-variable-name"],
        values["remaining-calls-header-name"],
        values["remaining-calls-variable-name"],
        values["total-calls-header-name"],
    )


def _period(ctx: CompileContext, element: Element) -> int:
    raw = required(ctx, element, "renewal-period")
    return int_constant(ctx, element, "renewal-period", raw, minimum=1, maximum=MAX_PERIOD)


def _calls(ctx: CompileContext, element: Element) -> int:
    return int_constant(ctx, element, "calls", required(ctx, element, "calls"), minimum=0)


def _child_limit(ctx: CompileContext, element: Element, children: tuple[Limit, ...] = ()) -> Limit:
    ref_id, ref_name = element.attrs.get("id"), element.attrs.get("name")
    if not ref_id and not ref_name:
        raise ctx.error(element, f"'{element.name}' of 'rate-limit' needs a 'name' or an 'id'.")
    return Limit(_calls(ctx, element), _period(ctx, element), ref_id or None, ref_name, children)


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("calls", "renewal-period", *OUTPUT_ATTRIBUTES))
    check_children(ctx, element, ("api",))
    apis = []
    for api in element.children:
        check_attributes(ctx, api, ("name", "calls", "renewal-period"))
        check_children(ctx, api, ("operation",))
        operations = []
        for operation in api.children:
            check_attributes(ctx, operation, ("name", "calls", "renewal-period"))
            check_children(ctx, operation, ())
            operations.append(_child_limit(ctx, operation))
        apis.append(_child_limit(ctx, api, tuple(operations)))
    limit = Limit(_calls(ctx, element), _period(ctx, element))
    return Config(limit, tuple(apis), compile_outputs(ctx, element), ctx.scope)


def retry_message(seconds: int) -> str:
    return f"Rate limit is exceeded. Try again in {seconds} seconds."


def refuse(state: RequestState, policy: str, outputs: Outputs, retry_after: int, total: int) -> PolicyError:
    """Set APIM's 429 and return the error to raise (LastError rate-limit / RateLimitExceeded).

    The remaining-calls header and variable are set on the success path only."""
    headers = [(outputs.retry_after_header, str(retry_after))]
    if outputs.total_header:
        headers.append((outputs.total_header, str(total)))
    if outputs.retry_after_variable:
        state.variables[outputs.retry_after_variable] = retry_after
    state.response = gateway_error(429, retry_message(retry_after), headers)
    state.trace(policy, {"message": "Rate limit exceeded.", "retryAfter": retry_after})
    return PolicyError(
        policy,
        "RateLimitExceeded",
        "Rate limit is exceeded",
        explanation=f"more than {total} calls in the renewal period; retry after {retry_after} s",
    )


def report(state: RequestState, policy: str, outputs: Outputs, remaining: int, total: int) -> None:
    """The remaining-calls variable now, and the remaining/total headers on whatever response goes out."""
    if outputs.remaining_variable:
        state.variables[outputs.remaining_variable] = remaining
    if outputs.remaining_header or outputs.total_header:
        after_response(state, policy, _headers_hook(outputs, remaining, total))


def _headers_hook(outputs: Outputs, remaining: int, total: int) -> Callable[[GatewayResponse], Awaitable[None]]:
    async def add_headers(response: GatewayResponse) -> None:
        if outputs.remaining_header:
            response.headers.set(outputs.remaining_header, str(remaining))
        if outputs.total_header:
            response.headers.set(outputs.total_header, str(total))

    return add_headers


def _id(node: object) -> object:
    return getattr(node, "Id", None) if node is not None else None


async def run(cfg: Config, state: RequestState) -> Stop | None:
    context = state.context
    subscription = _id(context.Subscription)
    if subscription is None:
        state.trace(NAME, {"message": "No subscription key: rate limit not applied."})
        return None
    api, operation = context.Api, context.Operation
    if cfg.scope == "product":
        where = f"product:{_id(context.Product)}"
    elif cfg.scope == "operation":
        where = f"operation:{_id(api)}:{_id(operation)}"
    else:
        where = f"{cfg.scope}:{_id(api)}"
    base = service_key(state, NAME, subscription, where)
    applied = [(f"{base}|{cfg.limit.period}", cfg.limit)]
    for api_limit in cfg.apis:
        if not api_limit.matches(api):
            continue
        api_key = f"{base}|api:{api_limit.ref_id or api_limit.ref_name}"
        applied.append((f"{api_key}|{api_limit.period}", api_limit))
        for op_limit in api_limit.operations:
            if op_limit.matches(operation):
                applied.append((f"{api_key}|op:{op_limit.ref_id or op_limit.ref_name}|{op_limit.period}", op_limit))
    counters = state.services.counters
    if len(applied) == 1:
        key, limit = applied[0]
        decision = await counters.rate_hit(key, limit.calls, limit.period)
        if not decision.allowed:
            raise refuse(state, NAME, cfg.outputs, decision.retry_after, cfg.limit.calls)
        report(state, NAME, cfg.outputs, decision.remaining, cfg.limit.calls)
        return None
    # Product, API and operation limits apply independently; a call refused by one is counted by none.
    decisions = [await counters.rate_peek(key, limit.calls, limit.period) for key, limit in applied]
    refused = [d.retry_after for d in decisions if not d.allowed]
    if refused:
        raise refuse(state, NAME, cfg.outputs, max(refused), cfg.limit.calls)
    remaining = [limit.calls - await counters.rate_add(key, limit.period, 1) for key, limit in applied]
    report(state, NAME, cfg.outputs, max(0, min(remaining)), cfg.limit.calls)
    return None


SPEC = PolicySpec(
    name=NAME,
    sections=frozenset({"inbound"}),
    compile=compile,
    run=run,
    scopes=frozenset({"product", "api", "operation"}),
    once=True,
)
