"""wait through the real gateway: children run concurrently (all / any), failures, refusals, the corpus."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from keyless.gateway.compiler import compile_document
from keyless.gateway.policy_xml import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from test_cache_lookup_store_pipeline import CORPUS, TOOLKIT, Backend, build, document, gateway

__all__ = ["gateway"]  # the fixture, shared with the cache tests
SNIPPET = CORPUS / "Azure__api-management-policy-snippets/examples/Backend for Frontend or curated API policy.xml"


class PairedBackend(Backend):
    """/slow answers only once /fast has been asked for: both finish only when they are called concurrently.
    /hang never answers (until the test ends); /echo* answers its path."""

    async def start(self) -> PairedBackend:
        self.gate = asyncio.Event()
        self.end = asyncio.Event()

        async def handle(request: web.Request) -> web.Response:
            self.received.append({"method": request.method, "path": request.path_qs, "body": await request.read()})
            if request.path.startswith("/slow"):
                await asyncio.wait_for(self.gate.wait(), 5)
            elif request.path.startswith("/hang"):
                await self.end.wait()
            elif request.path.startswith("/fast"):
                self.gate.set()
            return web.Response(text=request.path)

        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.gate.set()
        self.end.set()
        await super().stop()


@pytest.fixture
async def paired() -> AsyncIterator[PairedBackend]:
    server = await PairedBackend().start()
    yield server
    await server.stop()


def send(url: str, variable: str, timeout: int = 10) -> str:
    return (
        f'<send-request mode="new" response-variable-name="{variable}" timeout="{timeout}">'
        f"<set-url>{url}</set-url></send-request>"
    )


def report(*variables: str) -> str:
    """Answer with one header per response variable: its body, or `unset`."""
    headers = "".join(
        f'<set-header name="X-{v}" exists-action="override"><value>@(context.Variables.ContainsKey("{v}") ? '
        f'((IResponse)context.Variables["{v}"]).Body.As&lt;string&gt;() : "unset")</value></set-header>'
        for v in variables
    )
    return f'<return-response><set-status code="200" reason="OK"/>{headers}</return-response>'


async def test_wait_all_runs_the_children_concurrently(paired: PairedBackend, gateway: Any) -> None:
    inner = f'<wait for="all">{send(paired.url + "/slow", "a")}{send(paired.url + "/fast", "b")}</wait>'
    call = await gateway(build(paired, document(inner + report("a", "b"), "")))
    status, headers, _ = await call()
    assert status == 200
    # /slow answers only once /fast was asked for: run one after the other, the first would have timed out
    assert (headers["X-a"], headers["X-b"]) == ("/slow", "/fast")


async def test_wait_any_completes_with_the_first_child_and_terminates_the_others(
    paired: PairedBackend, gateway: Any
) -> None:
    inner = (
        '<wait for="@(&quot;any&quot;)">'
        f"{send(paired.url + '/hang', 'a')}"
        '<choose><when condition="@(true)">'
        f"{send(paired.url + '/echo/1', 'b')}"
        '<set-variable name="after" value="yes"/></when></choose></wait>'
    )
    call = await gateway(build(paired, document(inner + report("a", "b"), "")))
    status, headers, _ = await call()
    assert (status, headers["X-a"], headers["X-b"]) == (200, "unset", "/echo/1")


async def test_a_failing_child_fails_the_wait_after_the_others(paired: PairedBackend, gateway: Any) -> None:
    inner = f"<wait>{send(paired.url + '/echo/ok', 'a')}{send('http://127.0.0.1:1/refused', 'b')}</wait>"
    on_error = (
        '<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "|" + '
        "context.LastError.Reason)</value></set-header>"
        '<set-header name="X-a" exists-action="override"><value>@(context.Variables.ContainsKey("a") ? '
        '"set" : "unset")</value></set-header>'
    )
    policy = document(inner, "").replace("<on-error><base/></on-error>", f"<on-error><base/>{on_error}</on-error>")
    call = await gateway(build(paired, policy))
    status, headers, _ = await call()
    assert status == 500
    assert headers["X-Error"] == "send-request|BackendConnectionFailure"
    assert headers["X-a"] == "set"  # the other child had completed


@pytest.mark.skipif(not SNIPPET.exists(), reason=f"corpus not found at {CORPUS}")
async def test_corpus_backend_for_frontend_aggregates_four_parallel_calls(paired: PairedBackend, gateway: Any) -> None:
    text = SNIPPET.read_text(encoding="utf-8-sig")
    text = text.replace("{{bff-timeout}}", "10").replace("{{bff-baseurl}}", paired.url + "/echo")
    call = await gateway(build(paired, text))
    status, _, body = await call("/items/1?param1=p")
    assert status == 200, body
    paths = sorted(r["path"] for r in paired.received)
    assert paths == ["/echo/operation1?param1=p", "/echo/operation2", "/echo/operation3", "/echo/operation4"]
    assert b'"operation":"operation4"' in body and b'"/echo/operation1"' in body


@pytest.mark.skipif(not TOOLKIT.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_wait_document_compiles() -> None:
    compile_document((TOOLKIT / "wait.xml").read_text(encoding="utf-8-sig"), scope="api")


@pytest.mark.parametrize(
    ("inner", "needle"),
    [
        ('<wait for="some"><choose><when condition="true"/></choose></wait>', "for"),
        ('<wait for="all" until="x"><choose><when condition="true"/></choose></wait>', "until"),
        ('<wait><set-variable name="a" value="b"/></wait>', "set-variable"),
        ('<wait><rate-limit calls="1" renewal-period="1"/></wait>', "rate-limit"),
        ("<wait/>", "wait"),
        ("<wait>text</wait>", "text"),
    ],
)
def test_refusals_name_what_is_wrong(inner: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(document(inner, ""), scope="api")


def test_sections() -> None:
    with pytest.raises(ValidationError, match="on-error"):
        compile_document(
            document("", "").replace(
                "<on-error><base/>", '<on-error><base/><wait><choose><when condition="true"/></choose></wait>'
            ),
            scope="api",
        )


async def test_a_child_that_answers_ends_the_pipeline_once_all_have_completed(
    paired: PairedBackend, gateway: Any
) -> None:
    answer = '<return-response><set-status code="418" reason="Teapot"/></return-response>'
    inner = (
        f'<wait><choose><when condition="@(true)">{answer}</when></choose>{send(paired.url + "/echo/2", "b")}</wait>'
    )
    call = await gateway(build(paired, document(inner, "")))
    status, _, _ = await call()
    assert status == 418
    assert [r["path"] for r in paired.received] == ["/echo/2"]  # the call-out ran; the backend was not called
