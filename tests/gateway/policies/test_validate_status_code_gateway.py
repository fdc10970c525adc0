"""validate-status-code through the real gateway: the backend's status code against the operation's responses."""

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


async def test_status_codes_not_in_the_definition(backend: Backend, gateway: Any) -> None:
    policy = '<validate-status-code unspecified-status-code-action="prevent" errors-variable-name="errs" />'
    call = await gateway(build(backend, document(outbound=policy)))
    assert (await call("POST", ORDER, headers={"X-Answer-Status": "404"}))[0] == 404
    status, _, raw = await call("POST", ORDER, headers={"X-Answer-Status": "500", "X-Answer-Body": "stack trace"})
    assert status == 502
    assert json.loads(raw) == INTERNAL
    call = await gateway(build(backend, document(outbound=policy, on_error=REPORT)))
    _, _, raw = await call("POST", ORDER, headers={"X-Answer-Status": "500"})
    assert raw.decode() == "validate-status-code|Response not allowed|Response status code 500 is not allowed.|logged"


async def test_status_code_overrides(backend: Backend, gateway: Any) -> None:
    policy = (
        '<validate-status-code unspecified-status-code-action="prevent" error-variable-name="errs">'
        '<status-code code="500" action="detect" /><status-code code="200" action="prevent" />'
        "</validate-status-code>"
    )
    outbound = policy + (
        '<set-header name="X-Logged" exists-action="override">'
        '<value>@(context.Variables.ContainsKey("errs") ? "yes" : "no")</value></set-header>'
    )
    call = await gateway(build(backend, document(outbound=outbound)))
    status, headers, _ = await call("POST", ORDER, headers={"X-Answer-Status": "500"})
    assert (status, headers["X-Logged"]) == (500, "yes")
    # 200 is in the definition: its override does not apply.
    status, headers, _ = await call("POST", ORDER)
    assert (status, headers["X-Logged"]) == (200, "no")
    assert (await call("POST", ORDER, headers={"X-Answer-Status": "418"}))[0] == 502


async def test_actions_from_expressions(backend: Backend, gateway: Any) -> None:
    policy = (
        '<validate-status-code unspecified-status-code-action="@(context.Request.Headers.GetValueOrDefault('
        '&quot;X-Mode&quot;, &quot;prevent&quot;))" />'
    )
    call = await gateway(build(backend, document(outbound=policy, on_error=REPORT)))
    assert (await call("POST", ORDER, headers={"X-Answer-Status": "418", "X-Mode": "ignore"}))[0] == 418
    _, _, raw = await call("POST", ORDER, headers={"X-Answer-Status": "418"})
    assert raw.decode().startswith("validate-status-code|Response not allowed|")
    _, _, raw = await call("POST", ORDER, headers={"X-Answer-Status": "418", "X-Mode": "stop"})
    expected = "validate-status-code|InvalidAttributeValue|The 'unspecified-status-code-action' attribute has"
    assert raw.decode().startswith(expected)
