"""redirect-content-urls through the real gateway: backend URLs in the response body become the gateway's
(outbound); the gateway's in the request body become the backend's (inbound)."""

from __future__ import annotations

import json
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


@pytest.mark.skipif(not TOOLKIT.is_dir(), reason=f"corpus not found at {CORPUS}")
async def test_corpus_outbound_masks_backend_urls(backend: Backend, gateway: Any) -> None:
    def reply(request: web.Request, n: int) -> web.Response:
        links = {"self": f"{backend.url}/api/1", "next": f"{backend.url}/api/2?x=1", "other": "http://elsewhere/api"}
        return web.json_response(links)

    backend.reply = reply
    call = await gateway(build(backend, (TOOLKIT / "redirect-content-urls.xml").read_text(encoding="utf-8-sig")))
    status, headers, body = await call("/items/1")
    front = f"http://127.0.0.1:{call.port}/items"
    expected = {"self": f"{front}/1", "next": f"{front}/2?x=1", "other": "http://elsewhere/api"}
    assert (status, json.loads(body)) == (200, expected)
    assert headers["Content-Length"] == str(len(body))


async def test_inbound_rewrites_gateway_urls_in_the_request_body(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document("<redirect-content-urls/>", "")))
    sent = f"see http://127.0.0.1:{call.port}/items/7 and http://127.0.0.1:{call.port}/other".encode()
    status, _, _ = await call("/items/1", method="POST", headers={"Content-Type": "text/plain"}, data=sent)
    assert status == 200
    got = backend.received[-1]["body"].decode()
    assert got == f"see {backend.url}/api/7 and http://127.0.0.1:{call.port}/other"


async def test_an_encoded_body_is_left_alone(backend: Backend, gateway: Any) -> None:
    backend.reply = lambda r, n: web.Response(
        body=f"{backend.url}/api/1".encode(), headers={"Content-Encoding": "x-test"}
    )
    call = await gateway(build(backend, document("", "<redirect-content-urls/>")))
    _, headers, body = await call("/items/1")
    assert (headers["Content-Encoding"], body) == ("x-test", f"{backend.url}/api/1".encode())


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ('<redirect-content-urls to="x"/>', "to"),
        ("<redirect-content-urls><value/></redirect-content-urls>", "value"),
        ("<redirect-content-urls>text</redirect-content-urls>", "text"),
    ],
)
def test_refusals_name_what_is_wrong(policy: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(document("", policy), scope="api")


def test_sections_and_once() -> None:
    with pytest.raises(ValidationError, match="backend"):
        compile_document(
            document("", "").replace("<backend><base/></backend>", "<backend><redirect-content-urls/></backend>"),
            scope="api",
        )
    with pytest.raises(ValidationError, match="only once"):
        compile_document(document("", "<redirect-content-urls/><redirect-content-urls/>"), scope="api")
