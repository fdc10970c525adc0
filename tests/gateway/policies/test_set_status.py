"""set-status: status code and reason phrase of the response."""

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

from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies import set_status
from keyless.gateway.policy import PolicyError

SPEC = set_status.SPEC


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<set-status reason="OK" />', "required attribute 'code'"),
        ('<set-status code="abc" />', "not an integer"),
        ('<set-status code="42" />', "out of range"),
        ('<set-status code="200" reason="OK" description="x" />', "'description' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_code_and_reason() -> None:
    st = state("outbound", response=GatewayResponse(200, reason="OK"))
    await run(SPEC, '<set-status code="401" reason="Unexpected nonce" />', st)
    assert st.response is not None
    assert (st.response.status, st.response.reason) == (401, "Unexpected nonce")


async def test_without_reason_the_standard_phrase_and_an_empty_reason_stays_empty() -> None:
    st = state("outbound", response=GatewayResponse(200, reason="OK"))
    await run(SPEC, '<set-status code="302" />', st)
    assert st.response is not None and (st.response.status, st.response.reason) == (302, "Found")
    await run(SPEC, '<set-status code="200" reason="" />', st)
    assert (st.response.status, st.response.reason) == (200, "")


async def test_in_inbound_it_starts_the_response() -> None:
    st = state("inbound")
    await run(SPEC, '<set-status code="404" reason="Not found" />', st)
    assert st.response is not None and st.response.status == 404


async def test_an_expression_that_is_not_a_code_fails() -> None:
    st = state("outbound", response=GatewayResponse(200))
    with pytest.raises(PolicyError):
        await run(SPEC, '<set-status code="@(x)" />', st, expressions={"@(x)": lambda s: "many"})


async def test_through_the_compiler_copies_the_backend_status_expression() -> None:
    plan = compile_real("outbound", '<set-status code="@(context.Response.StatusCode + 1)" reason="Bumped" />')
    response = await run_real(plan, real_state(request()))
    assert (response.status, response.reason) == (201, "Bumped")
