"""validate-content: check a request or response body's size, content type and JSON against the API's definition."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keyless.gateway import schema_validation as sv
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, Value

NAME = "validate-content"
# APIM's documented ceiling for max-size (4 MB since 2024; it was 100 KB before).
MAX_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Mapping_:
    source: str | None  # `from`: a content type
    when: Value | None  # `when`: an expression deciding whether the mapping applies
    to: str


@dataclass(frozen=True)
class Content:
    type: str | None  # None: every content type the API definition specifies
    validate_as: str  # json | xml
    action: Value
    schema_id: str | None
    schema_ref: str | None
    additional: bool | None
    case_insensitive: bool


@dataclass(frozen=True)
class Config:
    unspecified: Value
    max_size: int
    size_action: Value
    variable: str | None
    any_type: str | None
    missing_type: str | None
    mappings: tuple[Mapping_, ...]
    contents: tuple[Content, ...]


def _constant(element: Element, ctx: CompileContext, name: str) -> str | None:
    raw = element.attrs.get(name)
    if raw is not None and t.is_expression(raw):
        raise ctx.error(element, f"Policy expressions are not allowed in the '{name}' attribute.", name)
    return raw


def _flag(element: Element, ctx: CompileContext, name: str) -> bool | None:
    raw = _constant(element, ctx, name)
    if raw is None:
        return None
    if raw.strip().lower() not in ("true", "false"):
        raise ctx.error(element, f"The '{name}' attribute has an invalid value '{raw}'; expected true or false.", name)
    return raw.strip().lower() == "true"


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(
        element,
        ctx,
        ("unspecified-content-type-action", "max-size", "size-exceeded-action", "errors-variable-name"),
    )
    t.check_children(element, ctx, ("content-type-map", "content"))
    t.check_no_text(element, ctx)
    unspecified = sv.action(element, ctx, "unspecified-content-type-action", required=True)
    size_action = sv.action(element, ctx, "size-exceeded-action", required=True)
    assert unspecified is not None and size_action is not None
    raw_size = _constant(element, ctx, "max-size")
    if raw_size is None:
        raise ctx.error(element, "The required attribute 'max-size' is missing.", "max-size")
    try:
        max_size = int(raw_size.strip())
    except ValueError:
        raise ctx.error(element, f"The 'max-size' value '{raw_size}' is not an integer.", "max-size") from None
    if not 0 <= max_size <= MAX_SIZE:
        raise ctx.error(element, f"The 'max-size' value must be between 0 and {MAX_SIZE} bytes.", "max-size")
    any_type = missing_type = None
    mappings: list[Mapping_] = []
    contents: list[Content] = []
    maps = [c for c in element.children if c.name == "content-type-map"]
    if len(maps) > 1:
        raise ctx.error(maps[1], "The element 'content-type-map' may appear only once.")
    for child in element.children:
        if child.name == "content-type-map":
            t.check_attributes(child, ctx, ("any-content-type-value", "missing-content-type-value"))
            t.check_children(child, ctx, ("type",))
            t.check_no_text(child, ctx)
            any_type = _content_type(child, ctx, "any-content-type-value")
            missing_type = _content_type(child, ctx, "missing-content-type-value")
            for item in child.children:
                mappings.append(_mapping(item, ctx))
        else:
            contents.append(_content(child, ctx))
    return Config(
        unspecified,
        max_size,
        size_action,
        sv.variable_name(element, ctx),
        any_type,
        missing_type,
        tuple(mappings),
        tuple(contents),
    )


def _content_type(element: Element, ctx: CompileContext, name: str) -> str | None:
    raw = _constant(element, ctx, name)
    if raw is None:
        return None
    if not raw.strip():
        raise ctx.error(element, f"The '{name}' attribute is empty.", name)
    return sv.media_type(raw)


def _mapping(item: Element, ctx: CompileContext) -> Mapping_:
    t.check_attributes(item, ctx, ("from", "when", "to"))
    t.check_children(item, ctx, ())
    t.check_no_text(item, ctx)
    to = _content_type(item, ctx, "to")
    if to is None:
        raise ctx.error(item, "The required attribute 'to' is missing.", "to")
    has_from, has_when = "from" in item.attrs, "when" in item.attrs
    if has_from == has_when:
        raise ctx.error(item, "Exactly one of the attributes 'from' and 'when' must be set.")
    if has_from:
        return Mapping_(_content_type(item, ctx, "from"), None, to)
    raw = item.attrs["when"]
    if not t.is_expression(raw):
        raise ctx.error(item, "The 'when' attribute must be a policy expression.", "when")
    return Mapping_(None, ctx.value(item, raw, attribute="when"), to)


def _content(item: Element, ctx: CompileContext) -> Content:
    t.check_attributes(
        item,
        ctx,
        (
            "type", "validate-as", "schema-id", "schema-ref", "action", "allow-additional-properties",
            "case-insensitive-property-names",
        ),
    )  # fmt: skip
    t.check_children(item, ctx, ())
    t.check_no_text(item, ctx)
    validate_as = _constant(item, ctx, "validate-as")
    if validate_as is None:
        raise ctx.error(item, "The required attribute 'validate-as' is missing.", "validate-as")
    kind = validate_as.strip().lower()
    if kind == "soap":
        # Extracting the payload from a SOAP envelope and validating it against the WSDL's types is not
        # implemented: refused rather than passed unchecked.
        raise ctx.error(item, 'keyless does not support validate-as="soap" (SOAP envelope validation).', "validate-as")
    if kind not in ("json", "xml"):
        raise ctx.error(
            item, f"The 'validate-as' attribute has an invalid value '{validate_as}'; expected json, xml or soap.",
            "validate-as",
        )  # fmt: skip
    found = sv.action(item, ctx, "action", required=True)
    assert found is not None
    raw_type = _constant(item, ctx, "type")
    schema_id = _constant(item, ctx, "schema-id")
    schema_ref = _constant(item, ctx, "schema-ref")
    if schema_id is not None and not schema_id.strip():
        raise ctx.error(item, "The 'schema-id' attribute is empty.", "schema-id")
    if schema_ref is not None:
        if schema_id is None:
            raise ctx.error(item, "The 'schema-ref' attribute needs 'schema-id'.", "schema-ref")
        if not schema_ref.startswith("#/"):
            raise ctx.error(item, f"The 'schema-ref' value '{schema_ref}' is not a local reference.", "schema-ref")
        if kind == "xml":
            raise ctx.error(item, "The 'schema-ref' attribute is not supported for an XML schema.", "schema-ref")
    if kind == "xml":
        for name in ("allow-additional-properties", "case-insensitive-property-names"):
            if name in item.attrs:
                raise ctx.error(item, f"The '{name}' attribute applies to JSON schemas only.", name)
    return Content(
        sv.media_type(raw_type) or None,
        kind,
        found,
        schema_id.strip() if schema_id else None,
        schema_ref,
        _flag(item, ctx, "allow-additional-properties"),
        bool(_flag(item, ctx, "case-insensitive-property-names")),
    )


def _mapped(cfg: Config, state: Any, incoming: str) -> str:
    """The content type validation uses: a `type` mapping first, then missing/any (content-type-map)."""
    for mapping in cfg.mappings:
        if mapping.source is not None and mapping.source == incoming:
            return mapping.to
        if mapping.when is not None and t.runtime_bool(mapping.when, state, NAME, "when"):
            return mapping.to
    if not incoming and cfg.missing_type:
        return cfg.missing_type
    if cfg.any_type:
        return cfg.any_type
    return incoming


async def run(cfg: Config, state: Any) -> None:
    request = state.section == "inbound"
    message = state.request if request else state.ensure_response()
    type_ = "RequestBody" if request else "ResponseBody"
    who = "request" if request else "response"
    public = (lambda text: text) if request else (lambda text: sv.INTERNAL)
    findings = sv.Findings(NAME)
    body: bytes = message.body or b""
    size = _size(message, body)
    if size > cfg.max_size:
        chosen = sv.run_action(cfg.size_action, state, NAME, "size-exceeded-action")
        limit = cfg.max_size
        details = (
            f"{who.capitalize()}'s body is {size} bytes long and it exceeds the configured limit of {limit} bytes."
        )
        shown = f"Request's body is {size} bytes long and it exceeds the limit of {cfg.max_size} bytes."
        findings.add(chosen, "", type_, "SizeLimit", details, shown if request else sv.INTERNAL)
    incoming = sv.media_type(message.headers.get("Content-Type"))
    if body or incoming:
        content_type = _mapped(cfg, state, incoming)
        contract = sv.request_contract(state.operation) if request else sv.response_contract(
            state.operation, int(message.status)
        )  # fmt: skip
        specified = {sv.media_type(str(r.get("contentType") or "")): r for r in sv.representations(contract)}
        representation = specified.get(content_type)
        if representation is None:
            chosen = sv.run_action(cfg.unspecified, state, NAME, "unspecified-content-type-action")
            details = f"Unspecified content type {content_type} is not allowed."
            findings.add(chosen, content_type, type_, "Unspecified", details, public(details))
        content = next((c for c in cfg.contents if c.type == content_type), None)
        if content is None and representation is not None:
            content = next((c for c in cfg.contents if c.type is None), None)
        if content is not None:
            chosen = sv.run_action(content.action, state, NAME, "action")
            if chosen != "ignore":
                validate = _validate_json if content.validate_as == "json" else _validate_xml
                validate(findings, chosen, state, content, representation, content_type, body, request)
    findings.conclude(state, cfg.variable)


def _size(message: Any, body: bytes) -> int:
    """The body's length: the Content-Length header when there is one (as APIM checks), else the bytes held."""
    declared = message.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit():
        return max(int(declared.strip()), len(body))
    return len(body)


