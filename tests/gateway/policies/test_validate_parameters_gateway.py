"""validate-parameters through the real gateway: headers, query and path parameters against the operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.gateway.policies import test_validate_content_gateway as base
from tests.gateway.policies.test_validate_content_gateway import REPORT, Backend, build, document

backend = base.backend  # the shared fixtures
gateway = base.gateway
IGNORE_HEADERS = '<headers specified-parameter-action="prevent" unspecified-parameter-action="ignore" />'


def policy(inner: str = IGNORE_HEADERS, specified: str = "prevent", unspecified: str = "prevent") -> str:
    return (
        f'<validate-parameters specified-parameter-action="{specified}" unspecified-parameter-action="{unspecified}" '
        f'errors-variable-name="errs">{inner}</validate-parameters>'
    )


async def test_declared_parameters_pass(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(policy())))
    status, _, _ = await call("POST", "/shop/orders/7?mode=fast&limit=3", headers={"X-Trace": "true"})
    assert status == 200
    assert backend.received[-1]["path"] == "/svc/orders/7?mode=fast&limit=3"


@pytest.mark.parametrize(
    ("path", "headers", "message"),
    [
        ("/shop/orders/7?mode=fast&other=1", {}, "Unspecified query parameter other is not allowed."),
        (
            "/shop/orders/7?mode=fast&limit=x",
            {},
            "Value of the query parameter limit couldn't be parsed according to the definition. "
            "'x' is not a valid integer.",
        ),
        (
            "/shop/orders/7?mode=fast&limit=1&limit=2",
            {},
            "Request cannot contain multiple values for the query parameter limit.",
        ),
        (
            "/shop/orders/7?mode=medium",
            {},
            "The value of the query parameter mode does not conform to the definition. "
            "Value 'medium' is not one of the allowed values: fast, slow.",
        ),
        (
            "/shop/orders/seven?mode=fast",
            {},
            "Value of the path parameter shop couldn't be parsed according to the definition. "
            "'seven' is not a valid integer.",
        ),
        (
            "/shop/orders/7?mode=fast",
            {"X-Trace": "maybe"},
            "Value of the header X-Trace couldn't be parsed according to the definition. "
            "'maybe' is not a valid boolean.",
        ),
    ],
)
async def test_prevent_answers_400(
    backend: Backend, gateway: Any, path: str, headers: dict[str, str], message: str
) -> None:
    call = await gateway(build(backend, document(policy())))
    status, _, raw = await call("POST", path, headers=headers)
    assert status == 400
    assert json.loads(raw) == {"statusCode": 400, "message": message}
    assert backend.received == []


async def test_unspecified_headers_and_overrides(backend: Backend, gateway: Any) -> None:
    # Every header the client sends counts: with `prevent` for unspecified headers only named exceptions pass.
    call = await gateway(build(backend, document(policy(""))))
    status, _, raw = await call("POST", "/shop/orders/7?mode=fast")
    assert status == 400
    assert json.loads(raw)["message"].startswith("Unspecified header ")
    inner = '<headers unspecified-parameter-action="detect"><parameter name="X-Secret" action="prevent" /></headers>'
    call = await gateway(build(backend, document(policy(inner))))
    assert (await call("POST", "/shop/orders/7?mode=fast"))[0] == 200
    status, _, raw = await call("POST", "/shop/orders/7?mode=fast", headers={"x-secret": "1"})
    assert status == 400
    assert json.loads(raw)["message"] == "Unspecified header x-secret is not allowed."


async def test_query_and_path_group_actions(backend: Backend, gateway: Any) -> None:
    inner = (
        IGNORE_HEADERS + '<query specified-parameter-action="ignore" unspecified-parameter-action="detect">'
        '<parameter name="debug" action="prevent" /></query><path specified-parameter-action="ignore" />'
    )
    call = await gateway(build(backend, document(policy(inner))))
    # specified query and path values are not checked, unspecified ones only logged...
    assert (await call("POST", "/shop/orders/seven?mode=medium&limit=x&other=1"))[0] == 200
    # ...except the one named parameter.
    status, _, raw = await call("POST", "/shop/orders/7?mode=fast&debug=1")
    assert status == 400
    assert json.loads(raw)["message"] == "Unspecified query parameter debug is not allowed."


async def test_detect_logs_and_last_error(backend: Backend, gateway: Any) -> None:
    outbound = (
        '<set-header name="X-Logged" exists-action="override">'
        '<value>@(context.Variables.ContainsKey("errs") ? "yes" : "no")</value></set-header>'
    )
    call = await gateway(build(backend, document(policy(IGNORE_HEADERS, unspecified="detect"), outbound=outbound)))
    status, headers, _ = await call("POST", "/shop/orders/7?mode=fast&other=1")
    assert (status, headers["X-Logged"]) == (200, "yes")
    status, headers, _ = await call("POST", "/shop/orders/7?mode=fast")
    assert (status, headers["X-Logged"]) == (200, "no")
    call = await gateway(build(backend, document(policy(), on_error=REPORT)))
    _, _, raw = await call("POST", "/shop/orders/7?mode=fast&other=1")
    assert raw.decode() == "validate-parameters|Bad request|Unspecified query parameter other is not allowed.|logged"


async def test_the_subscription_key_is_not_an_api_parameter(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(policy())))
    status, _, _ = await call("POST", "/shop/orders/7?mode=fast&subscription-key=k-validate", headers={})
    assert status == 200
