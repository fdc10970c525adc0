"""set-backend-service: another base URL or a backend entity's URL, keeping the operation path and query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from keyless.gateway.element import Element
from keyless.gateway.http_types import Url
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-backend-service"
# Azure routes these to Service Fabric or a Dapr sidecar; keyless has neither.
UNSUPPORTED = (
    "sf-resolve-condition", "sf-service-instance-name", "sf-partition-key", "sf-listener-name", "sf-replica-type",
    "dapr-app-id", "dapr-method", "dapr-namespace",
)  # fmt: skip


@dataclass(frozen=True)
class Config:
    base_url: Value | None
    backend_id: Value | None


def compile(element: Element, ctx: CompileContext) -> Config:
    for name in UNSUPPORTED:
        if name in element.attrs:
            raise ctx.error(
                element, f"The '{name}' attribute (Service Fabric / Dapr backends) is not supported by keyless.", name
            )
    t.check_attributes(element, ctx, ("base-url", "backend-id"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    base = element.attrs.get("base-url")
    backend = element.attrs.get("backend-id")
    if (base is None) == (backend is None):
        raise ctx.error(element, "Exactly one of the 'base-url' and 'backend-id' attributes is required.")
    if base is not None and not t.is_expression(base) and not _absolute(base):
        raise ctx.error(element, f"The 'base-url' value '{base}' is not an absolute http(s) URL.", "base-url")
    if backend is not None and not t.is_expression(backend) and not backend.strip():
        raise ctx.error(element, "The 'backend-id' attribute is empty.", "backend-id")
    return Config(
        ctx.value(element, base, attribute="base-url") if base is not None else None,
        ctx.value(element, backend, attribute="backend-id") if backend is not None else None,
    )


def _absolute(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


async def run(cfg: Config, state: Any) -> None:
    if cfg.base_url is not None:
        chosen = t.text_of(cfg.base_url.get(state)).strip()
        if not _absolute(chosen):
            raise PolicyError(NAME, "InvalidBaseUrl", f"The base URL '{chosen}' is not an absolute http(s) URL.")
        target = chosen
    else:
        assert cfg.backend_id is not None
        chosen = t.text_of(cfg.backend_id.get(state)).strip()
        found = t.backend_url(state, chosen)
        if not found:
            raise PolicyError(NAME, "BackendNotFound", f"Backend with id '{chosen}' could not be found.")
        target = found
    new_base = Url.parse(target)
    url = state.request.url
    relative = t.relative_path(url.path, t.base_url(state))
    query = {k: list(v) for k, v in new_base.query.items()}
    for key, values in url.query.items():
        query.setdefault(key, []).extend(values)
    url.scheme, url.host, url.port = new_base.scheme, new_base.host, new_base.port
    url.path = t.join_path(new_base.path if new_base.path != "/" else "", relative)
    url.query = query
    state.backend = chosen


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend"}), compile, run)
