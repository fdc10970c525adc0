"""check-header: presence, allowed values (any-of, case rule), the configured status and message, LastError."""

from __future__ import annotations

import asyncio

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

from keyless.gateway.policies import check_header

SPEC = check_header.SPEC
POLICY = """<check-header name="X-Api-Secret" failed-check-httpcode="401" failed-check-error-message="Not authorized"
  ignore-case="{case}"><value>Alpha</value><value>Beta</value></check-header>"""


def run(cfg: object, headers: list[tuple[str, str]]) -> tuple[State, object]:
    state = State(headers=headers)
    _, error = asyncio.run(run_policy(SPEC, cfg, state))
    return state, error


@pytest.mark.parametrize(
    ("case", "headers", "reason"),
    [
        ("false", [("X-Api-Secret", "Alpha")], None),
        ("false", [("x-api-secret", "Beta")], None),  # header names are case-insensitive
        ("false", [("X-Api-Secret", "alpha")], "HeaderValueNotAllowed"),
        ("true", [("X-Api-Secret", "ALPHA")], None),
        ("true", [("X-Api-Secret", "Gamma")], "HeaderValueNotAllowed"),
        ("true", [], "HeaderNotFound"),
        ("true", [("X-Api-Secret", "Gamma"), ("X-Api-Secret", "Beta")], None),  # any of the header's values
    ],
)
def test_values(case: str, headers: list[tuple[str, str]], reason: str | None) -> None:
    state, error = run(check_header.compile_policy(xml(POLICY.format(case=case)), Ctx()), headers)
    if reason is None:
        assert error is None and state.response is None
        return
    assert error is not None and (error.source, error.reason) == ("check-header", reason)  # type: ignore[attr-defined]
    assert state.response is not None and state.response.status == 401
    assert state.body() == {"statusCode": 401, "message": "Not authorized"}
    if reason == "HeaderNotFound":
        assert error.message == "Header X-Api-Secret was not found in the request. Access denied."  # type: ignore[attr-defined]
    else:
        value = headers[0][1]
        assert error.message == f"Header X-Api-Secret value of {value} is not allowed. Access denied."  # type: ignore[attr-defined]
        assert value not in str(state.traces)  # the trace does not repeat a (possibly secret) value


def test_without_values_only_presence_is_checked() -> None:
    cfg = check_header.compile_policy(
        xml(
            '<check-header name="X-Id" failed-check-httpcode="400" failed-check-error-message="m" ignore-case="false"/>'
        ),
        Ctx(),
    )
    assert run(cfg, [("X-Id", "anything")])[1] is None
    state, error = run(cfg, [])
    assert error is not None and state.response is not None and state.response.status == 400


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ('<check-header failed-check-httpcode="401" failed-check-error-message="m" ignore-case="true"/>', "'name'"),
        ('<check-header name="a" failed-check-error-message="m" ignore-case="true"/>', "failed-check-httpcode"),
        ('<check-header name="a" failed-check-httpcode="401" ignore-case="true"/>', "failed-check-error-message"),
        ('<check-header name="a" failed-check-httpcode="401" failed-check-error-message="m"/>', "ignore-case"),
        ('<check-header name="a" failed-check-httpcode="x" failed-check-error-message="m" ignore-case="true"/>',
         "integer"),
        ('<check-header name="a" failed-check-httpcode="401" failed-check-error-message="m" ignore-case="yes"/>',
         "true or false"),
        ('<check-header name="a" failed-check-httpcode="401" failed-check-error-message="m" ignore-case="true" '
         'other="1"/>', "other"),
        ('<check-header name="a" failed-check-httpcode="401" failed-check-error-message="m" ignore-case="true">'
         "<val>x</val></check-header>", "<val>"),
    ],
)  # fmt: skip
def test_compile_refusals(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        check_header.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_corpus_document() -> None:
    path = corpus_file("Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/check-header.xml")
    (element,) = policy_elements(path, "check-header")
    cfg = check_header.compile_policy(element, Ctx())
    assert run(cfg, [("Authorization", "bearer TOKEN123")])[1] is None  # ignore-case="true"
    state, error = run(cfg, [("Authorization", "Bearer other")])
    assert error is not None and state.body() == {"statusCode": 401, "message": "Not authorized"}
