"""validate-odata-request: compile refusals, and requests through the real gateway (version, size, query options)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.gateway.policies import test_validate_content_gateway as base
from tests.gateway.policies._transform_doubles import compile_real
from tests.gateway.policies.test_validate_content_gateway import REPORT, Backend, build, document

from keyless.gateway.compiler import ValidationError

backend = base.backend  # the shared fixtures
gateway = base.gateway
ORDER = "/shop/orders/7?mode=fast"


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<validate-odata-request default-odata-version="3.0"/>', "'default-odata-version' value '3.0' is not"),
        ('<validate-odata-request min-odata-version="5"/>', "'min-odata-version' value '5' is not"),
        ('<validate-odata-request max-odata-version="@(x)"/>', "not allowed in the 'max-odata-version'"),
        (
            '<validate-odata-request min-odata-version="4.01" max-odata-version="4.0"/>',
            "'min-odata-version' is greater than 'max-odata-version'",
        ),
        ('<validate-odata-request max-size="-1"/>', "'max-size' value '-1' is not a non-negative integer"),
        ('<validate-odata-request error-variable-name=""/>', "'error-variable-name' attribute is empty"),
        ('<validate-odata-request errors-variable-name="e"/>', "'errors-variable-name' attribute is not declared"),
        ("<validate-odata-request><x/></validate-odata-request>", "invalid child element 'x'"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        compile_real("inbound", xml)
    assert fragment in str(caught.value)


def test_scopes_and_sections() -> None:
    xml = (
        '<validate-odata-request error-variable-name="e" default-odata-version="4.0" min-odata-version="4.0" '
        'max-odata-version="4.01" max-size="100" />'
    )
    for scope in ("global", "product", "api"):
        compile_real("inbound", xml, scope=scope)
    with pytest.raises(ValidationError, match="operation scope"):
        compile_real("inbound", xml, scope="operation")
    with pytest.raises(ValidationError, match="'outbound' section"):
        compile_real("outbound", xml)


POLICY = (
    '<validate-odata-request error-variable-name="errs" min-odata-version="4.0" max-odata-version="4.0" max-size="8" />'
)


@pytest.mark.parametrize(
    ("path", "headers", "body", "message"),
    [
        (ORDER, {"OData-Version": "4.01"}, b"", "OData version 4.01 is higher than the maximum 4.0."),
        (ORDER, {"OData-Version": "x"}, b"", "The OData-Version header value 'x' is not supported."),
        (ORDER, {}, b"123456789", "Request's body is 9 bytes long and it exceeds the limit of 8 bytes."),
        (ORDER + "&$top=-1", {}, b"", "The value '-1' of $top is not a non-negative integer."),
        (ORDER + "&$count=yes", {}, b"", "The value 'yes' of $count is not true or false."),
        (ORDER + "&$bogus=1", {}, b"", "The query option $bogus is not a system query option of OData 4.0."),
        (ORDER + "&$compute=a", {}, b"", "The query option $compute is not a system query option of OData 4.0."),
        (ORDER + "&$top=1&$top=2", {}, b"", "The system query option $top is specified more than once."),
    ],
)
async def test_refused_requests(
    backend: Backend, gateway: Any, path: str, headers: dict[str, str], body: bytes, message: str
) -> None:
    call = await gateway(build(backend, document(POLICY)))
    status, _, raw = await call("POST", path, headers=headers, data=body)
    assert status == 400
    assert json.loads(raw) == {"statusCode": 400, "message": message}
    assert backend.received == []


async def test_valid_requests_reach_the_backend(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(POLICY)))
    path = ORDER + "&$top=5&$skip=0&$count=true&$filter=Name%20eq%20%27a%27&custom=1"
    assert (await call("POST", path, headers={"OData-Version": "4.0"}, data=b"12345678"))[0] == 200
    assert len(backend.received) == 1


async def test_version_401_query_options_and_default(backend: Backend, gateway: Any) -> None:
    policy = '<validate-odata-request default-odata-version="4.01" min-odata-version="4.01" />'
    call = await gateway(build(backend, document(policy)))
    # 4.01: `$` is optional and names fold case; $compute exists.
    assert (await call("POST", ORDER + "&top=2&$Compute=x"))[0] == 200
    status, _, raw = await call("POST", ORDER + "&TOP=x")
    assert (status, json.loads(raw)["message"]) == (400, "The value 'x' of TOP is not a non-negative integer.")
    status, _, raw = await call("POST", ORDER, headers={"OData-Version": "4.0"})
    assert (status, json.loads(raw)["message"]) == (400, "OData version 4.0 is lower than the minimum 4.01.")


async def test_last_error(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(POLICY, on_error=REPORT)))
    _, _, raw = await call("POST", ORDER + "&$top=x")
    assert raw.decode() == (
        "validate-odata-request|Bad request|The value 'x' of $top is not a non-negative integer.|logged"
    )
