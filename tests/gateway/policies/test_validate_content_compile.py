"""validate-content and the JSON Schema validator: what the compiler refuses (naming it) and accepts."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import compile_real

from keyless.gateway.compiler import ValidationError
from keyless.gateway.schema_validation import JsonOptions, JsonValidator, SchemaUnsupported

HEAD = 'unspecified-content-type-action="prevent" max-size="100" size-exceeded-action="detect"'
JSON = '<content type="application/json" validate-as="json" action="prevent" />'


def content(inner: str = "", head: str = HEAD) -> str:
    return f"<validate-content {head}>{inner}</validate-content>"


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (content(head='max-size="1" size-exceeded-action="detect"'), "'unspecified-content-type-action' is missing"),
        (content(head=HEAD.replace('max-size="100" ', "")), "'max-size' is missing"),
        (content(head=HEAD.replace(' size-exceeded-action="detect"', "")), "'size-exceeded-action' is missing"),
        (content(head=HEAD.replace("detect", "block")), "'size-exceeded-action' attribute has an invalid value"),
        (content(head=HEAD.replace('"100"', '"ten"')), "'max-size' value 'ten' is not an integer"),
        (content(head=HEAD.replace('"100"', '"4194305"')), "'max-size' value must be between 0 and 4194304"),
        (content(head=HEAD.replace('"100"', '"@(100)"')), "not allowed in the 'max-size' attribute"),
        (content(head=HEAD + ' errors-variable-name="@(1)"'), "not allowed in the 'errors-variable-name'"),
        (content(head=HEAD + ' mode="x"'), "'mode' attribute is not declared"),
        (content("<other/>"), "invalid child element 'other'"),
        (content('<content validate-as="soap" action="prevent" />'), 'does not support validate-as="soap"'),
        (
            content('<content validate-as="xml" action="prevent" schema-id="s" schema-ref="#/a" />'),
            "'schema-ref' attribute is not supported for an XML schema",
        ),
        (
            content('<content validate-as="xml" action="prevent" allow-additional-properties="true" />'),
            "'allow-additional-properties' attribute applies to JSON schemas only",
        ),
        (
            content('<content validate-as="xml" action="prevent" case-insensitive-property-names="true" />'),
            "'case-insensitive-property-names' attribute applies to JSON schemas only",
        ),
        (content('<content validate-as="yaml" action="prevent" />'), "'validate-as' attribute has an invalid value"),
        (content('<content action="prevent" />'), "'validate-as' is missing"),
        (content('<content validate-as="json" />'), "'action' is missing"),
        (content('<content validate-as="json" action="stop" />'), "'action' attribute has an invalid value"),
        (content('<content validate-as="json" action="detect" schema-ref="#/a" />'), "'schema-ref' attribute needs"),
        (
            content('<content validate-as="json" action="detect" schema-id="s" schema-ref="http://x" />'),
            "not a local reference",
        ),
        (content('<content validate-as="json" action="detect" schema-id="" />'), "'schema-id' attribute is empty"),
        (
            content('<content validate-as="json" action="detect" allow-additional-properties="maybe" />'),
            "'allow-additional-properties' attribute has an invalid value",
        ),
        (
            content('<content validate-as="json" action="detect" case-insensitive-property-names="1" />'),
            "'case-insensitive-property-names' attribute has an invalid value",
        ),
        (content('<content validate-as="json" action="detect" size="1" />'), "'size' attribute is not declared"),
        (content("<content-type-map/><content-type-map/>"), "'content-type-map' may appear only once"),
        (content('<content-type-map any="x"/>'), "'any' attribute is not declared"),
        (content('<content-type-map any-content-type-value=""/>'), "'any-content-type-value' attribute is empty"),
        (content('<content-type-map><type from="a/b"/></content-type-map>'), "'to' is missing"),
        (content('<content-type-map><type to="a/b"/></content-type-map>'), "Exactly one of the attributes"),
        (
            content('<content-type-map><type from="a/b" when="@(true)" to="a/b"/></content-type-map>'),
            "Exactly one of the attributes",
        ),
        (content('<content-type-map><type when="true" to="a/b"/></content-type-map>'), "must be a policy expression"),
        (content("<content-type-map><other/></content-type-map>"), "invalid child element 'other'"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_real("inbound", xml)
    assert fragment in str(caught.value)


def test_the_corpus_shape_compiles_in_every_allowed_section() -> None:
    xml = content(
        '<content-type-map any-content-type-value="application/json" '
        'missing-content-type-value="application/octet-stream">'
        '<type from="application/hal+json" to="application/json" /></content-type-map>'
        '<content validate-as="json" action="detect" type="application/json" schema-id="my-schema" '
        'schema-ref="#/components/schemas/a" allow-additional-properties="true" '
        'case-insensitive-property-names="true"/>'
        '<content validate-as="xml" action="prevent" type="application/xml" />',
        head=HEAD + ' errors-variable-name="e"',
    )
    for section in ("inbound", "outbound", "on-error"):
        compile_real(section, xml)
    with pytest.raises(ValidationError, match="not allowed in the 'backend' section"):
        compile_real("backend", xml)


def test_validator_rules() -> None:
    root = {
        "type": "object",
        "properties": {
            "a": {"type": "number", "exclusiveMinimum": True, "minimum": 0, "multipleOf": 0.5},
            "b": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True, "items": {"type": "string"}},
            "c": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "d": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            "e": {"enum": ["x", "y"]},
            "f": {"type": "string", "minLength": 2, "maxLength": 3},
            "g": {"not": {"type": "null"}},
        },
    }
    v = JsonValidator(root)
    assert v.errors({"a": 0.5, "b": ["p"], "c": "s", "d": 1.5, "e": "x", "f": "ab", "g": 1}) == []
    assert v.errors({"a": 0}) == ["Integer 0 equals or is less than exclusive minimum 0. Path 'a'."]
    assert "is not a multiple of 0.5" in v.errors({"a": 0.7})[0]
    assert v.errors({"b": []})[0].startswith("Array item count 0 is less than minimum count of 1")
    assert v.errors({"b": ["p", "p"]}) == ["Non-unique array item. Path 'b'."]
    assert v.errors({"b": [1]}) == ["Invalid type. Expected String but got Integer. Path 'b[0]'."]
    assert v.errors({"c": 1.5})[0].startswith("JSON does not match any schemas from 'anyOf'")
    assert v.errors({"d": 1})[0].startswith("JSON is valid against more than one schema from 'oneOf'")
    assert v.errors({"e": "z"}) == ["Value \"z\" is not defined in enum. Path 'e'."]
    assert v.errors({"f": "abcd"})[0].startswith("String 'abcd' exceeds maximum length of 3")
    assert v.errors({"g": None}) == ["JSON is valid against schema from 'not'. Path 'g'."]
    closed = JsonValidator({"type": "object", "properties": {}, "additionalProperties": False})
    assert closed.errors({"x": 1})[0].startswith("Property 'x' has not been defined")
    assert JsonValidator(closed.root, JsonOptions(additional=True)).errors({"x": 1}) == []
    with pytest.raises(SchemaUnsupported, match="'if'"):
        JsonValidator({"if": {}}).errors(1)
    with pytest.raises(SchemaUnsupported, match="cannot be resolved"):
        JsonValidator({"$ref": "#/nowhere"}).errors(1)
