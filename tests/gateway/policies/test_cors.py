"""cors: preflights answered by the gateway (STOP), Access-Control-* headers on matched cross-origin responses,
unmatched requests ended or passed by terminate-unmatched-request, compile-time rules."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.gateway.policies._security_doubles import (
    CompileError,
    Ctx,
    State,
    corpus_file,
    policy_elements,
    run_policy,
    xml,
)

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import cors
from keyless.gateway.policy import STOP

SPEC = cors.SPEC
POLICY = """<cors allow-credentials="true" {extra}>
  <allowed-origins><origin>https://app.contoso.com</origin><origin>http://localhost:3000</origin></allowed-origins>
  <allowed-methods preflight-result-max-age="300"><method>GET</method><method>PUT</method></allowed-methods>
  <allowed-headers><header>Content-Type</header><header>Authorization</header></allowed-headers>
  <expose-headers><header>X-Request-Id</header></expose-headers>
</cors>"""


def compiled(extra: str = "") -> Any:
    return cors.compile_policy(xml(POLICY.format(extra=extra)), Ctx())


def run(cfg: Any, method: str, headers: list[tuple[str, str]]) -> tuple[State, Any, Any]:
    state = State(method=method, headers=headers)
    result, error = asyncio.run(run_policy(SPEC, cfg, state))
    return state, result, error


def preflight(origin: str, method: str = "PUT", headers: str = "content-type,authorization") -> list[tuple[str, str]]:
    found = [("Origin", origin), ("Access-Control-Request-Method", method)]
    return found + ([("Access-Control-Request-Headers", headers)] if headers else [])


def test_preflight_is_answered_by_the_gateway() -> None:
    state, result, error = run(compiled(), "OPTIONS", preflight("https://app.contoso.com"))
    assert error is None and result is STOP
    response = state.response
    assert response is not None and response.status == 200 and response.body == b""
    assert response.headers.as_dict() == {
        "Access-Control-Allow-Origin": ["https://app.contoso.com"],
        "Vary": ["Origin"],
        "Access-Control-Allow-Credentials": ["true"],
        "Access-Control-Allow-Methods": ["PUT"],
        "Access-Control-Allow-Headers": ["content-type,authorization"],
        "Access-Control-Max-Age": ["300"],
    }


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        (preflight("https://evil.example"), "origin 'https://evil.example'"),
        (preflight("https://app.contoso.com", "DELETE"), "method 'DELETE'"),
        (preflight("https://app.contoso.com", headers="x-custom"), "x-custom"),
    ],
)
def test_unmatched_preflight_terminated_or_passed(headers: list[tuple[str, str]], why: str) -> None:
    state, result, error = run(compiled(), "OPTIONS", headers)
    assert error is None and result is STOP
    assert state.response is not None and state.response.status == 200
    assert not [n for n in state.response.headers.names() if n.lower().startswith("access-control")]
    assert why in state.traces[-1][1]["message"]
    state, result, error = run(compiled('terminate-unmatched-request="false"'), "OPTIONS", headers)
    assert error is None and result is None and state.response is None


def test_matched_request_gets_headers_on_the_final_response() -> None:
    state, result, error = run(compiled(), "GET", [("Origin", "http://localhost:3000")])
    assert error is None and result is None and state.response is None
    final = asyncio.run(state.finish(GatewayResponse(201, Headers([("X-Request-Id", "1")]), b"{}", "Created")))
    assert final.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000"
    assert final.headers.get("Access-Control-Allow-Credentials") == "true"
    assert final.headers.get("Access-Control-Expose-Headers") == "X-Request-Id"
    assert final.headers.get("Vary") == "Origin"


def test_unmatched_simple_request() -> None:
    state, result, _ = run(compiled(), "GET", [("Origin", "https://evil.example")])
    assert result is STOP and state.response is not None and state.response.status == 200
    assert state.response.body == b""
    # other methods go on, without CORS headers
    state, result, _ = run(compiled(), "POST", [("Origin", "https://evil.example")])
    assert result is None and state.hooks == []
    state, result, _ = run(compiled('terminate-unmatched-request="false"'), "GET", [("Origin", "https://evil.example")])
    assert result is None and state.hooks == []


def test_no_origin_is_not_cors() -> None:
    state, result, error = run(compiled(), "OPTIONS", [("Access-Control-Request-Method", "PUT")])
    assert (result, error, state.response, state.hooks) == (None, None, None, [])


def test_wildcards_and_default_methods() -> None:
    cfg = cors.compile_policy(
        xml("<cors><allowed-origins><origin>*</origin></allowed-origins></cors>"),
        Ctx(),
    )
    state, result, _ = run(cfg, "OPTIONS", preflight("https://anyone.example", "POST", ""))
    assert result is STOP and state.response is not None
    assert state.response.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Vary" not in state.response.headers and "Access-Control-Max-Age" not in state.response.headers
    state, _, _ = run(cfg, "OPTIONS", preflight("https://anyone.example", "PATCH", ""))
    assert state.response is not None and "Access-Control-Allow-Origin" not in state.response.headers
    everything = corpus_file(
        "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/cors-auth-cert.xml"
    )
    (element,) = policy_elements(everything, "cors")
    cfg = cors.compile_policy(element, Ctx())
    state, result, _ = run(cfg, "OPTIONS", preflight("https://x.example", "PATCH", "x-anything"))
    assert result is STOP and state.response is not None
    assert state.response.headers.get("Access-Control-Allow-Headers") == "x-anything"


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ("<cors/>", "<allowed-origins>"),
        ("<cors allow-credentials='true'><allowed-origins><origin>*</origin></allowed-origins></cors>", "wildcard"),
        ("<cors><allowed-origins/></cors>", "<origin>"),
        ("<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-verbs/></cors>", "<allowed-verbs>"),
        ("<cors allow-credentials='maybe'><allowed-origins><origin>*</origin></allowed-origins></cors>",
         "true or false"),
        ("<cors mode='x'><allowed-origins><origin>*</origin></allowed-origins></cors>", "mode"),
        ("<cors><allowed-origins>*<origin>*</origin></allowed-origins></cors>", "takes no text"),
        ("<cors><allowed-origins><origin>*</origin></allowed-origins>"
         "<allowed-methods preflight-result-max-age='-1'><method>GET</method></allowed-methods></cors>", "between"),
        ("<cors><allowed-origins><origin>@(context.Variables[\"o\"])</origin></allowed-origins></cors>",
         "expressions"),
    ],
)  # fmt: skip
def test_compile_refusals(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        cors.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_corpus_cors_document() -> None:
    path = corpus_file("Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/cors.xml")
    (element,) = policy_elements(path, "cors")
    cfg = cors.compile_policy(element, Ctx())
    assert cfg.allow_credentials and cfg.max_age == 300 and cfg.expose == ("X-Custom-Header",)
    state, result, _ = run(cfg, "OPTIONS", preflight("https://example.com", "POST", "Authorization"))
    assert result is STOP and state.response is not None
    assert state.response.headers.get("Access-Control-Allow-Origin") == "https://example.com"
