"""redirect-content-urls: rewrites backend URLs in the response body to the gateway's (inbound: the reverse)."""

from __future__ import annotations

from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.http_types import Url
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop

NAME = "redirect-content-urls"


@dataclass(frozen=True)
class Config:
    pass


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ())
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    return Config()


def _bases(state: RequestState) -> tuple[str, str] | None:
    """(backend base, gateway base): the API's backend URL and the URL clients call the API at."""
    backend = t.base_url(state)
    if backend is None or not backend.host:
        return None
    original: Url = state.request.original_url
    api_path = state.api.path.strip("/") if state.api is not None else ""
    gateway = f"{original.scheme}://{original.authority}" + (f"/{api_path}" if api_path else "")
    backend_text = f"{backend.scheme}://{backend.authority}{backend.path.rstrip('/')}"
    return backend_text, gateway


async def run(cfg: Config, state: RequestState) -> Stop | None:
    bases = _bases(state)
    message = t.message_of(state)
    if bases is None or not message.body:
        return None
    backend, gateway = bases
    encoding = (message.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        state.trace(NAME, {"message": f"The body is {encoding}-encoded; it is left as it is."})
        return None
    old, new = (gateway, backend) if t.on_request(state) else (backend, gateway)
    try:
        text = bytes(message.body).decode("utf-8")
    except UnicodeDecodeError:
        state.trace(NAME, {"message": "The body is not UTF-8 text; it is left as it is."})
        return None
    if old in text:
        t.set_body(message, text.replace(old, new).encode("utf-8"))
    return None


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound", "outbound"}), compile=compile, run=run, once=True)
