"""cross-domain through the real gateway: the global policy's Adobe file at /crossdomain.xml; refusals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from keyless.gateway.compiler import compile_document
from keyless.gateway.policy_xml import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from test_cache_lookup_store_pipeline import CORPUS, GLOBAL, TOOLKIT, Backend, backend, build, document, gateway

__all__ = ["backend", "gateway"]  # fixtures shared with the cache tests


def global_with(inbound: str) -> str:
    return GLOBAL.replace("<inbound/>", f"<inbound>{inbound}</inbound>")


async def test_the_file_is_served_from_the_global_policy(backend: Backend, gateway: Any) -> None:
    policy = (
        '<cross-domain><cross-domain-policy><site-control permitted-cross-domain-policies="master-only"/>'
        '<allow-access-from domain="*.example.com" secure="true"/></cross-domain-policy></cross-domain>'
        "<cross-domain><cross-domain-policy>"
        "<allow-http-request-headers-from domain='*' headers='SOAPAction'/></cross-domain-policy></cross-domain>"
    )
    call = await gateway(build(backend, document("", ""), global_with(policy)))
    status, headers, body = await call("/crossdomain.xml", key="")
    assert status == 200 and headers["Content-Type"] == "text/x-cross-domain-policy"
    assert body == (
        b'<?xml version="1.0" encoding="utf-8"?><cross-domain-policy>'
        b'<site-control permitted-cross-domain-policies="master-only"/>'
        b'<allow-access-from domain="*.example.com" secure="true"/>'
        b'<allow-http-request-headers-from domain="*" headers="SOAPAction"/></cross-domain-policy>'
    )
    assert (await call("/crossdomain.xml", method="POST"))[0] == 404
    assert (await call())[0] == 200  # the API's own requests are untouched
    assert backend.received[-1]["path"] == "/api/1"


async def test_without_the_policy_there_is_no_file(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document("", "")))
    assert (await call("/crossdomain.xml"))[0] == 404


@pytest.mark.skipif(not TOOLKIT.is_dir(), reason=f"corpus not found at {CORPUS}")
async def test_corpus_document_at_global_scope(backend: Backend, gateway: Any) -> None:
    text = (TOOLKIT / "cross-domain.xml").read_text(encoding="utf-8-sig")
    call = await gateway(build(backend, document("", ""), text))
    status, _, body = await call("/crossdomain.xml")
    assert status == 200 and body.endswith(
        b'<cross-domain-policy><allow-access-from domain="*"/></cross-domain-policy>'
    )


def test_only_the_global_scope_takes_it() -> None:
    with pytest.raises(ValidationError, match="not allowed at the api scope"):
        compile_document(document("<cross-domain/>", ""), scope="api")
    compile_document(global_with("<cross-domain/>"), scope="global")


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ('<cross-domain mode="x"/>', "mode"),
        ("<cross-domain><allow-access-from domain='*'/></cross-domain>", "allow-access-from"),
        ("<cross-domain><cross-domain-policy/><cross-domain-policy/></cross-domain>", "one <cross-domain-policy>"),
        ("<cross-domain><cross-domain-policy><allow-access-from/></cross-domain-policy></cross-domain>", "domain"),
        (
            "<cross-domain><cross-domain-policy><allow-access-from domain='*' port='1'/></cross-domain-policy>"
            "</cross-domain>",
            "port",
        ),
        (
            "<cross-domain><cross-domain-policy><allow-access-from domain='@(&quot;*&quot;)'/></cross-domain-policy>"
            "</cross-domain>",
            "expressions",
        ),
        (
            "<cross-domain><cross-domain-policy><site-control permitted-cross-domain-policies='some'/>"
            "</cross-domain-policy></cross-domain>",
            "permitted-cross-domain-policies",
        ),
        (
            "<cross-domain><cross-domain-policy><allow-http-request-headers-from domain='*'/>"
            "</cross-domain-policy></cross-domain>",
            "headers",
        ),
        ("<cross-domain><cross-domain-policy><deny domain='*'/></cross-domain-policy></cross-domain>", "deny"),
        ("<cross-domain>text</cross-domain>", "text"),
    ],
)
def test_refusals_name_what_is_wrong(policy: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        compile_document(global_with(policy), scope="global")
