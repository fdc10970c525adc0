"""jsonp through the real gateway: JSON wrapped as `callback(json);` only when the query names a callback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from keyless.gateway.compiler import compile_document
from keyless.gateway.policy_xml import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from test_cache_lookup_store_pipeline import CORPUS, TOOLKIT, Backend, backend, build, document, gateway

__all__ = ["backend", "gateway"]  # fixtures shared with the cache tests
ON_ERROR = (
    '<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source + "|" + '
    'context.LastError.Reason + "|" + context.LastError.Message)</value></set-header>'
)


@pytest.mark.skipif(not TOOLKIT.is_dir(), reason=f"corpus not found at {CORPUS}")
async def test_corpus_jsonp_wraps_json_when_the_callback_is_given(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, (TOOLKIT / "jsonp.xml").read_text(encoding="utf-8-sig")))
    status, headers, body = await call("/items/1")
    assert (status, body) == (200, b'{"n": 1}')
    assert headers["Content-Type"].startswith("application/json")
    status, headers, body = await call("/items/1?cb=app.handlers.done")
    assert (status, body) == (200, b'app.handlers.done({"n": 2});')
    assert headers["Content-Type"] == "application/javascript"
    assert headers["Content-Length"] == str(len(body))


async def test_an_invalid_callback_is_callback_parameter_invalid(backend: Backend, gateway: Any) -> None:
    policy = document("", '<jsonp callback-parameter-name="@(&quot;callback&quot;)"/>').replace(
        "<on-error><base/></on-error>", f"<on-error><base/>{ON_ERROR}</on-error>"
    )
    call = await gateway(build(backend, policy))
    status, headers, body = await call("/items/1?callback=alert(1)//")
    assert status == 500 and b"alert" not in body
    assert headers["X-Error"] == (
        "jsonp|CallbackParameterInvalid|Value of callback parameter callback is not a valid JavaScript identifier."
    )


async def test_a_non_json_response_is_left_alone(backend: Backend, gateway: Any) -> None:
    backend.reply = lambda r, n: web.Response(text="<a/>", content_type="application/xml")
    call = await gateway(build(backend, document("", '<jsonp callback-parameter-name="cb"/>')))
    status, headers, body = await call("/items/1?cb=f")
    assert (status, body, headers["Content-Type"].split(";")[0]) == (200, b"<a/>", "application/xml")


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ("<jsonp/>", "callback-parameter-name"),
        ('<jsonp callback-parameter-name=""/>', "callback-parameter-name"),
        ('<jsonp callback-parameter-name="cb" padding="x"/>', "padding"),
        ('<jsonp callback-parameter-name="cb"><value/></jsonp>', "value"),
        ('<jsonp callback-parameter-name="cb">text</jsonp>', "text"),
    ],
)
def test_refusals_name_the_attribute(policy: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(document("", policy), scope="api")


def test_outbound_only_and_once() -> None:
    with pytest.raises(ValidationError, match="jsonp"):
        compile_document(document('<jsonp callback-parameter-name="cb"/>', ""), scope="api")
    with pytest.raises(ValidationError, match="only once"):
        compile_document(
            document("", '<jsonp callback-parameter-name="a"/><jsonp callback-parameter-name="b"/>'), scope="api"
        )
