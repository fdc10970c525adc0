"""validate-headers through the real gateway: the backend's response headers against the operation's responses."""

from __future__ import annotations

import json
from typing import Any

from tests.gateway.policies import test_validate_content_gateway as base
from tests.gateway.policies.test_validate_content_gateway import REPORT, Backend, build, document

backend = base.backend  # the shared fixtures
gateway = base.gateway
ORDER = "/shop/orders/7?mode=fast"
INTERNAL = {
    "statusCode": 502,
    "message": "The request could not be processed due to an internal error. Contact the API owner.",
}
# aiohttp's backend adds these to every response.
SERVER = '<header name="Date" action="ignore" /><header name="Server" action="ignore" />'
SERVER += '<header name="Content-Length" action="ignore" />'


def headers_policy(inner: str = SERVER, specified: str = "prevent", unspecified: str = "prevent") -> str:
    return (
        f'<validate-headers specified-header-action="{specified}" unspecified-header-action="{unspecified}" '
        f'errors-variable-name="errs">{inner}</validate-headers>'
    )


async def test_declared_response_headers_pass(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(outbound=headers_policy())))
    status, headers, _ = await call("POST", ORDER, headers={"X-Answer-Header": "X-Rate=5"})
    assert status == 200
    assert headers["X-Rate"] == "5"


async def test_unspecified_and_malformed_headers_answer_502(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(outbound=headers_policy())))
    for header in ("X-Leak=stack", "X-Rate=many"):
        status, _, raw = await call("POST", ORDER, headers={"X-Answer-Header": header})
        assert status == 502, header
        assert json.loads(raw) == INTERNAL
    call = await gateway(build(backend, document(outbound=headers_policy(), on_error=REPORT)))
    _, _, raw = await call("POST", ORDER, headers={"X-Answer-Header": "X-Leak=stack"})
    assert raw.decode() == "validate-headers|Response not allowed|Unspecified header X-Leak is not allowed.|logged"
    _, _, raw = await call("POST", ORDER, headers={"X-Answer-Header": "X-Rate=many"})
    expected = "Value of the header X-Rate couldn't be parsed according to the definition."
    assert raw.decode() == f"validate-headers|Response not allowed|{expected}|logged"


async def test_header_overrides(backend: Backend, gateway: Any) -> None:
    inner = SERVER + '<header name="x-leak" action="ignore" /><header name="X-Rate" action="detect" />'
    call = await gateway(build(backend, document(outbound=headers_policy(inner))))
    status, _, _ = await call("POST", ORDER, headers={"X-Answer-Header": "X-Leak=1"})
    assert status == 200
    status, _, _ = await call("POST", ORDER, headers={"X-Answer-Header": "X-Rate=many"})
    assert status == 200