def _validate_json(
    findings: sv.Findings,
    chosen: str,
    state: Any,
    content: Content,
    representation: Mapping[str, Any] | None,
    content_type: str,
    body: bytes,
    request: bool,
) -> None:
    type_ = "RequestBody" if request else "ResponseBody"
    who = "request" if request else "response"
    api = getattr(state.api, "name", None)
    if content.schema_id is not None:
        document = sv.schema_document(state, api, content.schema_id, global_scope=True)
        name = content.schema_ref or content.schema_id
        schema = sv.resolve_pointer(document, content.schema_ref) if document and content.schema_ref else document
    else:
        schema_id = str((representation or {}).get("schemaId") or "")
        name = str((representation or {}).get("typeName") or "")
        if not schema_id or not name:
            return None  # the definition gives this content type no schema: only its type is checked
        document = sv.schema_document(state, api, schema_id, global_scope=False)
        schema = sv.definition(document, name) if document is not None else None
        if document is not None and schema is None:
            details = (
                f"API's schema does not contain definition {name}, which is associated with the content type "
                f"{content_type}."
            )
            findings.add(chosen, content_type, type_, "MissingDefinition", details, sv.INTERNAL)
            return None
    if document is None or not isinstance(schema, Mapping):
        findings.add(
            chosen, "", "ApiSchema", "", "API's schema does not exist or it could not be resolved.", sv.INTERNAL
        )
        return None
    try:
        value = json.loads(body.decode("utf-8-sig"), parse_constant=_not_json) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        details = _nonconforming(who, name, content_type, str(exc))
        findings.add(chosen, content_type, type_, "IncorrectMessage", details, details if request else sv.INTERNAL)
        return None
    validator = sv.JsonValidator(document, sv.JsonOptions(content.additional, content.case_insensitive))
    try:
        errors = validator.errors(value, schema)
    except RecursionError:
        details = f"Body of the {who} cannot be validated for the content type {content_type}. It is nested too deeply."
        findings.add(chosen, "", type_, "ValidationException", details, sv.INTERNAL)
        return None
    except sv.SchemaUnsupported as exc:
        details = f"Body of the {who} cannot be validated for the content type {content_type}. {exc}"
        findings.add(chosen, "", type_, "ValidationException", details, sv.INTERNAL)
        return None
    if errors:
        details = _nonconforming(who, name, content_type, errors[0])
        findings.add(chosen, content_type, type_, "IncorrectMessage", details, details if request else sv.INTERNAL)
    return None


