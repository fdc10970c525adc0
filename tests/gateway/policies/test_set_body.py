"""set-body: text, expressions and Liquid templates on the request or the response."""

from __future__ import annotations

import json

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
from keyless.gateway.policies import set_body
from keyless.gateway.policy import PolicyError
from keyless.gateway.policy_xml import ValidationError

SPEC = set_body.SPEC
JSON = [("Content-Type", "application/json")]


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<set-body template="handlebars">x</set-body>', "invalid value 'handlebars'"),
        ('<set-body template="liquid" xsi-nil="empty">x</set-body>', "invalid value 'empty'"),
        ('<set-body template="liquid" parse-date="sometimes">x</set-body>', "invalid value 'sometimes'"),
        ('<set-body xsi-nil="null">x</set-body>', "applies only with template"),
        ('<set-body template="@(t)">x</set-body>', "not allowed in the 'template'"),
        ('<set-body template="liquid">{{ body.a | upcase }}</set-body>', "unknown filter 'upcase'"),
        ('<set-body template="liquid">{{ body.a | Currency }}</set-body>', "unknown filter 'Currency'"),
        ('<set-body template="liquid">{% include "x" %}</set-body>', "unknown tag 'include'"),
        ('<set-body template="liquid">{% if body.a %}open</set-body>', "missing '{% endif %}'"),
        ('<set-body encoding="utf-8">x</set-body>', "'encoding' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_literal_text_on_the_request_and_the_response() -> None:
    st = state(request=request(body=b"old", headers=[("Content-Length", "3")]))
    await run(SPEC, "<set-body>Hello world!</set-body>", st)
    assert st.request.body == b"Hello world!"
    assert st.request.headers.get("Content-Length") == "12"
    out = state("outbound", response=GatewayResponse(200, Headers(), b"backend"))
    await run(SPEC, "<set-body />", out)
    assert out.response is not None and out.response.body == b""


async def test_expression_values_become_the_body() -> None:
    class JObject:
        def __str__(self) -> str:  # the C# ToString() of a JObject
            return '{\n  "a": 1\n}'

    for value, expected in (("text", b"text"), (b"\x00\x01", b"\x00\x01"), (JObject(), b'{\n  "a": 1\n}'), (None, b"")):
        st = state("outbound", response=GatewayResponse(200))
        await run(SPEC, "<set-body>@(v)</set-body>", st, expressions={"@(v)": lambda s, v=value: v})
        assert st.response is not None and st.response.body == expected


async def test_liquid_doc_example_transform_json() -> None:
    body = {"customer": {"purchase": {"identifier": "A-1", "orderShortDesc": "two books"}}}
    st = state(request=request(body=json.dumps(body).encode(), headers=JSON))
    template = (
        '{"order": {"id": "{{body.customer.purchase.identifier}}", '
        '"summary": "{{body.customer.purchase.orderShortDesc}}"}}'
    )
    await run(SPEC, f'<set-body template="liquid">{template}</set-body>', st)
    assert json.loads(st.request.body or b"") == {"order": {"id": "A-1", "summary": "two books"}}


async def test_liquid_control_flow_filters_and_loops() -> None:
    body = {"items": [{"n": "a", "p": 2}, {"n": "b", "p": 5}], "who": "ann", "vip": True}
    st = state("outbound", response=GatewayResponse(200, Headers(JSON), json.dumps(body).encode()))
    template = (
        "{% if body.vip and body.items.size > 1 %}VIP {{ body.who | Capitalize }}{% else %}guest{% endif %}:"
        "{% for i in body.items %}{{ forloop.index }}={{ i.n | Upcase }}/{{ i.p | Times: 10 }}"
        "{% unless forloop.last %},{% endunless %}{% endfor %}"
        "{%- assign total = body.items | Map: 'p' | Join: '+' -%} [{{ total }}]"
    )
    await run(SPEC, f'<set-body template="liquid">{template}</set-body>', st)
    assert st.response is not None and st.response.body == b"VIP Ann:1=A/20,2=B/50[2+5]"


async def test_liquid_parse_date_and_the_date_filter() -> None:
    body = json.dumps({"at": "2024-03-05T07:08:09Z"}).encode()
    template = "{{ body.at }}|{{ body.at | Date: 'yyyyMMddTHH:mm:ssZ' }}"
    parsed = state(request=request(body=body, headers=JSON))
    await run(SPEC, f'<set-body template="liquid">{template}</set-body>', parsed)
    assert parsed.request.body == b"03/05/2024 07:08:09|20240305T07:08:09Z"
    raw = state(request=request(body=body, headers=JSON))
    await run(SPEC, f'<set-body template="liquid" parse-date="false">{template}</set-body>', raw)
    assert raw.request.body == b"2024-03-05T07:08:09Z|20240305T07:08:09Z"


async def test_liquid_reads_xml_bodies_by_local_name_and_xsi_nil() -> None:
    soap = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body><AddResponse>'
        b'<AddResult>5</AddResult><Note xsi:nil="true" /></AddResponse></soap:Body></soap:Envelope>'
    )
    template = (
        '{"addResult": {{body.envelope.body.AddResponse.AddResult}}, '
        '"nil": {% if body.envelope.body.AddResponse.Note == nil %}true{% else %}false{% endif %}}'
    )
    for nil, expected in (("blank", False), ("null", True)):
        st = state("outbound", response=GatewayResponse(200, Headers([("Content-Type", "text/xml")]), soap))
        await run(SPEC, f'<set-body template="liquid" xsi-nil="{nil}">{template}</set-body>', st)
        assert st.response is not None
        assert json.loads(st.response.body) == {"addResult": 5, "nil": expected}


