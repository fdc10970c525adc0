"""cross-domain: the service answers `GET /crossdomain.xml` with the Adobe cross-domain policy it holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop

NAME = "cross-domain"
PATH = "/crossdomain.xml"
# Adobe's policy file content type (Flash checks it under the by-content-type meta-policy).
CONTENT_TYPE = "text/x-cross-domain-policy"
# The Adobe cross-domain policy file format: element -> its attributes (required ones first) and children.
SCHEMA: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "cross-domain-policy": ((), (), ("site-control", "allow-access-from", "allow-access-from-identity",
                                     "allow-http-request-headers-from")),
    "site-control": ((), ("permitted-cross-domain-policies",), ()),
    "allow-access-from": (("domain",), ("to-ports", "secure"), ()),
    "allow-http-request-headers-from": (("domain", "headers"), ("secure",), ()),
    "allow-access-from-identity": ((), (), ("signatory",)),
    "signatory": ((), (), ("certificate",)),
    "certificate": (("fingerprint", "fingerprint-algorithm"), (), ()),
}  # fmt: skip
META_POLICIES = ("none", "master-only", "by-content-type", "by-ftp-filename", "all")


@dataclass(frozen=True)
class Config:
    entries: tuple[str, ...]  # the serialized children of <cross-domain-policy>


def _check(element: Element, ctx: CompileContext) -> None:
    required, optional, children = SCHEMA[element.name]
    for name, value in element.attrs.items():
        if name not in required + optional:
            raise ctx.error(element, f"The '{name}' attribute is not part of <{element.name}> (Adobe format).", name)
        if t.is_expression(value):
            raise ctx.error(element, f"Policy expressions are not supported in '{name}' of <{element.name}>.", name)
    for name in required:
        if name not in element.attrs:
            raise ctx.error(element, f"The required attribute '{name}' of <{element.name}> is missing.", name)
    meta = element.attrs.get("permitted-cross-domain-policies")
    if meta is not None and meta not in META_POLICIES:
        raise ctx.error(
            element,
            f"'permitted-cross-domain-policies' must be one of {', '.join(META_POLICIES)}.",
            "permitted-cross-domain-policies",
        )
    t.check_no_text(element, ctx)
    t.check_children(element, ctx, children)
    for child in element.children:
        _check(child, ctx)


def serialize(element: Element) -> str:
    attrs = "".join(f" {name}={quoteattr(value)}" for name, value in element.attrs.items())
    if not element.children:
        return f"<{element.name}{attrs}/>"
    inner = "".join(serialize(child) for child in element.children)
    return f"<{element.name}{attrs}>{inner}</{element.name}>"


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ())
    t.check_no_text(element, ctx)
    t.check_children(element, ctx, ("cross-domain-policy",))
    if len(element.children) > 1:
        raise ctx.error(element.children[1], "<cross-domain> holds one <cross-domain-policy>.")
    if not element.children:
        return Config(())
    root = element.children[0]
    _check(root, ctx)
    return Config(tuple(serialize(child) for child in root.children))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    # The file is answered before routing (`answer`); on an API's own requests the policy has nothing to do.
    return None


def answer(snapshot: Any, method: str, path: str) -> GatewayResponse | None:
    """The response to `GET /crossdomain.xml` when the global policy has cross-domain statements (their entries
    in document order), else None (the request is routed as any other)."""
    if path != PATH or method not in ("GET", "HEAD"):
        return None
    document = snapshot.documents.get(("global",))
    inbound = document.sections.get("inbound") if document is not None else None
    configs = [s.config for s in inbound or () if getattr(s, "name", None) == NAME]
    if not configs:
        return None
    entries = "".join(e for cfg in configs for e in cfg.entries)
    body = f'<?xml version="1.0" encoding="utf-8"?><cross-domain-policy>{entries}</cross-domain-policy>'.encode()
    return GatewayResponse(200, Headers([("Content-Type", CONTENT_TYPE)]), b"" if method == "HEAD" else body, "OK")


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound"}), compile=compile, run=run, scopes=frozenset({"global"}))
