"""mock-response: the operation's example for a status code and content type, without the backend."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from tests.gateway.policies._transform_doubles import (
    CompileRefusal,
    Ctx,
    compile_real,
    parse,
    real_state,
    request,
    run,
    run_real,
    state,
)

from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies import mock_response
from keyless.gateway.policy import STOP

SPEC = mock_response.SPEC


@dataclass
class Operation:
    """An operation with ARM-shaped `responses` (OperationContract)."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    url_template: str = "/items"


OPERATION = Operation(
    [
        {
            "statusCode": 200,
            "representations": [
                {"contentType": "application/xml", "sample": "<items><item>1</item></items>"},
                {"contentType": "application/json", "examples": {"default": {"value": {"items": [1, 2]}}}},
            ],
        },
        {"statusCode": 404, "representations": [{"contentType": "text/plain", "examples": {"nf": {"value": "gone"}}}]},
        {"statusCode": 204, "representations": []},
    ]
)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<mock-response status-code="ok" />', "not an integer"),
        ('<mock-response status-code="1000" />', "out of range"),
        ('<mock-response status-code="@(200)" />', "not allowed in the 'status-code'"),
        ('<mock-response content-type="" />', "'content-type' attribute is empty"),
        ('<mock-response schema="x" />', "'schema' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


def test_defaults_to_200_without_content_type() -> None:
    cfg = SPEC.compile(parse("<mock-response />"), Ctx())
    assert (cfg.status, cfg.content_type) == (200, None)
    assert frozenset({"inbound", "outbound", "on-error"}) == SPEC.sections


async def test_the_example_for_the_content_type_and_stop() -> None:
    st = state(operation=OPERATION)
    result = await run(SPEC, '<mock-response status-code="200" content-type="application/json" />', st)
    assert result is STOP
    assert st.response is not None
    assert st.response.status == 200
    assert st.response.headers.get("Content-Type") == "application/json"
    assert json.loads(st.response.body) == {"items": [1, 2]}


async def test_without_content_type_the_first_representation() -> None:
    st = state(operation=OPERATION)
    await run(SPEC, "<mock-response />", st)
    assert st.response is not None
    assert st.response.headers.get("Content-Type") == "application/xml"
    assert st.response.body == b"<items><item>1</item></items>"


async def test_another_status_and_string_examples() -> None:
    st = state(operation=OPERATION)
    await run(SPEC, '<mock-response status-code="404" />', st)
    assert st.response is not None
    assert (st.response.status, st.response.reason, st.response.body) == (404, "Not Found", b"gone")


async def test_no_example_means_an_empty_body_with_the_status() -> None:
    for status, operation in ((204, OPERATION), (500, OPERATION), (200, None)):
        st = state(operation=operation)
        await run(SPEC, f'<mock-response status-code="{status}" content-type="application/json" />', st)
        assert st.response is not None
        assert (st.response.status, st.response.body) == (status, b"")
        assert st.response.headers.get("Content-Type") == "application/json"


async def test_in_outbound_it_replaces_the_backend_response() -> None:
    st = state("outbound", operation=OPERATION, response=GatewayResponse(500, body=b"boom"))
    await run(SPEC, '<mock-response status-code="404" content-type="text/plain" />', st)
    assert st.response is not None and st.response.body == b"gone"


async def test_through_the_compiler_the_backend_is_never_called() -> None:
    plan = compile_real("inbound", '<mock-response status-code="200" content-type="application/json" />')
    called: list[object] = []

    def backend(req: object) -> GatewayResponse:
        called.append(req)
        return GatewayResponse(599)

    response = await run_real(plan, real_state(request(), operation=OPERATION), backend)
    assert called == []
    assert json.loads(response.body) == {"items": [1, 2]}
