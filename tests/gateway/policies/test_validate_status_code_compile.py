"""validate-status-code: what the compiler refuses (naming it) and accepts."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import compile_real

from keyless.gateway.compiler import ValidationError

HEAD = 'unspecified-status-code-action="prevent"'


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<validate-status-code/>", "'unspecified-status-code-action' is missing"),
        ('<validate-status-code unspecified-status-code-action="block"/>', "invalid value 'block'"),
        (
            f'<validate-status-code {HEAD} errors-variable-name="a" error-variable-name="b"/>',
            "Only one of 'errors-variable-name' and 'error-variable-name'",
        ),
        (f'<validate-status-code {HEAD} error-variable-name="@(1)"/>', "not allowed in the 'error-variable-name'"),
        (f'<validate-status-code {HEAD} code="1"/>', "'code' attribute is not declared"),
        (f"<validate-status-code {HEAD}><code/></validate-status-code>", "invalid child element 'code'"),
        (f'<validate-status-code {HEAD}><status-code action="ignore"/></validate-status-code>', "'code' is missing"),
        (f'<validate-status-code {HEAD}><status-code code="200"/></validate-status-code>', "'action' is missing"),
        (
            f'<validate-status-code {HEAD}><status-code code="2xx" action="ignore"/></validate-status-code>',
            "'2xx' is not an integer",
        ),
        (
            f'<validate-status-code {HEAD}><status-code code="600" action="ignore"/></validate-status-code>',
            "out of range",
        ),
        (
            f'<validate-status-code {HEAD}><status-code code="500" action="ignore"/>'
            '<status-code code="500" action="detect"/></validate-status-code>',
            "listed twice",
        ),
        (
            f'<validate-status-code {HEAD}><status-code code="500" action="nope"/></validate-status-code>',
            "'action' attribute has an invalid value",
        ),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_real("outbound", xml)
    assert fragment in str(caught.value)


def test_sections_and_both_variable_spellings() -> None:
    for attr in ("errors-variable-name", "error-variable-name"):
        xml = f'<validate-status-code {HEAD} {attr}="v"><status-code code="500" action="@(&quot;detect&quot;)"/>'
        xml += "</validate-status-code>"
        compile_real("outbound", xml)
        compile_real("on-error", xml)
    with pytest.raises(ValidationError, match="not allowed in the 'inbound' section"):
        compile_real("inbound", f"<validate-status-code {HEAD}/>")
