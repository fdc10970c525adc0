"""validate-parameters: check request headers, query and path parameters against the operation's definition."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keyless.gateway import schema_validation as sv
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, Value

NAME = "validate-parameters"
_PARAM = re.compile(r"^\{\*?([^{}]+)\}$")
# kind -> (error Type, the words messages use)
KINDS = {
    "headers": ("RequestHeader", "header"),
    "query": ("QueryParameter", "query parameter"),
    "path": ("PathParameter", "path parameter"),
}


@dataclass(frozen=True)
class Group:
    specified: Value | None
    unspecified: Value | None
    overrides: tuple[tuple[str, Value], ...]  # parameter name (lower-cased for headers) -> action


@dataclass(frozen=True)
class Config:
    specified: Value
    unspecified: Value
    groups: tuple[tuple[str, Group], ...]
    variable: str | None


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(
        element, ctx, ("specified-parameter-action", "unspecified-parameter-action", "errors-variable-name")
    )
    t.check_children(element, ctx, tuple(KINDS))
    t.check_no_text(element, ctx)
    specified = sv.action(element, ctx, "specified-parameter-action", required=True)
    unspecified = sv.action(element, ctx, "unspecified-parameter-action", required=True)
    assert specified is not None and unspecified is not None
    groups: dict[str, Group] = {}
    for child in element.children:
        if child.name in groups:
            raise ctx.error(child, f"The element '{child.name}' may appear only once.")
        # Path parameters are always specified (they are the template's): no unspecified action there.
        allowed = ("specified-parameter-action",) if child.name == "path" else (
            "specified-parameter-action", "unspecified-parameter-action"
        )  # fmt: skip
        t.check_attributes(child, ctx, allowed)
        t.check_children(child, ctx, ("parameter",))
        t.check_no_text(child, ctx)
        overrides: list[tuple[str, Value]] = []
        for parameter in child.children:
            t.check_attributes(parameter, ctx, ("name", "action"))
            t.check_children(parameter, ctx, ())
            t.check_no_text(parameter, ctx)
            name = t.required(parameter, ctx, "name").strip()
            if not name or t.is_expression(name):
                raise ctx.error(parameter, "The 'name' attribute must be a parameter name.", "name")
            key = name.lower() if child.name == "headers" else name
            if any(k == key for k, _ in overrides):
                raise ctx.error(parameter, f"The parameter '{name}' is listed twice.", "name")
            found = sv.action(parameter, ctx, "action", required=True)
            assert found is not None
            overrides.append((key, found))
        groups[child.name] = Group(
            sv.action(child, ctx, "specified-parameter-action", required=False),
            sv.action(child, ctx, "unspecified-parameter-action", required=False) if child.name != "path" else None,
            tuple(overrides),
        )
    return Config(specified, unspecified, tuple(groups.items()), sv.variable_name(element, ctx))


def _template(operation: Any) -> tuple[list[str], dict[str, str]]:
    """The path parameter names and query name -> parameter name of the operation's URL template."""
    template = str(sv.field_of(operation, "url_template", "urlTemplate") or "")
    path, _, query = template.partition("?")
    names = [m.group(1) for seg in path.split("/") if (m := _PARAM.match(seg))]
    bound: dict[str, str] = {}
    for part in filter(None, query.split("&")):
        key, _, value = part.partition("=")
        if m := _PARAM.match(value):
            bound[key] = m.group(1)
    return names, bound


def _received(state: Any) -> dict[str, dict[str, list[str]]]:
    api = state.api
    gateway_header = str(getattr(api, "header_name", "") or "").lower()
    gateway_query = str(getattr(api, "query_name", "") or "")
    request = state.request
    # The subscription key is the gateway's own parameter, not the API's: it is never an unspecified parameter.
    headers = {n: request.headers.values(n) for n in request.headers.names() if n.lower() != gateway_header}
    url = request.original_url
    query = {k: list(v) for k, v in url.query.items() if k != gateway_query}
    return {"headers": headers, "query": query}


async def run(cfg: Config, state: Any) -> None:
    operation = state.operation
    contract = sv.request_contract(operation)
    template_params = sv.by_name(sv.field_of(operation, "template_parameters", "templateParameters") or (), fold=False)
    path_names, query_bound = _template(operation)
    declared = {
        "headers": sv.by_name(contract.get("headers") or (), fold=True),
        "query": {
            **sv.by_name(contract.get("queryParameters") or (), fold=False),
            **{q: template_params.get(p) or {"name": q, "type": "string"} for q, p in query_bound.items()},
        },
        "path": {n: template_params.get(n) or {"name": n, "type": "string"} for n in path_names},
    }
    received = _received(state)
    matched = getattr(state, "matched_parameters", {}) or {}
    received["path"] = {n: [str(matched[n])] for n in path_names if n in matched}
    groups = dict(cfg.groups)
    findings = sv.Findings(NAME)
    for kind, (type_, words) in KINDS.items():
        group = groups.get(kind) or Group(None, None, ())
        overrides = dict(group.overrides)
        for name, values in received[kind].items():
            key = name.lower() if kind == "headers" else name
            definition = declared[kind].get(key)
            level = "specified-parameter-action" if definition is not None else "unspecified-parameter-action"
            if definition is None:
                value = overrides.get(key) or group.unspecified or cfg.unspecified
            else:
                value = overrides.get(key) or group.specified or cfg.specified
            chosen = sv.run_action(value, state, NAME, "action" if key in overrides else level)
            if chosen == "ignore":
                continue
            if definition is None:
                message = f"Unspecified {words} {name} is not allowed."
                findings.add(chosen, name, type_, "Unspecified", message)
                continue
            _check_values(findings, chosen, name, values, definition, type_, words)
    findings.conclude(state, cfg.variable)


def _check_values(
    findings: sv.Findings,
    chosen: str,
    name: str,
    values: list[str],
    definition: Mapping[str, Any],
    type_: str,
    words: str,
) -> None:
    if len(values) > 1 and str(definition.get("type") or "string").lower() != "array":
        message = f"Request cannot contain multiple values for the {words} {name}."
        findings.add(chosen, name, type_, "IncorrectMessage", message)
        return
    parse_error, conformance = sv.value_problems(",".join(values), definition)
    if parse_error is not None:
        details = f"Value of the {words} {name} cannot be parsed according to the definition. {parse_error}"
        public = f"Value of the {words} {name} couldn't be parsed according to the definition. {parse_error}"
        findings.add(chosen, name, type_, "IncorrectMessage", details, public)
    elif conformance is not None:
        details = f"Value of the {words} {name} does not conform to the definition. {conformance}"
        public = f"The value of the {words} {name} does not conform to the definition. {conformance}"
        findings.add(chosen, name, type_, "IncorrectMessage", details, public)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile, run, once=True)
