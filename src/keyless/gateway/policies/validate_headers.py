"""validate-headers: check response headers against the operation's response definition (APIM's validate-headers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway import schema_validation as sv
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, Value

NAME = "validate-headers"


@dataclass(frozen=True)
class Config:
    specified: Value
    unspecified: Value
    overrides: tuple[tuple[str, Value], ...]  # lower-cased header name -> action
    variable: str | None


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("specified-header-action", "unspecified-header-action", "errors-variable-name"))
    t.check_children(element, ctx, ("header",))
    t.check_no_text(element, ctx)
    specified = sv.action(element, ctx, "specified-header-action", required=True)
    unspecified = sv.action(element, ctx, "unspecified-header-action", required=True)
    assert specified is not None and unspecified is not None
    overrides: list[tuple[str, Value]] = []
    for child in element.children:
        t.check_attributes(child, ctx, ("name", "action"))
        t.check_children(child, ctx, ())
        t.check_no_text(child, ctx)
        name = t.required(child, ctx, "name").strip()
        if not name or t.is_expression(name):
            raise ctx.error(child, "The 'name' attribute must be a header name.", "name")
        if any(n == name.lower() for n, _ in overrides):
            raise ctx.error(child, f"The header '{name}' is listed twice.", "name")
        found = sv.action(child, ctx, "action", required=True)
        assert found is not None
        overrides.append((name.lower(), found))
    return Config(specified, unspecified, tuple(overrides), sv.variable_name(element, ctx))


async def run(cfg: Config, state: Any) -> None:
    response = state.ensure_response()
    contract = sv.response_contract(state.operation, int(response.status))
    declared = sv.by_name((contract or {}).get("headers") or (), fold=True)
    overrides = dict(cfg.overrides)
    findings = sv.Findings(NAME)
    for name in response.headers.names():
        definition = declared.get(name.lower())
        level = "specified-header-action" if definition is not None else "unspecified-header-action"
        override = overrides.get(name.lower())
        value = override or (cfg.specified if definition is not None else cfg.unspecified)
        chosen = sv.run_action(value, state, NAME, "action" if override is not None else level)
        if chosen == "ignore":
            continue
        if definition is None:
            findings.add(
                chosen, name, "ResponseHeader", "Unspecified", f"Unspecified header {name} is not allowed.", sv.INTERNAL
            )
            continue
        values = response.headers.values(name)
        if len(values) > 1 and str(definition.get("type") or "string").lower() != "array":
            details = f"Response cannot contain multiple values for the header {name}."
            findings.add(chosen, name, "ResponseHeader", "IncorrectMessage", details, sv.INTERNAL)
            continue
        parse_error, conformance = sv.value_problems(",".join(values), definition)
        if parse_error is not None:
            details = f"Value of the header {name} couldn't be parsed according to the definition."
            findings.add(chosen, name, "ResponseHeader", "IncorrectMessage", details, sv.INTERNAL)
        elif conformance is not None:
            details = f"Value of the header {name} does not conform to the definition. {conformance}"
            findings.add(chosen, name, "ResponseHeader", "IncorrectMessage", details, sv.INTERNAL)
    findings.conclude(state, cfg.variable)


SPEC = PolicySpec(NAME, frozenset({"outbound", "on-error"}), compile, run)
