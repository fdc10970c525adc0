"""rewrite-uri: the operation part of the backend URL from a template (apim.md §7, the rewrite-uri doc examples)."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import (
    Api,
    CompileRefusal,
    Ctx,
    Operation,
    compile_real,
    parse,
    real_state,
    request,
    run,
    run_real,
    state,
)

from keyless.gateway.http_types import Url
from keyless.gateway.policies import rewrite_uri
from keyless.gateway.policy import PolicyError

SPEC = rewrite_uri.SPEC


def api(service_url: str = "http://backend.test/base") -> Api:
    return Api(Url.parse(service_url))


def op(template: str) -> Operation:
    return Operation(template)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<rewrite-uri />", "required attribute 'template'"),
        ('<rewrite-uri template="/a" copy-unmatched-params="yes" />', "invalid value 'yes'"),
        ('<rewrite-uri template="/a/@(x)" />', "whole 'template' value must be an expression"),
        ('<rewrite-uri template="/a/{}" />', "empty '{}' parameter"),
        ('<rewrite-uri template="/a" base="x" />', "'base' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx(expressions={"@(x)": lambda s: "x"}))
    assert fragment in err.value.message


def test_inbound_only() -> None:
    assert frozenset({"inbound"}) == SPEC.sections


async def test_doc_example_unmatched_query_parameters_are_copied_by_default() -> None:
    # incoming /get?a=b&c=d, operation template /get?a={b}, rewrite /put  =>  /put?c=d
    st = state(
        request=request("http://backend.test/base/get?a=b&c=d"),
        api=api(),
        operation=op("/get?a={b}"),
        matched_parameters={"b": "b"},
    )
    await run(SPEC, '<rewrite-uri template="/put" />', st)
    assert str(st.request.url) == "http://backend.test/base/put?c=d"


async def test_doc_example_copy_unmatched_params_false_drops_them() -> None:
    st = state(
        request=request("http://backend.test/base/get?a=b&c=d"),
        api=api(),
        operation=op("/get?a={b}"),
        matched_parameters={"b": "b"},
    )
    await run(SPEC, '<rewrite-uri template="/put" copy-unmatched-params="false" />', st)
    assert str(st.request.url) == "http://backend.test/base/put"


async def test_template_parameters_fill_path_and_query() -> None:
    st = state(
        request=request("http://backend.test/base/15/42?City=x&extra=1"),
        api=api("http://backend.test/base/"),
        operation=op("/{storenumber}/{ordernumber}"),
        matched_parameters={"storenumber": "15", "ordernumber": "a b"},
    )
    xml = '<rewrite-uri template="/v2/US/hardware/{storenumber}&amp;{ordernumber}?City=city&amp;State=state" />'
    await run(SPEC, xml, st)
    assert st.request.url.path == "/base/v2/US/hardware/15&a%20b"
    # City is named by the template, so the incoming value is not copied over it
    assert st.request.url.query == {"City": ["city"], "State": ["state"], "extra": ["1"]}


async def test_relative_template_and_empty_template() -> None:
    st = state(request=request("http://backend.test/base/x?k=1"), api=api(), operation=op("/x"))
    await run(SPEC, '<rewrite-uri template="keys" copy-unmatched-params="true" />', st)
    assert str(st.request.url) == "http://backend.test/base/keys?k=1"
    await run(SPEC, '<rewrite-uri template="" />', st)
    assert str(st.request.url) == "http://backend.test/base?k=1"


async def test_unknown_template_parameter_fails_the_request() -> None:
    st = state(request=request("http://backend.test/base/x"), api=api(), operation=op("/x"))
    with pytest.raises(PolicyError) as err:
        await run(SPEC, '<rewrite-uri template="/y/{id}" />', st)
    assert "'id'" in err.value.message


async def test_after_set_backend_service_the_new_base_is_kept() -> None:
    st = state(
        request=request("http://other.test:8080/v9/get?a=1"),
        api=api(),
        operation=op("/get"),
        backend="http://other.test:8080/v9",
    )
    await run(SPEC, '<rewrite-uri template="/put" />', st)
    assert str(st.request.url) == "http://other.test:8080/v9/put?a=1"


async def test_through_the_compiler_with_an_expression_template() -> None:
    plan = compile_real(
        "inbound",
        '<rewrite-uri template="@{ return &quot;/files/&quot; + '
        'context.Request.MatchedParameters[&quot;name&quot;]; }" copy-unmatched-params="false" />',
    )
    st = real_state(
        request("http://backend.test/base/get/report.txt?sig=1"),
        api=api(),
        operation=op("/get/{name}"),
        matched_parameters={"name": "report.txt"},
    )
    response = await run_real(plan, st)
    assert response.headers.get("X-Echo-Url") == "http://backend.test/base/files/report.txt"
