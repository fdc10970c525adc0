"""trace: custom entries in the request trace."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import CompileRefusal, Ctx, compile_real, parse, real_state, run, state

from keyless.gateway.policies import trace

SPEC = trace.SPEC


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<trace><message>m</message></trace>", "required attribute 'source'"),
        ('<trace source="s" />', "exactly one 'message'"),
        ('<trace source="s"><message>a</message><message>b</message></trace>', "exactly one 'message'"),
        ('<trace source="s">text<message>b</message></trace>', "exactly one 'message'"),
        ('<trace source="s" severity="debug"><message>m</message></trace>', "invalid value 'debug'"),
        ('<trace source="@(x)"><message>m</message></trace>', "not allowed in the 'source'"),
        ('<trace source="s"><message>m</message><metadata name="a" /></trace>', "required attribute 'value'"),
        ('<trace source="s"><message>m</message><note>x</note></trace>', "invalid child element 'note'"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx(expressions={"@(x)": lambda s: 1}))
    assert fragment in err.value.message


async def test_message_alone_is_the_entry_data() -> None:
    st = state()
    await run(SPEC, '<trace source="My API"><message>Request received</message></trace>', st)
    assert st.traces == [("My API", "Request received")]


async def test_the_older_form_with_the_message_as_text() -> None:
    # as in the corpus snippet "Log errors to Stackify"
    st = state("on-error")
    await run(SPEC, '<trace source="OnError">\n      On Error\n    </trace>', st)
    assert st.traces == [("OnError", "On Error")]


async def test_metadata_and_severity_travel_with_the_message() -> None:
    st = state()
    xml = (
        '<trace source="my-api" severity="information"><message>@(m)</message>'
        '<metadata name="userId" value="12345" /><metadata name="@(n)" value="production" /></trace>'
    )
    await run(SPEC, xml, st, expressions={"@(m)": lambda s: "hello", "@(n)": lambda s: "environment"})
    assert st.traces == [
        (
            "my-api",
            {
                "message": "hello",
                "severity": "information",
                "metadata": {"userId": "12345", "environment": "production"},
            },
        )
    ]


async def test_through_the_compiler_into_the_request_trace() -> None:
    from keyless.gateway.policy import STOP

    class Log:
        def __init__(self) -> None:
            self.entries: list[tuple[str, str, object]] = []

        def add(self, section: str, source: str, data: object, elapsed: float) -> None:
            self.entries.append((section, source, data))

    plan = compile_real("inbound", '<trace source="PetStore API"><message>@(context.Request.Method)</message></trace>')
    st = real_state()
    st.trace_log = Log()
    assert await plan.inbound.run(st) is not STOP
    assert st.trace_log.entries == [("inbound", "PetStore API", "GET")]
