"""find-and-replace: body text replacement on the request or the response."""

from __future__ import annotations

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

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import find_and_replace

SPEC = find_and_replace.SPEC


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<find-and-replace to="b" />', "required attribute 'from'"),
        ('<find-and-replace from="a" />', "required attribute 'to'"),
        ('<find-and-replace from="" to="b" />', "'from' attribute is empty"),
        ('<find-and-replace from="a" to="b" all="true" />', "'all' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_replaces_every_occurrence_in_the_request_body_and_keeps_content_length_true() -> None:
    st = state(request=request(body=b"legacy and legacy", headers=[("Content-Length", "17")]))
    await run(SPEC, '<find-and-replace from="legacy" to="modern" />', st)
    assert st.request.body == b"modern and modern"
    assert st.request.headers.get("Content-Length") == "17"
    await run(SPEC, '<find-and-replace from="and" to="&amp;" />', st)
    assert st.request.body == b"modern & modern"
    assert st.request.headers.get("Content-Length") == "15"


async def test_outbound_changes_the_response_body() -> None:
    st = state("outbound", response=GatewayResponse(200, Headers(), "héllo wörld".encode()))
    await run(SPEC, '<find-and-replace from="wörld" to="world" />', st)
    assert st.response is not None and st.response.body == "héllo world".encode()


async def test_no_body_is_left_alone() -> None:
    st = state(request=request(body=None))
    await run(SPEC, '<find-and-replace from="a" to="b" />', st)
    assert st.request.body is None


async def test_through_the_compiler_on_the_backend_response() -> None:
    plan = compile_real("outbound", '<find-and-replace from="@("x" + "y")" to="Z" />')
    response = await run_real(plan, real_state(request(body=b"xyxy", method="POST")))
    assert response.body == b"ZZ"