async def test_liquid_without_a_json_or_xml_content_type_sees_no_body() -> None:
    st = state(request=request(body=b'{"a": 1}', headers=[("Content-Type", "text/plain")]))
    await run(SPEC, '<set-body template="liquid">[{{ body.a }}]</set-body>', st)
    assert st.request.body == b"[]"


async def test_liquid_on_an_invalid_json_body_fails_the_request() -> None:
    st = state(request=request(body=b"{no", headers=JSON))
    with pytest.raises(PolicyError) as err:
        await run(SPEC, '<set-body template="liquid">{{ body.a }}</set-body>', st)
    assert err.value.source == "set-body"


# ----------------------------------------------------------------------------------------------- keyless's compiler


async def test_liquid_soap_envelope_from_markup_through_the_compiler() -> None:
    # the set-body doc's "Convert JSON to SOAP" example: the template is XML markup inside <set-body>
    plan = compile_real(
        "inbound",
        '<set-body template="liquid">'
        '<soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soap:Body><GetOpenOrders><cust>{{body.getOpenOrders.cust}}</cust></GetOpenOrders></soap:Body>"
        "</soap:Envelope></set-body>",
    )
    st = real_state(request(method="POST", body=b'{"getOpenOrders": {"cust": "c&42"}}', headers=JSON))
    response = await run_real(plan, st)
    assert response.body == (
        b'<soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soap:Body><GetOpenOrders><cust>c&42</cust></GetOpenOrders></soap:Body></soap:Envelope>"
    )


async def test_liquid_context_through_the_compiler() -> None:
    plan = compile_real(
        "inbound",
        '<set-variable name="who" value="ann" />'
        '<set-body template="liquid">{"email": "{{context.Request.MatchedParameters["emailAddress"]}}", '
        '"who": "{{ context.Variables["who"] }}", "method": "{{context.Request.Method}}"}'
        "{% for header in context.Request.Headers %}{% if header.Key == 'X-A' %}|{{ header.Value }}{% endif %}"
        "{% endfor %}</set-body>",
    )
    st = real_state(request(method="POST", headers=[("X-A", "1")]), matched_parameters={"emailAddress": "a@b.c"})
    response = await run_real(plan, st)
    assert response.body == b'{"email": "a@b.c", "who": "ann", "method": "POST"}|1'


async def test_expression_body_through_the_compiler() -> None:
    plan = compile_real(
        "outbound", '<set-body>@("status " + context.Response.StatusCode + " for " + context.Request.Method)</set-body>'
    )
    response = await run_real(plan, real_state(request(method="POST", body=b"shout")))
    assert response.body == b"status 200 for POST"


def test_the_compiler_reports_liquid_errors_at_the_element() -> None:
    with pytest.raises(ValidationError) as err:
        compile_real("inbound", '\n\n<set-body template="liquid">{{ x | NoSuch }}</set-body>')
    assert err.value.line == 3
    assert "NoSuch" in str(err.value)


def test_text_whose_place_among_xml_elements_matters_is_refused() -> None:
    for inner in ("{% if body.a %}<a />{% else %}<b />{% endif %}", "{{ body.a }}<a />", "hello <b>x</b>"):
        with pytest.raises(ValidationError) as err:
            compile_real("inbound", f'<set-body template="liquid">{inner}</set-body>')
        assert "where the text stands" in str(err.value)


async def test_assign_before_markup_through_the_compiler() -> None:
    # the corpus snippet "Extracting multiple values from xml documents"
    plan = compile_real(
        "outbound",
        '<set-variable name="n" value="7" />'
        '<set-body template="liquid">\n  {%- assign n = context.Variables["n"] -%}\n'
        '  <message3><data val1="{{ n }}" val3="{{ n | Plus: 1 }}" /></message3>\n</set-body>',
    )
    response = await run_real(plan, real_state(request()))
    assert response.body == b'<message3><data val1="7" val3="8" /></message3>'


async def test_return_response_children_build_its_response_through_the_compiler() -> None:
    plan = compile_real(
        "inbound",
        "<return-response>"
        '<set-status code="410" reason="Gone" />'
        '<set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>'
        '<set-body>{"gone": true}</set-body>'
        "</return-response>",
    )
    st = real_state(request(method="POST", body=b"original"))
    response = await run_real(plan, st)
    assert (response.status, response.reason, response.body) == (410, "Gone", b'{"gone": true}')
    assert response.headers.get("Content-Type") == "application/json"
    assert st.request.body == b"original"
