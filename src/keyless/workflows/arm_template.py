"""ARM template expressions, resolved before a `Microsoft.Logic/workflows` resource is deployed.

Consumption definitions live in ARM templates whose strings may be template expressions
(`"[parameters('x')]"`, `"[concat('a', variables('b'))]"`, `"[resourceId('Microsoft.Web/connections', 'c')]"`);
Azure resolves them at deployment, before the Logic Apps engine sees the definition. keyless does the same for
the functions such templates use. A string is an expression only when it starts with `[` and ends with `]`;
`[[` escapes a literal `[`. WDL text (`@...`) inside them is left alone for the workflow engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from keyless.platform.errors import KeylessError


class TemplateError(KeylessError):
    """A template keyless cannot deploy: ARM's deployment validation code, with the place it happened."""

    code = "InvalidTemplate"


@dataclass
class Deployment:
    """Where the template is deployed: what `subscription()`, `resourceGroup()` and `resourceId()` answer."""

    subscription_id: str
    resource_group: str
    location: str
    tenant_id: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)  # values, already unwrapped from {"value": ...}


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),.\[\]]))"
)


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.pos = 0

    def fail(self, message: str) -> TemplateError:
        return TemplateError(
            f"Unable to parse language expression '{self.text}': {message} at position {self.pos}. Path '{self.where}'."
        )

    def token(self) -> tuple[str, str] | None:
        match = _TOKEN.match(self.text, self.pos)
        if match is None or match.end() == self.pos:
            if self.text[self.pos :].strip():
                raise self.fail("unexpected character")
            return None
        kind = match.lastgroup or ""
        return kind, match.group(kind)

    def take(self) -> tuple[str, str]:
        tok = self.token()
        if tok is None:
            raise self.fail("unexpected end of expression")
        match = _TOKEN.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()
        return tok

    def peek(self) -> tuple[str, str] | None:
        return self.token()

    def expect(self, punct: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != punct:
            raise self.fail(f"expected '{punct}' but found '{value}'")

    def expression(self) -> Callable[[_Evaluator], Any]:
        kind, value = self.take()
        if kind == "str":
            literal = value[1:-1].replace("''", "'")
            node: Callable[[_Evaluator], Any] = lambda ev: literal  # noqa: E731
        elif kind == "num":
            number = int(value)
            node = lambda ev: number  # noqa: E731
        elif kind == "name":
            node = self.call(value)
        else:
            raise self.fail(f"unexpected '{value}'")
        return self.accessors(node)

    def call(self, name: str) -> Callable[[_Evaluator], Any]:
        lowered = name.lower()
        if lowered in ("true", "false") and (self.peek() or ("", ""))[1] != "(":
            flag = lowered == "true"
            return lambda ev: flag
        self.expect("(")
        args: list[Callable[[_Evaluator], Any]] = []
        if (self.peek() or ("", ""))[1] == ")":
            self.take()
        else:
            while True:
                args.append(self.expression())
                _, value = self.take()
                if value == ")":
                    break
                if value != ",":
                    raise self.fail(f"expected ',' or ')' but found '{value}'")
        if lowered not in FUNCTIONS:
            raise TemplateError(
                f"The template function '{name}' is not supported by keyless's ARM template pre-evaluator "
                f"(it resolves {', '.join(sorted(FUNCTIONS))}). Path '{self.where}'."
            )
        impl = FUNCTIONS[lowered]
        return lambda ev: impl(ev, [a(ev) for a in args])

    def accessors(self, node: Callable[[_Evaluator], Any]) -> Callable[[_Evaluator], Any]:
        while (nxt := self.peek()) is not None and nxt[1] in (".", "["):
            self.take()
            if nxt[1] == ".":
                kind, prop = self.take()
                if kind != "name":
                    raise self.fail("expected a property name after '.'")
                node = _member(node, lambda ev, p=prop: p, self.where)
            else:
                index = self.expression()
                self.expect("]")
                node = _member(node, index, self.where)
        return node


def _member(
    target: Callable[[_Evaluator], Any], key: Callable[[_Evaluator], Any], where: str
) -> Callable[[_Evaluator], Any]:
    def get(ev: _Evaluator) -> Any:
        value, k = target(ev), key(ev)
        if isinstance(value, dict) and isinstance(k, str):
            for name, item in value.items():
                if name.lower() == k.lower():
                    return item
        elif isinstance(value, list) and isinstance(k, int) and 0 <= k < len(value):
            return value[k]
        raise TemplateError(f"The language expression property '{k}' doesn't exist. Path '{where}'.")

    return get


class _Evaluator:
    def __init__(self, deployment: Deployment, template: dict[str, Any]) -> None:
        self.deployment = deployment
        self.declared = {k.lower(): v for k, v in (template.get("parameters") or {}).items()}
        self.raw_variables = {k.lower(): v for k, v in (template.get("variables") or {}).items()}
        self.variables: dict[str, Any] = {}
        self.supplied = {k.lower(): v for k, v in deployment.parameters.items()}
        self.resolving: list[str] = []
        self.where = ""

    def parameter(self, name: str) -> Any:
        key = name.lower()
        if key in self.supplied:
            return self.supplied[key]
        declared = self.declared.get(key)
        if declared is None:
            raise TemplateError(f"The template parameter '{name}' is not found. Path '{self.where}'.")
        if "defaultValue" not in declared:
            raise TemplateError(
                f"The value for the template parameter '{name}' is not provided. Please see "
                f"https://aka.ms/arm-create-parameter-file for usage details. Path '{self.where}'."
            )
        return self.resolve(declared["defaultValue"], f"parameters.{name}.defaultValue")

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key in self.variables:
            return self.variables[key]
        if key not in self.raw_variables:
            raise TemplateError(f"The template variable '{name}' is not found. Path '{self.where}'.")
        if key in self.resolving:
            raise TemplateError(f"The template variable '{name}' refers to itself. Path '{self.where}'.")
        self.resolving.append(key)
        try:
            value = self.resolve(self.raw_variables[key], f"variables.{name}")
        finally:
            self.resolving.pop()
        self.variables[key] = value
        return value

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return self.string(value, where)
        if isinstance(value, list):
            return [self.resolve(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return value

    def string(self, text: str, where: str) -> Any:
        if not (text.startswith("[") and text.endswith("]")):
            return text
        if text.startswith("[["):
            return text[1:]
        outer, self.where = self.where, where
        try:
            parser = _Parser(text[1:-1], where)
            node = parser.expression()
            if parser.peek() is not None:
                raise parser.fail("unexpected text after the expression")
            return node(self)
        finally:
            self.where = outer


def _concat(ev: _Evaluator, args: list[Any]) -> Any:
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    return "".join(a if isinstance(a, str) else json.dumps(a) if isinstance(a, (dict, list)) else str(a) for a in args)


def _resource_id(ev: _Evaluator, args: list[Any]) -> str:
    parts = [str(a) for a in args]
    sub, group = ev.deployment.subscription_id, ev.deployment.resource_group
    type_index = next((i for i, p in enumerate(parts) if "/" in p and "." in p.split("/")[0]), None)
    if type_index is None:
        raise TemplateError(
            f"resourceId() needs a resource type such as 'Microsoft.Logic/workflows'. Path '{ev.where}'."
        )
    if type_index == 2:
        sub, group = parts[0], parts[1]
    elif type_index == 1:
        group = parts[0]
    rtype, names = parts[type_index], parts[type_index + 1 :]
    segments = rtype.split("/")
    namespace, types = segments[0], segments[1:]
    if len(types) != len(names):
        raise TemplateError(
            f"resourceId() for type '{rtype}' needs {len(types)} name(s) but got {len(names)}. Path '{ev.where}'."
        )
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{namespace}/{path}"


def _format(ev: _Evaluator, args: list[Any]) -> str:
    template, values = str(args[0]), args[1:]
    return re.sub(r"\{(\d+)\}", lambda m: str(values[int(m.group(1))]), template)


FUNCTIONS: dict[str, Callable[[_Evaluator, list[Any]], Any]] = {
    "parameters": lambda ev, a: ev.parameter(str(a[0])),
    "variables": lambda ev, a: ev.variable(str(a[0])),
    "concat": _concat,
    "resourceid": _resource_id,
    "subscription": lambda ev, a: {
        "id": f"/subscriptions/{ev.deployment.subscription_id}",
        "subscriptionId": ev.deployment.subscription_id,
        "tenantId": ev.deployment.tenant_id,
        "displayName": "keyless",
    },
    "resourcegroup": lambda ev, a: {
        "id": f"/subscriptions/{ev.deployment.subscription_id}/resourceGroups/{ev.deployment.resource_group}",
        "name": ev.deployment.resource_group,
        "location": ev.deployment.location,
    },
    "format": _format,
    "tolower": lambda ev, a: str(a[0]).lower(),
    "toupper": lambda ev, a: str(a[0]).upper(),
    "string": lambda ev, a: a[0] if isinstance(a[0], str) else json.dumps(a[0]),
    "true": lambda ev, a: True,
    "false": lambda ev, a: False,
    "if": lambda ev, a: a[1] if a[0] is True else a[2],
    "equals": lambda ev, a: a[0] == a[1],
}


def resolve_template(
    template: dict[str, Any], deployment: Deployment, *, resource_type: str = "Microsoft.Logic/workflows"
) -> list[dict[str, Any]]:
    """The template's resources of `resource_type`, every template expression in them resolved."""
    if not isinstance(template.get("resources"), list):
        raise TemplateError("The template has no 'resources' array. Path 'resources'.")
    evaluator = _Evaluator(deployment, template)
    found = []
    for i, resource in enumerate(template["resources"]):
        if not isinstance(resource, dict) or str(resource.get("type", "")).lower() != resource_type.lower():
            continue
        found.append(evaluator.resolve(resource, f"resources[{i}]"))
    return found


def parameter_values(parameters_file: dict[str, Any]) -> dict[str, Any]:
    """`{"parameters": {"x": {"value": v}}}` (a deployment parameters file) or `{"x": {"value": v}}` → `{x: v}`."""
    body = parameters_file.get("parameters", parameters_file)
    values: dict[str, Any] = {}
    for name, entry in body.items():
        if name.startswith("$"):
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            raise TemplateError(f"The parameter '{name}' has no 'value'. Path 'parameters.{name}'.")
        values[name] = entry["value"]
    return values
