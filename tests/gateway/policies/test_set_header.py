"""set-header: compile checks and request/response behaviour (doubles, then keyless's compiler and state)."""

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
from keyless.gateway.policies import set_header
from keyless.gateway.policy_xml import ValidationError

SPEC = set_header.SPEC


def compile_one(xml: str, ctx: Ctx | None = None) -> set_header.Config:
    return SPEC.compile(parse(xml), ctx or Ctx())


@pytest.mark.parametrize(
    ("xml", "attribute", "fragment"),
    [
        ('<set-header exists-action="override"><value>1</value></set-header>', "name", "required attribute 'name'"),
        ('<set-header name="a" exists-action="replace" />', "exists-action", "invalid value 'replace'"),
        ('<set-header name="a" id="x" />', "id", "'id' attribute is not declared"),
        ('<set-header name=" " />', "name", "header name is empty"),
    ],
)
def test_refusals_name_the_attribute(xml: str, attribute: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        compile_one(xml)
    assert err.value.attribute == attribute
    assert fragment in err.value.message


def test_unknown_child_and_text_are_refused() -> None:
    with pytest.raises(CompileRefusal) as err:
        compile_one('<set-header name="a"><values>1</values></set-header>')
    assert err.value.element.name == "values"
    assert "'value'" in err.value.message
    with pytest.raises(CompileRefusal):
        compile_one('<set-header name="a">loose text</set-header>')
    with pytest.raises(CompileRefusal):
        compile_one('<set-header name="a"><value x="1">v</value></set-header>')


async def test_headers_the_gateway_owns_are_left_alone_and_the_trace_says_so() -> None:
    # Azure documents that Server cannot be removed and Connection, Content-Length, Keep-Alive and
    # Transfer-Encoding cannot be modified or deleted; documents using them are accepted (the policy toolkit's
    # own test data deletes Server).
    st = state("outbound", response=GatewayResponse(200, Headers([("Server", "Kestrel"), ("Content-Length", "5")])))
    await run(SPEC, '<set-header name="Server" exists-action="delete" />', st)
    await run(SPEC, '<set-header name="content-length"><value>1</value></set-header>', st)
    await run(SPEC, '<set-header name="Transfer-Encoding" exists-action="delete" />', st)
    assert st.response is not None
    assert st.response.headers.get("Server") == "Kestrel"
    assert st.response.headers.get("Content-Length") == "5"
    assert [source for source, _ in st.traces] == ["set-header"] * 3
    assert "'Server' header is managed by the gateway" in st.traces[0][1]
    await run(SPEC, '<set-header name="Server"><value>keyless</value></set-header>', st)
    assert st.response.headers.get("Server") == "keyless"


async def test_override_is_the_default_and_several_values_join_with_commas() -> None:
    st = state(request=request(headers=[("X-A", "old")]))
    await run(SPEC, '<set-header name="x-a"><value>1</value><value>2</value></set-header>', st)
    assert st.request.headers.values("X-A") == ["1,2"]


async def test_headers_apim_keeps_separate_are_separate_lines() -> None:
    st = state(request=request())
    await run(SPEC, '<set-header name="User-Agent"><value>a, b</value><value>c</value></set-header>', st)
    assert st.request.headers.values("user-agent") == ["a, b", "c"]


async def test_skip_keeps_an_existing_header_and_adds_a_missing_one() -> None:
    st = state(request=request(headers=[("X-A", "old")]))
    xml = '<set-header name="X-A" exists-action="skip"><value>new</value></set-header>'
    await run(SPEC, xml, st)
    assert st.request.headers.get("X-A") == "old"
    await run(SPEC, xml.replace("X-A", "X-B"), st)
    assert st.request.headers.get("X-B") == "new"


async def test_append_adds_to_the_existing_value() -> None:
    st = state(request=request(headers=[("X-A", "1")]))
    await run(SPEC, '<set-header name="X-A" exists-action="append"><value>2</value></set-header>', st)
    assert st.request.headers.values("X-A") == ["1,2"]
    await run(SPEC, '<set-header name="Set-Cookie" exists-action="append"><value>a=1</value></set-header>', st)
    await run(SPEC, '<set-header name="Set-Cookie" exists-action="append"><value>b=2</value></set-header>', st)
    assert st.request.headers.values("Set-Cookie") == ["a=1", "b=2"]


async def test_delete_removes_the_header_in_any_case() -> None:
    st = state(request=request(headers=[("Ocp-Apim-Subscription-Key", "k")]))
    await run(SPEC, '<set-header name="ocp-apim-subscription-key" exists-action="delete" />', st)
    assert "Ocp-Apim-Subscription-Key" not in st.request.headers


async def test_outbound_and_on_error_change_the_response_not_the_request() -> None:
    st = state("outbound", response=GatewayResponse(201, Headers([("X-Powered-By", "x")])))
    await run(SPEC, '<set-header name="X-Powered-By" exists-action="delete" />', st)
    await run(SPEC, '<set-header name="X-Out"><value>o</value></set-header>', st)
    assert st.response is not None
    assert "X-Powered-By" not in st.response.headers
    assert st.response.headers.get("X-Out") == "o"
    assert "X-Out" not in st.request.headers
    err = state("on-error")
    await run(SPEC, '<set-header name="ErrorSource"><value>jwt</value></set-header>', err)
    assert err.response is not None and err.response.status == 200
    assert err.response.headers.get("ErrorSource") == "jwt"


async def test_expressions_in_name_and_values_are_evaluated_per_request() -> None:
    exprs = {"@(context.Name)": lambda s: s.variables["name"], '@(context.Variables["v"])': lambda s: 42}
    st = state(request=request(), variables={"name": "X-Dyn"})
    xml = '<set-header name="@(context.Name)"><value>@(context.Variables["v"])</value><value>b</value></set-header>'
    await run(SPEC, xml, st, expressions=exprs)
    assert st.request.headers.get("X-Dyn") == "42,b"


async def test_expression_values_are_written_as_csharp_tostring() -> None:
    values = {"@(b)": lambda s: True, "@(d)": lambda s: 1e20, "@(f)": lambda s: 0.5, "@(n)": lambda s: None}
    st = state(request=request())
    xml = '<set-header name="X-V">' + "".join(f"<value>@({v})</value>" for v in "bdfn") + "</set-header>"
    await run(SPEC, xml, st, expressions=values)
    assert st.request.headers.get("X-V") == "True,1E+20,0.5,"


async def test_an_empty_name_from_an_expression_fails_the_request() -> None:
    from keyless.gateway.policy import PolicyError

    st = state(request=request())
    with pytest.raises(PolicyError) as err:
        await run(
            SPEC, '<set-header name="@(x)"><value>1</value></set-header>', st, expressions={"@(x)": lambda s: None}
        )
    assert err.value.source == "set-header"


# ----------------------------------------------------------------------------------------------- keyless's compiler


def test_the_real_compiler_reports_the_position_of_a_refused_attribute() -> None:
    with pytest.raises(ValidationError) as err:
        compile_real("inbound", '\n  <set-header name="a" exists-action="nope" />')
    assert err.value.line == 2
    assert "exists-action" in str(err.value)


async def test_through_the_compiler_with_csharp_expressions() -> None:
    plan = compile_real(
        "inbound",
        '<set-header name="X-Method" exists-action="override"><value>@(context.Request.Method)</value></set-header>'
        '<set-header name="Authorization" exists-action="delete" />',
    )
    st = real_state(request(method="PATCH", headers=[("Authorization", "Bearer secret")]))
    response = await run_real(plan, st)
    assert response.headers.get("X-Echo-X-Method") == "PATCH"
    assert "X-Echo-Authorization" not in response.headers


async def test_outbound_through_the_compiler_sets_the_backend_response_header() -> None:
    plan = compile_real("outbound", '<set-header name="X-Out" exists-action="append"><value>2</value></set-header>')
    st = real_state(request())

    def backend(_req: object) -> GatewayResponse:
        return GatewayResponse(200, Headers([("X-Out", "1")]), b"", "OK")

    response = await run_real(plan, st, backend)
    assert response.headers.values("X-Out") == ["1,2"]
