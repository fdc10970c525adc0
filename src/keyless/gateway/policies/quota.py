"""quota: APIM's per-subscription call/bandwidth quota over fixed periods from the subscription's start (403)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop
from keyless.gateway.throttling import (
    after_response,
    check_attributes,
    check_children,
    context_member,
    gateway_error,
    int_constant,
    required,
    service_key,
    timespan,
)

NAME = "quota"
DOTNET_EPOCH_TICKS = 621_355_968_000_000_000  # DateTime(1970-01-01).Ticks


@dataclass(frozen=True)
class Quota:
    """Calls and/or kilobytes per fixed `period` seconds (0: for the subscription's lifetime)."""

    calls: int | None
    kilobytes: int | None
    period: int
    ref_id: str | None = None
    ref_name: str | None = None
    operations: tuple[Quota, ...] = ()

    def matches(self, node: object) -> bool:
        if node is None:
            return False
        value = getattr(node, "Id", None) if self.ref_id is not None else getattr(node, "Name", None)
        wanted = self.ref_id if self.ref_id is not None else self.ref_name
        return value is not None and wanted is not None and str(value).rsplit("/", 1)[-1].lower() == wanted.lower()


@dataclass(frozen=True)
class Config:
    quota: Quota
    apis: tuple[Quota, ...]


def compile_amounts(ctx: CompileContext, element: Element) -> tuple[int | None, int | None]:
    calls_raw, kb_raw = element.attrs.get("calls"), element.attrs.get("bandwidth")
    if calls_raw is None and kb_raw is None:
        raise ctx.error(element, f"'{element.name}' needs 'calls', 'bandwidth' or both.")
    calls = None if calls_raw is None else int_constant(ctx, element, "calls", calls_raw, minimum=0)
    kilobytes = None if kb_raw is None else int_constant(ctx, element, "bandwidth", kb_raw, minimum=0)
    return calls, kilobytes


def _child(ctx: CompileContext, element: Element, period: int, children: tuple[Quota, ...] = ()) -> Quota:
    check_attributes(ctx, element, ("name", "calls", "bandwidth", "renewal-period"))
    ref_id, ref_name = element.attrs.get("id"), element.attrs.get("name")
    if not ref_id and not ref_name:
        raise ctx.error(element, f"'{element.name}' of 'quota' needs a 'name' or an 'id'.")
    calls, kilobytes = compile_amounts(ctx, element)
    raw = element.attrs.get("renewal-period")
    # The policy statement shows children without renewal-period; they then renew with the policy's period.
    own = period if raw is None else int_constant(ctx, element, "renewal-period", raw, minimum=0)
    return Quota(calls, kilobytes, own, ref_id or None, ref_name, children)


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("calls", "bandwidth", "renewal-period"))
    check_children(ctx, element, ("api",))
    calls, kilobytes = compile_amounts(ctx, element)
    period = int_constant(ctx, element, "renewal-period", required(ctx, element, "renewal-period"), minimum=0)
    apis = []
    for api in element.children:
        check_children(ctx, api, ("operation",))
        operations = []
        for operation in api.children:
            check_children(ctx, operation, ())
            operations.append(_child(ctx, operation, period))
        apis.append(_child(ctx, api, period, tuple(operations)))
    return Config(Quota(calls, kilobytes, period), tuple(apis))


def epoch_seconds(value: Any) -> float:
    """A DateTime from the expression model (or Python) as Unix seconds; None counts from 0001-01-01."""
    if value is None:
        return (0 - DOTNET_EPOCH_TICKS) / 10_000_000
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):  # an ARM body's startDate/createdDate, ISO 8601
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PolicyError(NAME, "ExpressionValueEvaluationFailure", f"Not a date: {value!r}") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    ticks = getattr(value, "Ticks", None)
    if isinstance(ticks, int):
        return (ticks - DOTNET_EPOCH_TICKS) / 10_000_000
    timestamp = getattr(value, "timestamp", None)
    if callable(timestamp):
        return float(timestamp())
    raise PolicyError(NAME, "ExpressionValueEvaluationFailure", f"Not a date: {value!r}")


def exceeded(state: RequestState, policy: str, bandwidth: bool, renews_in: float | None) -> PolicyError:
    """Set APIM's 403 and return the error to raise (LastError quota / QuotaExceeded)."""
    what = "bandwidth" if bandwidth else "call volume"
    if renews_in is None:
        # A lifetime quota never renews; APIM's wording for it is not documented.
        message, headers = f"Out of {what} quota.", []
    else:
        seconds = max(1, math.ceil(renews_in))
        message = f"Out of {what} quota. Quota will be replenished in {timespan(seconds)}."
        headers = [("Retry-After", str(seconds))]
    state.response = gateway_error(403, message, headers)
    state.trace(policy, {"message": message})
    return PolicyError(policy, "QuotaExceeded", message)


async def enforce(state: RequestState, policy: str, applied: list[tuple[str, Quota]], start: float) -> None:
    """Refuse when any quota is used up; otherwise nothing (counting is the caller's)."""
    counters = state.services.counters
    for key, quota in applied:
        usage = await counters.quota_usage(key, quota.period, start)
        if quota.calls is not None and usage.calls >= quota.calls:
            raise exceeded(state, policy, False, usage.renews_in)
        if quota.kilobytes is not None and usage.kilobytes >= quota.kilobytes:
            raise exceeded(state, policy, True, usage.renews_in)


def message_kilobytes(state: RequestState, response: GatewayResponse | None) -> float:
    """Bandwidth a call used: request and response bodies, in kilobytes."""
    size = len(state.request.body or b"")
    if response is not None:
        size += len(response.body or b"")
        if not response.body and getattr(response, "stream", None) is not None:
            # a body streamed to the client unread: its declared length (chunked bodies are not counted)
            length = response.headers.get("Content-Length") or ""
            size += int(length) if length.isdigit() else 0
    return size / 1024


async def run(cfg: Config, state: RequestState) -> Stop | None:
    subscription = context_member(state, "Subscription")
    if subscription is None:
        state.trace(NAME, {"message": "No subscription key: quota not applied."})
        return None
    start = epoch_seconds(getattr(subscription, "StartDate", None) or getattr(subscription, "CreatedDate", None))
    base = service_key(state, NAME, subscription.Id, context_member(state, "Product", "Id"))
    applied = [(f"{base}|{cfg.quota.period}", cfg.quota)]
    api, operation = context_member(state, "Api"), context_member(state, "Operation")
    for api_quota in cfg.apis:
        if api_quota.matches(api):
            api_key = f"{base}|api:{api_quota.ref_id or api_quota.ref_name}"
            applied.append((f"{api_key}|{api_quota.period}", api_quota))
            for op_quota in api_quota.operations:
                if op_quota.matches(operation):
                    op_key = f"{api_key}|op:{op_quota.ref_id or op_quota.ref_name}|{op_quota.period}"
                    applied.append((op_key, op_quota))
    await enforce(state, NAME, applied, start)
    counters = state.services.counters
    for key, quota in applied:
        await counters.quota_add(key, quota.period, start, 1, 0.0)
    if any(quota.kilobytes is not None for _, quota in applied):

        async def count_bandwidth(response: GatewayResponse) -> None:
            kilobytes = message_kilobytes(state, response)
            for key, quota in applied:
                await counters.quota_add(key, quota.period, start, 0, kilobytes)

        after_response(state, NAME, count_bandwidth)
    return None


SPEC = PolicySpec(
    name=NAME,
    sections=frozenset({"inbound"}),
    compile=compile,
    run=run,
    scopes=frozenset({"product"}),
    once=True,
)
