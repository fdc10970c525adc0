"""mock-response: answer with the operation's example for a status and content type, without the backend."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import STOP, CompileContext, PolicySpec, Stop

NAME = "mock-response"


@dataclass(frozen=True)
class Config:
    status: int
    content_type: str | None


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("status-code", "content-type"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    for name in ("status-code", "content-type"):
        if t.is_expression(element.attrs.get(name)):
            raise ctx.error(element, f"Policy expressions are not allowed in the '{name}' attribute.", name)
    raw = element.attrs.get("status-code", "200")
    try:
        status = int(raw.strip())
    except ValueError:
        raise ctx.error(element, f"The status code '{raw}' is not an integer.", "status-code") from None
    if not 100 <= status <= 999:
        raise ctx.error(element, f"The status code {status} is out of range.", "status-code")
    content_type = element.attrs.get("content-type")
    if content_type is not None and not content_type.strip():
        raise ctx.error(element, "The 'content-type' attribute is empty.", "content-type")
    return Config(status, content_type.strip() if content_type else None)


async def run(cfg: Config, state: Any) -> Stop:
    headers = Headers()
    body = b""
    representation = _representation(getattr(state, "operation", None), cfg.status, cfg.content_type)
    content_type = cfg.content_type
    if representation is not None:
        content_type = content_type or t.field(representation, "contentType", "content_type")
        example = _example(representation)
        if example is not None:
            body = example.encode("utf-8")
    if content_type:
        headers.set("Content-Type", content_type)
    state.response = GatewayResponse(cfg.status, headers, body, t.reason_phrase(cfg.status))
    return STOP


def _representation(operation: Any, status: int, content_type: str | None) -> Any:
    for response in t.field(operation, "responses") or ():
        code = t.field(response, "statusCode", "status_code", "status")
        if str(code) != str(status):
            continue
        representations = list(t.field(response, "representations") or ())
        if content_type is None:
            return representations[0] if representations else None
        wanted = content_type.split(";", 1)[0].strip().lower()
        for item in representations:
            have = str(t.field(item, "contentType", "content_type") or "").split(";", 1)[0].strip().lower()
            if have == wanted:
                return item
        return None
    return None


def _example(representation: Any) -> str | None:
    """The first example's value (`examples.{name}.value`), else the older `sample` text."""
    examples = t.field(representation, "examples")
    if isinstance(examples, dict) and examples:
        first = next(iter(examples.values()))
        value = first.get("value") if isinstance(first, dict) else t.field(first, "value")
        if value is not None:
            return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    sample = t.field(representation, "sample")
    return sample if isinstance(sample, str) else None


SPEC = PolicySpec(NAME, frozenset({"inbound", "outbound", "on-error"}), compile, run)
