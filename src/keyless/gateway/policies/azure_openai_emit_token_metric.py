"""azure-openai-emit-token-metric: emit the prompt, completion and total tokens an Azure OpenAI response reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies.emit_metric import (
    DEFAULT_NAMESPACE,
    Dimension,
    compile_dimensions,
    dimension_values,
    emit,
)
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState
from keyless.gateway.throttling import after_response, check_attributes, is_expression

NAME = "azure-openai-emit-token-metric"
# The metrics the docs name, each from the response's `usage` member.
METRICS = (
    ("Prompt Tokens", "prompt_tokens"),
    ("Completion Tokens", "completion_tokens"),
    ("Total Tokens", "total_tokens"),
)


@dataclass(frozen=True)
class Config:
    namespace: str
    dimensions: tuple[Dimension, ...]


def compile_token_metric(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("namespace",))
    namespace = element.attrs.get("namespace", DEFAULT_NAMESPACE)
    if is_expression(namespace):
        raise ctx.error(
            element, f"Attribute 'namespace' of '{element.name}' does not allow policy expressions.", "namespace"
        )
    if not namespace.strip():
        raise ctx.error(element, f"Attribute 'namespace' of '{element.name}' must not be empty.", "namespace")
    # The metrics are emitted once the backend has answered, so the Backend ID default dimension is known.
    return Config(namespace.strip(), compile_dimensions(element, ctx, with_backend=True))


def usage_of(response: GatewayResponse) -> dict[str, int] | None:
    """`usage` from a JSON body, or from the last server-sent event carrying it (a streamed completion)."""
    body = response.body or b""
    content_type = (response.headers.get("Content-Type") or "").lower()
    candidates: list[Any] = []
    if "text/event-stream" in content_type:
        for line in body.decode("utf-8", errors="replace").splitlines():
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                try:
                    candidates.append(json.loads(line[5:]))
                except ValueError:
                    continue
    else:
        try:
            candidates.append(json.loads(body))
        except ValueError:
            return None
    for document in reversed(candidates):
        usage = document.get("usage") if isinstance(document, dict) else None
        if isinstance(usage, dict):
            counts = {k: usage.get(k) for _, k in METRICS}
            if all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
                return counts  # type: ignore[return-value]
    return None


async def run_token_metric(policy: str, cfg: Config, state: RequestState) -> None:
    # Dimension values are read now (inbound, as the request sees them); the counts once the response is final.
    dims = dimension_values(state, tuple(d for d in cfg.dimensions if d.default != "Backend ID"))
    backend_dims = tuple(d for d in cfg.dimensions if d.default == "Backend ID")
    state.stream_ok = False  # type: ignore[attr-defined]  # the body must be buffered for its usage to be read

    async def emit_usage(response: GatewayResponse) -> None:
        usage = usage_of(response) if response.stream is None else None
        if usage is None:
            state.trace(policy, {"message": "The response reports no token usage; no metric emitted."})
            return
        all_dims = {**dims, **dimension_values(state, backend_dims)}
        for metric, key in METRICS:
            emit(state, policy, cfg.namespace, metric, float(usage[key]), all_dims)

    after_response(state, policy, emit_usage)


async def run(cfg: Config, state: RequestState) -> None:
    await run_token_metric(NAME, cfg, state)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_token_metric, run)