def _validate_xml(
    findings: sv.Findings,
    chosen: str,
    state: Any,
    content: Content,
    representation: Mapping[str, Any] | None,
    content_type: str,
    body: bytes,
    request: bool,
) -> None:
    """XML Schema validation: the service schema `schema-id`, else the API schema of the representation; any
    top-level element of the schema may be the body's root (so the representation's typeName is not needed)."""
    type_ = "RequestBody" if request else "ResponseBody"
    who = "request" if request else "response"
    api = getattr(state.api, "name", None)
    if content.schema_id is not None:
        text, name = sv.schema_text(state, api, content.schema_id, global_scope=True), content.schema_id
    else:
        schema_id = str((representation or {}).get("schemaId") or "")
        if not schema_id:
            return None  # the definition gives this content type no schema: only its type is checked
        name = str((representation or {}).get("typeName") or schema_id)
        text = sv.schema_text(state, api, schema_id, global_scope=False)
    if text is None:
        findings.add(
            chosen, "", "ApiSchema", "", "API's schema does not exist or it could not be resolved.", sv.INTERNAL
        )
        return None
    try:
        problem = sv.xml_problem(text, body, lambda sid: sv.schema_text(state, api, sid, global_scope=True))
    except sv.SchemaUnsupported as exc:
        details = f"Body of the {who} cannot be validated for the content type {content_type}. {exc}"
        findings.add(chosen, "", type_, "ValidationException", details, sv.INTERNAL)
        return None
    if problem is not None:
        details = _nonconforming(who, name, content_type, problem)
        findings.add(chosen, content_type, type_, "IncorrectMessage", details, details if request else sv.INTERNAL)
    return None


def _not_json(constant: str) -> Any:
    # Python's json reads NaN/Infinity; JSON (and APIM's parser) does not.
    raise ValueError(f"Unexpected character encountered while parsing value: {constant[0]}.")


def _nonconforming(who: str, name: str, content_type: str, problem: str) -> str:
    return (
        f"Body of the {who} does not conform to the definition {name}, which is associated with the content type "
        f"{content_type}. {problem}"
    )


SPEC = PolicySpec(NAME, frozenset({"inbound", "outbound", "on-error"}), compile, run)
