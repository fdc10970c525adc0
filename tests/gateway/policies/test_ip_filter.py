"""ip-filter: allow and forbid lists of addresses and ranges, IPv4 and IPv6, the 403 body and LastError."""

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

from keyless.gateway.policies import ip_filter

SPEC = ip_filter.SPEC
RULES = """<address>192.168.1.1</address><address-range from="10.0.0.0" to="10.255.255.255"/>
  <address>2001:db8::1</address><address-range from="fd00::" to="fd00::ffff"/>"""


def run(action: str, ip: str) -> tuple[State, object]:
    cfg = ip_filter.compile_policy(xml(f'<ip-filter action="{action}">{RULES}</ip-filter>'), Ctx())
    state = State(ip=ip)
    _, error = asyncio.run(run_policy(SPEC, cfg, state))
    return state, error


@pytest.mark.parametrize(
    ("ip", "listed"),
    [
        ("192.168.1.1", True),
        ("192.168.1.2", False),
        ("10.0.0.0", True),
        ("10.255.255.255", True),
        ("11.0.0.0", False),
        ("9.255.255.255", False),
        ("::ffff:10.1.2.3", True),  # an IPv4-mapped IPv6 caller is its IPv4 address
        ("2001:db8::1", True),
        ("2001:db8::2", False),
        ("fd00::abcd", True),
        ("fd00::1:0", False),
    ],
)
def test_allow_and_forbid(ip: str, listed: bool) -> None:
    state, error = run("allow", ip)
    if listed:
        assert error is None and state.response is None
    else:
        assert error is not None and (error.source, error.reason) == ("ip-filter", "CallerIpNotAllowed")  # type: ignore[attr-defined]
        assert error.message.startswith("Caller IP address ") and error.message.endswith(  # type: ignore[attr-defined]
            " is not allowed. Access denied."
        )
        assert state.response is not None and state.response.status == 403
        assert state.response.body == b'{ "statusCode": 403, "message": "Forbidden" }'
    state, error = run("forbid", ip)
    if listed:
        assert error is not None and error.reason == "CallerIpBlocked"  # type: ignore[attr-defined]
        assert state.response is not None and state.response.status == 403
    else:
        assert error is None


def test_unparsable_caller() -> None:
    state, error = run("allow", "not-an-ip")
    assert error is not None and error.reason == "FailedToParseCallerIP"  # type: ignore[attr-defined]
    assert state.response is not None and state.response.status == 403


def test_expression_address() -> None:
    expression = '@((string)context.Variables["trusted"])'
    cfg = ip_filter.compile_policy(
        xml(f"<ip-filter action='allow'><address>{expression}</address></ip-filter>"),
        Ctx({expression: lambda s: s.variables["trusted"]}),
    )
    state = State(ip="172.16.0.5")
    state.variables["trusted"] = "172.16.0.5"
    assert asyncio.run(run_policy(SPEC, cfg, state))[1] is None
    state.variables["trusted"] = "172.16.0.6"
    assert asyncio.run(run_policy(SPEC, cfg, state))[1] is not None


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ("<ip-filter><address>1.2.3.4</address></ip-filter>", "'action'"),
        ("<ip-filter action='deny'><address>1.2.3.4</address></ip-filter>", "'action'"),
        ("<ip-filter action='allow'/>", "at least one"),
        ("<ip-filter action='allow'><address>1.2.3</address></ip-filter>", "'1.2.3'"),
        ("<ip-filter action='allow'><address-range from='1.2.3.4'/></ip-filter>", "'to'"),
        ("<ip-filter action='allow'><address-range from='10.0.0.9' to='10.0.0.1'/></ip-filter>", "greater"),
        ("<ip-filter action='allow'><address-range from='10.0.0.1' to='fd00::1'/></ip-filter>", "IPv6"),
        ("<ip-filter action='allow'><cidr>10.0.0.0/8</cidr></ip-filter>", "<cidr>"),
        ("<ip-filter action='allow' mode='x'><address>1.2.3.4</address></ip-filter>", "mode"),
        ("<ip-filter action='allow'>1.2.3.4<address>1.2.3.4</address></ip-filter>", "takes no text"),
        (
            "<ip-filter action='allow'><address-range from='1.1.1.1' to='1.1.1.2'>x</address-range></ip-filter>",
            "takes no text",
        ),
    ],
)
def test_compile_refusals(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        ip_filter.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_corpus_documents() -> None:
    toolkit = corpus_file("Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/ip-filter.xml")
    apiops = corpus_file("Azure__apiops/SampleArtifacts/policy.xml")
    for path, allowed, refused in ((toolkit, "10.20.30.40", "8.8.8.8"), (apiops, "10.0.0.1", "10.0.0.2")):
        (element,) = policy_elements(path, "ip-filter")
        cfg = ip_filter.compile_policy(element, Ctx())
        assert asyncio.run(run_policy(SPEC, cfg, State(ip=allowed)))[1] is None
        assert asyncio.run(run_policy(SPEC, cfg, State(ip=refused)))[1] is not None
