"""What APIM's validation policies share: actions, the error records they log, the operation's definition
(parameters, headers, representations, status codes, schemas) and a JSON Schema validator for the subset
OpenAPI definitions use (validate-content, validate-parameters, validate-headers, validate-status-code)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.pipeline import gateway_error
from keyless.gateway.policy import CompileContext, PolicyError, Value

ACTIONS = ("ignore", "detect", "prevent")
# The client sees the details only for request problems; anything about a response is hidden (error reference).
INTERNAL = "The request could not be processed due to an internal error. Contact the API owner."
REQUEST_SECTIONS = frozenset({"inbound"})


# ----------------------------------------------------------------------------------------------- compile helpers


def action(element: Element, ctx: CompileContext, name: str, *, required: bool) -> Value | None:
    """An action attribute (`ignore | detect | prevent`); a constant is checked now, an expression per request."""
    raw = element.attrs.get(name)
    if raw is None:
        if required:
            raise ctx.error(element, f"The required attribute '{name}' is missing.", name)
        return None
    if not raw.lstrip().startswith(("@(", "@{")) and raw.strip().lower() not in ACTIONS:
        raise ctx.error(
            element,
            f"The '{name}' attribute has an invalid value '{raw}'; expected one of: {', '.join(ACTIONS)}.",
            name,
        )
    return ctx.value(element, raw, attribute=name)


def variable_name(element: Element, ctx: CompileContext, name: str = "errors-variable-name") -> str | None:
    """The variable errors are logged to; APIM allows no expression here."""
    raw = element.attrs.get(name)
    if raw is None:
        return None
    if raw.lstrip().startswith(("@(", "@{")):
        raise ctx.error(element, f"Policy expressions are not allowed in the '{name}' attribute.", name)
    if not raw.strip():
        raise ctx.error(element, f"The '{name}' attribute is empty.", name)
    return raw.strip()


def run_action(value: Value | None, state: Any, policy: str, name: str, default: str = "ignore") -> str:
    if value is None:
        return default
    got = value.get(state)
    text = "" if got is None else str(got).strip().lower()
    if text not in ACTIONS:
        raise PolicyError(
            policy,
            "InvalidAttributeValue",
            f"The '{name}' attribute has an invalid value '{got}'; expected one of: {', '.join(ACTIONS)}.",
        )
    return text


# ----------------------------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """One validation error as APIM logs it (`Name`, `Type`, `ValidationRule`, `Details`, `Action`)."""

    name: str
    type: str
    rule: str
    details: str
    action: str
    public: str  # what the client is told under `prevent`

    def as_dict(self) -> dict[str, str]:
        return {
            "Name": self.name,
            "Type": self.type,
            "ValidationRule": self.rule,
            "Details": self.details,
            "Action": self.action,
        }


@dataclass
class Findings:
    policy: str
    items: list[Finding] = field(default_factory=list)

    def add(self, action: str, name: str, type_: str, rule: str, details: str, public: str | None = None) -> None:
        if action == "ignore":
            return
        self.items.append(Finding(name, type_, rule, details, action, details if public is None else public))

    def conclude(self, state: Any, variable: str | None) -> None:
        """Log the errors to the variable (appending to one an earlier policy set), then block under `prevent`:
        400 for a request, 502 for a response, with LastError carrying the details."""
        if variable is not None and self.items:
            existing = state.variables.get(variable)
            logged = list(existing) if isinstance(existing, list) else []
            state.variables[variable] = logged + [f.as_dict() for f in self.items]
        for finding in self.items:
            state.trace(self.policy, {"validation": finding.as_dict()})
        blocking = next((f for f in self.items if f.action == "prevent"), None)
        if blocking is None:
            return
        request = state.section in REQUEST_SECTIONS
        status = 400 if request else 502
        state.response = gateway_error(status, blocking.public, "Bad Request" if request else "Bad Gateway")
        raise PolicyError(self.policy, "Bad request" if request else "Response not allowed", blocking.details)


# ----------------------------------------------------------------------------------------------- the definition


def field_of(item: Any, *names: str) -> Any:
    """A field of an ARM-shaped dict or a record with snake_case attributes."""
    for name in names:
        if isinstance(item, Mapping):
            if name in item:
                return item[name]
        elif hasattr(item, name):
            return getattr(item, name)
    return None


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def request_contract(operation: Any) -> Mapping[str, Any]:
    found = field_of(operation, "request")
    return found if isinstance(found, Mapping) else {}


def response_contract(operation: Any, status: int) -> Mapping[str, Any] | None:
    """The operation's response for this status code (None: the status code is not specified)."""
    for response in field_of(operation, "responses") or ():
        code = field_of(response, "statusCode", "status_code")
        try:
            if int(code) == status:
                return response if isinstance(response, Mapping) else {}
        except (TypeError, ValueError):
            continue
    return None


