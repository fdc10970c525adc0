"""emit-metric: send a custom metric (name, namespace, value, dimensions), as Azure does to Application Insights."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.metrics import metrics_store
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value
from keyless.gateway.throttling import check_attributes, check_children, context_member, is_expression, required

NAME = "emit-metric"
DEFAULT_NAMESPACE = "API Management"
# The docs: at most 10 custom dimensions per policy (Azure Monitor allows 10 dimension keys per metric).
MAX_DIMENSIONS = 10
# Dimension names that may be given without a value: the gateway supplies it (lower-cased for lookup).
DEFAULT_DIMENSIONS = ("API ID", "Operation ID", "Product ID", "User ID", "Subscription ID", "Location", "Gateway ID")
BACKEND_ID = "Backend ID"  # a default dimension only in the outbound section


@dataclass(frozen=True)
class Dimension:
    name: Value
    value: Value | None  # None: a default dimension, filled in per request
    default: str | None  # the canonical default-dimension name when `value` is None


@dataclass(frozen=True)
class Config:
    name: str
    namespace: str
    value: Value
    dimensions: tuple[Dimension, ...]


def default_names(with_backend: bool) -> dict[str, str]:
    names = {*DEFAULT_DIMENSIONS, *((BACKEND_ID,) if with_backend else ())}
    return {n.lower(): n for n in names}


def compile_dimensions(element: Element, ctx: CompileContext, *, with_backend: bool) -> tuple[Dimension, ...]:
    """`<dimension name value>` children: name required, value only omissible for a default dimension."""
    check_children(ctx, element, ("dimension",))
    children = element.children
    if not children:
        raise ctx.error(element, f"'{element.name}' needs at least one 'dimension' element.")
    if len(children) > MAX_DIMENSIONS:
        raise ctx.error(children[MAX_DIMENSIONS], f"'{element.name}' allows at most {MAX_DIMENSIONS} dimensions.")
    defaults = default_names(with_backend)
    dimensions = []
    seen: set[str] = set()
    for child in children:
        check_attributes(ctx, child, ("name", "value"))
        check_children(ctx, child, ())
        raw_name = required(ctx, child, "name")
        key = raw_name.strip().lower()
        if not is_expression(raw_name):
            if key in seen:
                raise ctx.error(child, f"Dimension '{raw_name}' is given twice.", "name")
            seen.add(key)
        raw_value = child.attrs.get("value")
        if raw_value is None:
            if is_expression(raw_name) or key not in defaults:
                known = ", ".join(sorted(defaults.values()))
                raise ctx.error(
                    child,
                    f"Dimension '{raw_name}' needs a 'value': only the default dimensions ({known}) may omit it.",
                    "value",
                )
            default: str | None = defaults[key]
            value = None
        else:
            default = None
            value = ctx.value(child, raw_value, attribute="value")
        dimensions.append(Dimension(ctx.value(child, raw_name, attribute="name"), value, default))
    return tuple(dimensions)


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("name", "namespace", "value"))
    name = required(ctx, element, "name")
    if is_expression(name):
        raise ctx.error(element, "Attribute 'name' of 'emit-metric' does not allow policy expressions.", "name")
    namespace = element.attrs.get("namespace", DEFAULT_NAMESPACE)
    if is_expression(namespace):
        raise ctx.error(
            element, "Attribute 'namespace' of 'emit-metric' does not allow policy expressions.", "namespace"
        )
    if not namespace.strip():
        raise ctx.error(element, "Attribute 'namespace' of 'emit-metric' must not be empty.", "namespace")
    raw_value = element.attrs.get("value", "1")
    if not is_expression(raw_value):
        to_double(NAME, raw_value, lambda m: ctx.error(element, m, "value"))
    dimensions = compile_dimensions(element, ctx, with_backend=ctx.section == "outbound")
    return Config(name.strip(), namespace.strip(), ctx.value(element, raw_value, attribute="value"), dimensions)


def to_double(policy: str, raw: Any, fail: Any = None) -> float:
    """A metric value as .NET's double parse reads it; a bad one is refused (at compile or per request)."""
    try:
        if isinstance(raw, bool):
            raise ValueError
        number = float(raw.strip() if isinstance(raw, str) else raw)
        if not math.isfinite(number):
            raise ValueError
    except (TypeError, ValueError):
        message = f"Attribute 'value' of '{policy}' must be a number (double), not '{raw}'."
        if fail is not None:
            raise fail(message) from None
        raise PolicyError(policy, "ExpressionValueEvaluationFailure", message) from None
    return number


def default_value(state: RequestState, name: str) -> str:
    """What the gateway puts in a default dimension (empty where the request has no such entity)."""
    path = {
        "API ID": ("Api", "Id"),
        "Operation ID": ("Operation", "Id"),
        "Product ID": ("Product", "Id"),
        "User ID": ("User", "Id"),
        "Subscription ID": ("Subscription", "Id"),
        "Location": ("Deployment", "Region"),
        "Gateway ID": ("Deployment", "GatewayId"),
    }.get(name)
    if path is not None:
        found = context_member(state, *path)
        return "" if found is None else str(found)
    backend = getattr(state, "backend", None)  # Backend ID: the backend entity set-backend-service chose
    return "" if backend is None or "://" in str(backend) else str(backend)


def dimension_values(state: RequestState, dimensions: tuple[Dimension, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for dim in dimensions:
        name = str(dim.name.get(state) if dim.default is None else dim.default)
        if dim.value is None:
            out[name] = default_value(state, dim.default or name)
        else:
            value = dim.value.get(state)
            out[name] = "" if value is None else str(value)
    return out


def service_name(state: RequestState) -> str:
    snapshot = getattr(state, "snapshot", None)
    return "" if snapshot is None else str(snapshot.service_name)


def emit(state: RequestState, policy: str, namespace: str, name: str, value: float, dims: dict[str, str]) -> None:
    """Record the metric for the service and show it in the trace."""
    stored = metrics_store(state.services).emit(service_name(state), namespace, name, value, dims)
    entry: dict[str, Any] = {"namespace": namespace, "name": name, "value": value, "dimensions": dims}
    if not stored:
        entry["dropped"] = "the service reached its limit of metric time series"
    state.trace(policy, {"message": "Custom metric emitted." if stored else "Custom metric dropped.", "metric": entry})


async def run(cfg: Config, state: RequestState) -> None:
    value = to_double(NAME, cfg.value.get(state))
    emit(state, NAME, cfg.namespace, cfg.name, value, dimension_values(state, cfg.dimensions))
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
