"""set-method: the method of the request sent to the backend."""

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

from keyless.gateway.policies import set_method
from keyless.gateway.policy import PolicyError

SPEC = set_method.SPEC


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<set-method />", "requires a method"),
        ("<set-method>GET POST</set-method>", "not a valid HTTP method"),
        ('<set-method verb="x">GET</set-method>', "'verb' attribute is not declared"),
        ("<set-method><value>GET</value></set-method>", "invalid child element 'value'"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_sets_the_method_as_written() -> None:
    st = state(request=request(method="GET"))
    await run(SPEC, "<set-method>PUT</set-method>", st)
    assert st.request.method == "PUT"


async def test_an_expression_yielding_no_method_fails_the_request() -> None:
    st = state(request=request())
    with pytest.raises(PolicyError) as err:
        await run(SPEC, "<set-method>@(x)</set-method>", st, expressions={"@(x)": lambda s: ""})
    assert err.value.source == "set-method"


async def test_through_the_compiler() -> None:
    plan = compile_real("inbound", '<set-method>@(context.Request.Method == "GET" ? "POST" : "DELETE")</set-method>')
    response = await run_real(plan, real_state(request(method="GET")))
    assert response.headers.get("X-Echo-Method") == "POST"