def representations(contract: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return [r for r in (contract or {}).get("representations") or () if isinstance(r, Mapping)]


def schema_document(state: Any, api: str | None, schema_id: str, *, global_scope: bool) -> Mapping[str, Any] | None:
    """The JSON document of a schema: the API's (`apis/{api}/schemas/{id}`) or the service's (`schemas/{id}`)."""
    snapshot = getattr(state, "snapshot", None)
    table = getattr(snapshot, "global_schemas" if global_scope else "api_schemas", None) or {}
    key = schema_id.lower() if global_scope else ((api or "").lower(), schema_id.lower())
    props = table.get(key)
    if not isinstance(props, Mapping):
        return None
    document = props.get("document")
    if isinstance(document, Mapping):
        value = document.get("value")
        if isinstance(value, str):  # a schema stored as text (`document.value`)
            import json

            try:
                parsed = json.loads(value)
            except ValueError:
                return None
            return parsed if isinstance(parsed, Mapping) else None
        return document
    return None


def schema_text(state: Any, api: str | None, schema_id: str, *, global_scope: bool) -> str | None:
    """The text of an XML schema: a service schema's `value` or an API schema's `document.value`."""
    snapshot = getattr(state, "snapshot", None)
    table = getattr(snapshot, "global_schemas" if global_scope else "api_schemas", None) or {}
    props = table.get(schema_id.lower() if global_scope else ((api or "").lower(), schema_id.lower()))
    if not isinstance(props, Mapping):
        return None
    document = props.get("document")
    for candidate in (props.get("value"), document.get("value") if isinstance(document, Mapping) else None):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return None


def xml_problem(schema: str, body: bytes, include: Any) -> str | None:
    """The first XML Schema violation of `body` as `{message} Line: n, Position: m`, or None when it conforms.
    `include(id)` gives the text of a service schema an `xs:include`/`xs:import` names as `/schemas/{id}`;
    nothing is fetched from the network and DTDs/entities are never expanded."""
    from lxml import etree

    class Schemas(etree.Resolver):  # type: ignore[misc]
        def resolve(self, url: str, pubid: str | None, context: Any) -> Any:
            marker = "/schemas/"
            if marker in url:
                text = include(url.rsplit(marker, 1)[1].strip("/"))
                if text is not None:
                    return self.resolve_string(text, context)
            raise SchemaUnsupported(f"The schema location '{url}' cannot be resolved.")

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(Schemas())
    try:
        xsd = etree.XMLSchema(etree.fromstring(schema.encode("utf-8"), parser))
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnsupported(f"The XML schema cannot be read: {exc}") from None
    body_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(body, body_parser)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        # The parser's own log (the exception's may carry earlier errors of the thread).
        errors = list(body_parser.error_log)
        message = str(errors[0].message) if errors else str(exc.msg)
        return f"{message} Line: {line}, Position: {column}"
    if document.getroottree().docinfo.doctype:
        # As .NET's XmlReader does by default: no DTD (and so no entity) in a message.
        return "For security reasons DTD is prohibited in this XML document. Line: 1, Position: 1"
    try:
        if xsd.validate(document):
            return None
    except etree.XMLSchemaValidateError as exc:
        raise SchemaUnsupported(f"The XML schema validation failed: {exc}") from None
    error = xsd.error_log[0]
    return f"{error.message} Line: {error.line}, Position: {error.column}"


def definition(document: Mapping[str, Any], type_name: str) -> Mapping[str, Any] | None:
    """A named definition of an API schema (OpenAPI 3 `components.schemas` or Swagger `definitions`)."""
    for holder in (field_of(document.get("components") or {}, "schemas"), document.get("definitions")):
        if isinstance(holder, Mapping) and isinstance(holder.get(type_name), Mapping):
            return holder[type_name]
    return None


def resolve_pointer(document: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        return None
    node: Any = document
    for part in ref[1:].split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


# ----------------------------------------------------------------------------------------------- JSON Schema


class SchemaUnsupported(Exception):
    """The schema uses something keyless's validator does not implement; the body cannot be validated."""


# Keywords that only describe (no constraint); everything else outside KNOWN makes the schema unsupported.
ANNOTATIONS = frozenset(
    {
        "title", "description", "example", "examples", "default", "format", "readOnly", "writeOnly", "deprecated",
        "xml", "externalDocs", "discriminator", "$schema", "$id", "id", "definitions", "components", "$comment",
        "x-ms-discriminator-value",
    }
)  # fmt: skip
KNOWN = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "pattern", "minimum",
        "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "multipleOf", "allOf", "anyOf", "oneOf", "not", "nullable",
        "$ref",
    }
)  # fmt: skip


