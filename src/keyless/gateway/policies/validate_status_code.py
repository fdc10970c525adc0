"""validate-status-code: refuse a response whose status code the operation does not define (APIM's policy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway import schema_validation as sv
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, Value

NAME = "validate-status-code"


@dataclass(frozen=True)
class Config:
    unspecified: Value
    overrides: tuple[tuple[int, Value], ...]
    variable: str | None


def compile(element: Element, ctx: CompileContext) -> Config:
    # The docs name `errors-variable-name`; the policy toolkit writes `error-variable-name`: both are accepted.
    t.check_attributes(element, ctx, ("unspecified-status-code-action", "errors-variable-name", "error-variable-name"))
    t.check_children(element, ctx, ("status-code",))
    t.check_no_text(element, ctx)
    if "errors-variable-name" in element.attrs and "error-variable-name" in element.attrs:
        raise ctx.error(element, "Only one of 'errors-variable-name' and 'error-variable-name' may be set.")
    unspecified = sv.action(element, ctx, "unspecified-status-code-action", required=True)
    assert unspecified is not None
    variable = sv.variable_name(element, ctx) or sv.variable_name(element, ctx, "error-variable-name")
    overrides: list[tuple[int, Value]] = []
    seen: set[int] = set()
    for child in element.children:
        t.check_attributes(child, ctx, ("code", "action"))
        t.check_children(child, ctx, ())
        t.check_no_text(child, ctx)
        raw = t.required(child, ctx, "code")
        try:
            code = int(raw.strip())
        except ValueError:
            raise ctx.error(child, f"The status code '{raw}' is not an integer.", "code") from None
        if not 100 <= code <= 599:
            raise ctx.error(child, f"The status code {code} is out of range.", "code")
        if code in seen:
            raise ctx.error(child, f"The status code {code} is listed twice.", "code")
        seen.add(code)
        found = sv.action(child, ctx, "action", required=True)
        assert found is not None
        overrides.append((code, found))
    return Config(unspecified, tuple(overrides), variable)


async def run(cfg: Config, state: Any) -> None:
    response = state.ensure_response()
    status = int(response.status)
    if sv.response_contract(state.operation, status) is not None:
        return None
    override = next((v for code, v in cfg.overrides if code == status), None)
    attribute = "unspecified-status-code-action" if override is None else "action"
    chosen = sv.run_action(override or cfg.unspecified, state, NAME, attribute)
    findings = sv.Findings(NAME)
    findings.add(
        chosen, str(status), "StatusCode", "Unspecified", f"Response status code {status} is not allowed.", sv.INTERNAL
    )
    findings.conclude(state, cfg.variable)
    return None


SPEC = PolicySpec(NAME, frozenset({"outbound", "on-error"}), compile, run)
