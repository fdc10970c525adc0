"""validate-parameters and validate-headers: what the compiler refuses (naming it) and accepts."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import compile_real

from keyless.gateway.compiler import ValidationError

HEAD = 'specified-parameter-action="prevent" unspecified-parameter-action="detect"'


def params(inner: str = "", head: str = HEAD) -> str:
    return f"<validate-parameters {head}>{inner}</validate-parameters>"


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        (params(head='unspecified-parameter-action="detect"'), "'specified-parameter-action' is missing"),
        (params(head='specified-parameter-action="detect"'), "'unspecified-parameter-action' is missing"),
        (params(head=HEAD.replace("prevent", "deny")), "'specified-parameter-action' attribute has an invalid value"),
        (params(head=HEAD + ' errors-variable-name="@(1)"'), "not allowed in the 'errors-variable-name'"),
        (params(head=HEAD + ' other="1"'), "'other' attribute is not declared"),
        (params("<cookies/>"), "invalid child element 'cookies'"),
        (params("<query/><query/>"), "'query' may appear only once"),
        (params('<path unspecified-parameter-action="prevent"/>'), "'unspecified-parameter-action' attribute is not"),
        (params('<headers specified-parameter-action="x"/>'), "'specified-parameter-action' attribute has an invalid"),
        (params("<headers><param/></headers>"), "invalid child element 'param'"),
        (params('<query><parameter action="ignore"/></query>'), "'name' is missing"),
        (params('<query><parameter name="a"/></query>'), "'action' is missing"),
        (params('<query><parameter name="a" action="skip"/></query>'), "'action' attribute has an invalid value"),
        (
            params('<headers><parameter name="A" action="ignore"/><parameter name="a" action="ignore"/></headers>'),
            "listed twice",
        ),
        (params('<query><parameter name="@(1)" action="ignore"/></query>'), "must be a parameter name"),
    ],
)
def test_parameters_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_real("inbound", xml)
    assert fragment in str(caught.value)


def test_parameters_accepts_every_attribute_and_child_once_per_section() -> None:
    xml = params(
        '<headers specified-parameter-action="detect" unspecified-parameter-action="ignore">'
        '<parameter name="Authorization" action="prevent"/></headers>'
        '<query specified-parameter-action="@(&quot;detect&quot;)" unspecified-parameter-action="prevent">'
        '<parameter name="a" action="ignore"/></query>'
        '<path specified-parameter-action="prevent"><parameter name="id" action="detect"/></path>',
        head=HEAD + ' errors-variable-name="errs"',
    )
    compile_real("inbound", xml)
    with pytest.raises(ValidationError, match="once"):
        compile_real("inbound", xml + xml)
    with pytest.raises(ValidationError, match="not allowed in the 'outbound' section"):
        compile_real("outbound", xml)


HHEAD = 'specified-header-action="prevent" unspecified-header-action="detect"'


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<validate-headers unspecified-header-action="detect"/>', "'specified-header-action' is missing"),
        ('<validate-headers specified-header-action="detect"/>', "'unspecified-header-action' is missing"),
        (f'<validate-headers {HHEAD} errors-variable-name=""/>', "'errors-variable-name' attribute is empty"),
        (f"<validate-headers {HHEAD}><parameter/></validate-headers>", "invalid child element 'parameter'"),
        (f'<validate-headers {HHEAD}><header action="ignore"/></validate-headers>', "'name' is missing"),
        (f'<validate-headers {HHEAD}><header name="a"/></validate-headers>', "'action' is missing"),
        (f'<validate-headers {HHEAD}><header name="a" action="x"/></validate-headers>', "invalid value"),
        (f'<validate-headers {HHEAD} x="1"/>', "'x' attribute is not declared"),
    ],
)
def test_headers_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_real("outbound", xml)
    assert fragment in str(caught.value)


def test_headers_sections() -> None:
    xml = f'<validate-headers {HHEAD} errors-variable-name="e"><header name="a" action="ignore"/></validate-headers>'
    compile_real("outbound", xml)
    compile_real("on-error", xml)
    with pytest.raises(ValidationError, match="not allowed in the 'inbound' section"):
        compile_real("inbound", xml)
