"""set-query-parameter: compile checks and what it does to the backend URL's query."""

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

from keyless.gateway.policies import set_query_parameter

SPEC = set_query_parameter.SPEC


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<set-query-parameter><value>1</value></set-query-parameter>", "required attribute 'name'"),
        ('<set-query-parameter name="a" exists-action="add" />', "invalid value 'add'"),
        ('<set-query-parameter name="" />', "name is empty"),
        ('<set-query-parameter name="a" foo="1" />', "'foo' attribute is not declared"),
        ('<set-query-parameter name="a"><val>1</val></set-query-parameter>', "invalid child element 'val'"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


def test_only_inbound_and_backend() -> None:
    assert {"inbound", "backend"} == SPEC.sections


async def test_override_skip_append_delete() -> None:
    st = state(request=request("http://b.test/p?a=1&b=2"))
    await run(SPEC, '<set-query-parameter name="a"><value>x</value><value>y</value></set-query-parameter>', st)
    assert st.request.url.query["a"] == ["x", "y"]
    await run(SPEC, '<set-query-parameter name="b" exists-action="skip"><value>z</value></set-query-parameter>', st)
    assert st.request.url.query["b"] == ["2"]
    await run(SPEC, '<set-query-parameter name="c" exists-action="skip"><value>z</value></set-query-parameter>', st)
    assert st.request.url.query["c"] == ["z"]
    await run(SPEC, '<set-query-parameter name="b" exists-action="append"><value>3</value></set-query-parameter>', st)
    assert st.request.url.query["b"] == ["2", "3"]
    await run(SPEC, '<set-query-parameter name="a" exists-action="delete" />', st)
    assert "a" not in st.request.url.query
    assert str(st.request.url) == "http://b.test/p?b=2&b=3&c=z"


async def test_names_are_case_sensitive_and_values_escaped_on_the_wire() -> None:
    st = state(request=request("http://b.test/p?A=1"))
    await run(SPEC, '<set-query-parameter name="a"><value>x y&amp;z</value></set-query-parameter>', st)
    assert st.request.url.query == {"A": ["1"], "a": ["x y&z"]}
    assert str(st.request.url).endswith("?A=1&a=x%20y%26z")


async def test_through_the_compiler_with_an_expression() -> None:
    plan = compile_real(
        "inbound",
        '<set-query-parameter name="api-version" exists-action="override">'
        '<value>@(context.Request.Headers.GetValueOrDefault("X-V", "2024-01"))</value>'
        "</set-query-parameter>",
    )
    st = real_state(request("http://b.test/p?api-version=1", headers=[("X-V", "2025-02")]))
    response = await run_real(plan, st)
    assert response.headers.get("X-Echo-Url") == "http://b.test/p?api-version=2025-02"