@dataclass(frozen=True)
class JsonOptions:
    additional: bool | None = None  # allow-additional-properties: overrides the schema's additionalProperties
    case_insensitive: bool = False  # case-insensitive-property-names


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


class JsonValidator:
    """Validates a parsed JSON value against a schema; messages follow Json.NET Schema's wording."""

    def __init__(self, root: Mapping[str, Any], options: JsonOptions = JsonOptions()) -> None:
        self.root = root
        self.options = options

    def errors(self, value: Any, schema: Mapping[str, Any] | None = None) -> list[str]:
        found: list[str] = []
        self._check(value, self.root if schema is None else schema, "#", found, 0)
        return found

    def _deref(self, schema: Any, depth: int) -> Mapping[str, Any]:
        while isinstance(schema, Mapping) and "$ref" in schema:
            if depth > 64:
                raise SchemaUnsupported("The schema's references are nested too deeply.")
            target = resolve_pointer(self.root, str(schema["$ref"]))
            if not isinstance(target, Mapping):
                raise SchemaUnsupported(f"The schema reference '{schema['$ref']}' cannot be resolved.")
            schema, depth = target, depth + 1
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, Mapping):
            raise SchemaUnsupported("A schema is not a JSON object.")
        return schema

    def _check(self, value: Any, schema: Any, path: str, out: list[str], depth: int) -> None:
        s = self._deref(schema, depth)
        for key in s:
            if key not in KNOWN and key not in ANNOTATIONS and not key.startswith("x-"):
                raise SchemaUnsupported(f"The schema keyword '{key}' is not supported by keyless.")
        actual = _type_of(value)
        if value is None and s.get("nullable") is True:
            return
        wanted = s.get("type")
        if wanted is not None:
            types = [wanted] if isinstance(wanted, str) else list(wanted)
            ok = actual in types or (actual == "integer" and "number" in types)
            if not ok:
                expected = ", ".join(str(t).capitalize() for t in types)
                out.append(f"Invalid type. Expected {expected} but got {actual.capitalize()}. Path '{path}'.")
                return
        if "enum" in s and value not in s["enum"]:
            out.append(f"Value {_json_text(value)} is not defined in enum. Path '{path}'.")
        if "const" in s and value != s["const"]:
            out.append(f"Value {_json_text(value)} does not match const. Path '{path}'.")
        if actual == "string":
            self._string(value, s, path, out)
        elif actual in ("integer", "number"):
            self._number(value, s, path, out)
        elif actual == "array":
            self._array(value, s, path, out, depth)
        elif actual == "object":
            self._object(value, s, path, out, depth)
        for sub in s.get("allOf") or ():
            self._check(value, sub, path, out, depth + 1)
        if "anyOf" in s:
            if not any(not self._quiet(value, sub, path, depth) for sub in s["anyOf"]):
                out.append(f"JSON does not match any schemas from 'anyOf'. Path '{path}'.")
        if "oneOf" in s:
            matches = sum(1 for sub in s["oneOf"] if not self._quiet(value, sub, path, depth))
            if matches == 0:
                out.append(f"JSON does not match any schemas from 'oneOf'. Path '{path}'.")
            elif matches > 1:
                out.append(f"JSON is valid against more than one schema from 'oneOf'. Path '{path}'.")
        if "not" in s and not self._quiet(value, s["not"], path, depth):
            out.append(f"JSON is valid against schema from 'not'. Path '{path}'.")

    def _quiet(self, value: Any, schema: Any, path: str, depth: int) -> list[str]:
        found: list[str] = []
        self._check(value, schema, path, found, depth + 1)
        return found

    @staticmethod
    def _string(value: str, s: Mapping[str, Any], path: str, out: list[str]) -> None:
        length = len(value)
        if "minLength" in s and length < int(s["minLength"]):
            out.append(f"String '{value}' is less than minimum length of {s['minLength']}. Path '{path}'.")
        if "maxLength" in s and length > int(s["maxLength"]):
            out.append(f"String '{value}' exceeds maximum length of {s['maxLength']}. Path '{path}'.")
        if "pattern" in s:
            try:
                matched = re.search(str(s["pattern"]), value) is not None
            except re.error as exc:
                raise SchemaUnsupported(f"The pattern '{s['pattern']}' cannot be compiled: {exc}.") from None
            if not matched:
                out.append(f"String '{value}' does not match regex pattern '{s['pattern']}'. Path '{path}'.")

    @staticmethod
    def _number(value: float, s: Mapping[str, Any], path: str, out: list[str]) -> None:
        minimum, maximum = s.get("minimum"), s.get("maximum")
        ex_min, ex_max = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
        # OpenAPI 3.0 / draft 4: boolean exclusive flags; draft 6+: numbers.
        if isinstance(ex_min, bool):
            ex_min = minimum if ex_min else None
            minimum = None if ex_min is not None else minimum
        if isinstance(ex_max, bool):
            ex_max = maximum if ex_max else None
            maximum = None if ex_max is not None else maximum
        if minimum is not None and value < minimum:
            out.append(f"Integer {_json_text(value)} is less than minimum value of {minimum}. Path '{path}'.")
        if maximum is not None and value > maximum:
            out.append(f"Integer {_json_text(value)} exceeds maximum value of {maximum}. Path '{path}'.")
        if ex_min is not None and value <= ex_min:
            out.append(f"Integer {_json_text(value)} equals or is less than exclusive minimum {ex_min}. Path '{path}'.")
        if ex_max is not None and value >= ex_max:
            out.append(f"Integer {_json_text(value)} equals or exceeds exclusive maximum {ex_max}. Path '{path}'.")
        if "multipleOf" in s:
            step = float(s["multipleOf"])
            if step > 0 and not math.isclose(value / step, round(value / step), abs_tol=1e-9):
                out.append(f"Integer {_json_text(value)} is not a multiple of {s['multipleOf']}. Path '{path}'.")

    def _array(self, value: list[Any], s: Mapping[str, Any], path: str, out: list[str], depth: int) -> None:
        if "minItems" in s and len(value) < int(s["minItems"]):
            out.append(f"Array item count {len(value)} is less than minimum count of {s['minItems']}. Path '{path}'.")
        if "maxItems" in s and len(value) > int(s["maxItems"]):
            out.append(f"Array item count {len(value)} exceeds maximum count of {s['maxItems']}. Path '{path}'.")
        if s.get("uniqueItems") is True:
            seen: list[Any] = []
            for item in value:
                if item in seen:
                    out.append(f"Non-unique array item. Path '{path}'.")
                    break
                seen.append(item)
        items = s.get("items")
        if isinstance(items, list):
            raise SchemaUnsupported("Tuple 'items' (an array of schemas) is not supported by keyless.")
        if items is not None:
            for index, item in enumerate(value):
                self._check(item, items, f"{path}[{index}]", out, depth + 1)

    def _object(self, value: dict[str, Any], s: Mapping[str, Any], path: str, out: list[str], depth: int) -> None:
        properties = s.get("properties") if isinstance(s.get("properties"), Mapping) else {}
        fold = self.options.case_insensitive
        lookup = {k.lower(): k for k in value} if fold else None

        def present(name: str) -> str | None:
            if name in value:
                return name
            return lookup.get(name.lower()) if lookup is not None else None

        missing = [str(r) for r in s.get("required") or () if present(str(r)) is None]
        if missing:
            out.append(f"Required properties are missing from object: {', '.join(missing)}. Path '{path}'.")
        if "minProperties" in s and len(value) < int(s["minProperties"]):
            out.append(f"Object property count {len(value)} is less than minimum count. Path '{path}'.")
        if "maxProperties" in s and len(value) > int(s["maxProperties"]):
            out.append(f"Object property count {len(value)} exceeds maximum count. Path '{path}'.")
        declared = {(k.lower() if fold else k): k for k in properties}
        additional = s.get("additionalProperties")
        if self.options.additional is not None:
            additional = self.options.additional
        for key, item in value.items():
            child = f"{path}.{key}" if path != "#" else key
            name = declared.get(key.lower() if fold else key)
            if name is not None:
                self._check(item, properties[name], child, out, depth + 1)
            elif additional is False:
                out.append(f"Property '{key}' has not been defined and the schema does not allow additional "
                           f"properties. Path '{child}'.")  # fmt: skip
            elif isinstance(additional, Mapping):
                self._check(item, additional, child, out, depth + 1)


# ----------------------------------------------------------------------------------------------- parameter values


def parse_value(text: str, type_name: str) -> Any:
    """A parameter's text as the type its definition declares; ValueError if it cannot be parsed."""
    kind = (type_name or "string").lower()
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", text.strip()):
            raise ValueError(f"'{text}' is not a valid integer.")
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a valid number.") from None
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"'{text}' is not a valid number.")
        return number
    if kind == "boolean":
        if text.strip().lower() not in ("true", "false"):
            raise ValueError(f"'{text}' is not a valid boolean.")
        return text.strip().lower() == "true"
    return text


def value_problems(text: str, contract: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(parse error, conformance error) of one parameter value against its contract (type and `values`)."""
    try:
        parse_value(text, str(contract.get("type") or "string"))
    except ValueError as exc:
        return str(exc), None
    allowed = [str(v) for v in contract.get("values") or ()]
    if allowed and text not in allowed:
        return None, f"Value '{text}' is not one of the allowed values: {', '.join(allowed)}."
    return None, None


def by_name(items: Iterable[Any], *, fold: bool) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if isinstance(item, Mapping) and item.get("name"):
            name = str(item["name"])
            out[name.lower() if fold else name] = item
    return out
