"""Helpers shared by the transform policies: attribute checks, the message a section works on, body text."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from keyless.csharp.dotnet.text import to_string
from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers, Url
from keyless.gateway.policy import CompileContext, PolicyError, Value

REQUEST_SECTIONS = frozenset({"inbound", "backend"})
BOOLEANS = {"true": True, "false": False}


# ----------------------------------------------------------------------------------------------- compile checks


def check_attributes(element: Element, ctx: CompileContext, allowed: Iterable[str]) -> None:
    """Refuse any attribute the policy does not declare, as APIM's schema check does."""
    known = set(allowed)
    for name in element.attrs:
        if name not in known:
            raise ctx.error(element, f"The '{name}' attribute is not declared.", name)


def check_children(element: Element, ctx: CompileContext, allowed: Iterable[str]) -> None:
    """Refuse child elements the policy does not declare (and, when none are declared, any child)."""
    known = tuple(allowed)
    for child in element.children:
        if child.name not in known:
            expected = ", ".join(f"'{n}'" for n in known) or "none"
            raise ctx.error(
                child,
                f"The element '{element.name}' has invalid child element '{child.name}'. "
                f"List of possible elements expected: {expected}.",
            )


def check_no_text(element: Element, ctx: CompileContext) -> None:
    if element.text.strip():
        raise ctx.error(element, f"The element '{element.name}' cannot contain text.")


def required(element: Element, ctx: CompileContext, name: str) -> str:
    raw = element.attrs.get(name)
    if raw is None:
        raise ctx.error(element, f"The required attribute '{name}' is missing.", name)
    return raw


def is_expression(raw: str | None) -> bool:
    return raw is not None and raw.lstrip().startswith(("@(", "@{"))


def choice(
    element: Element,
    ctx: CompileContext,
    name: str,
    allowed: Iterable[str],
    default: str | None,
    *,
    allow_expression: bool = True,
) -> Value:
    """An attribute restricted to a set of values; a constant is checked now, an expression per request."""
    raw = element.attrs.get(name)
    options = tuple(allowed)
    if raw is None and default is None:
        raise ctx.error(element, f"The required attribute '{name}' is missing.", name)
    if raw is not None and not is_expression(raw) and raw not in options:
        raise ctx.error(element, _invalid(name, raw, options), name)
    return ctx.value(element, raw, attribute=name, allow_expression=allow_expression, default=default)


def boolean(element: Element, ctx: CompileContext, name: str, default: bool, *, allow_expression: bool = True) -> Value:
    raw = element.attrs.get(name)
    if raw is not None and not is_expression(raw) and raw.strip().lower() not in BOOLEANS:
        raise ctx.error(element, _invalid(name, raw, ("true", "false")), name)
    return ctx.value(element, raw, attribute=name, allow_expression=allow_expression, default=default)


def _invalid(name: str, raw: str, options: Iterable[str]) -> str:
    return f"The '{name}' attribute has an invalid value '{raw}'; expected one of: {', '.join(options)}."


# ----------------------------------------------------------------------------------------------- run-time values


def runtime_choice(value: Value, state: Any, policy: str, name: str, allowed: Iterable[str]) -> str:
    """The value of a `choice` attribute for this request (an expression may yield anything)."""
    got = value.get(state)
    text = "" if got is None else str(got)
    options = tuple(allowed)
    if text not in options:
        raise PolicyError(policy, "InvalidAttributeValue", _invalid(name, text, options))
    return text


def runtime_bool(value: Value, state: Any, policy: str, name: str) -> bool:
    got = value.get(state)
    if isinstance(got, bool):
        return got
    text = "" if got is None else str(got).strip().lower()
    if text not in BOOLEANS:
        raise PolicyError(policy, "InvalidAttributeValue", _invalid(name, text, ("true", "false")))
    return BOOLEANS[text]


def text_of(value: Any) -> str:
    """A policy expression's result as the text APIM writes: C#'s `ToString()` (null is empty, True/False,
    .NET number formats, `System.String[]` for an array)."""
    return value if type(value) is str else to_string(value)


def body_bytes(value: Any) -> bytes:
    """A set-body (or mock) value as bytes: strings as UTF-8, byte arrays as they are, objects by ToString()."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return text_of(value).encode("utf-8")


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# ----------------------------------------------------------------------------------------------- the message


def on_request(state: Any) -> bool:
    """Inbound and backend work on the request; outbound and on-error on the response."""
    return state.section in REQUEST_SECTIONS


def response_of(state: Any) -> GatewayResponse:
    """The response outbound/on-error policies change; on-error before any response starts from an empty 200
    (what APIM's `context.Response` holds then)."""
    ensure = getattr(state, "ensure_response", None)
    if ensure is not None:
        return ensure()
    if state.response is None:
        state.response = GatewayResponse(200, Headers(), b"", "OK")
    return state.response


def message_of(state: Any) -> Any:
    return state.request if on_request(state) else response_of(state)


def media_type(headers: Headers) -> str:
    value = headers.get("Content-Type") or ""
    return value.split(";", 1)[0].strip().lower()


def is_media(mtype: str, kind: str) -> bool:
    """`application/json`, `text/json` and `*+json` (likewise for xml), as APIM recognises them."""
    return mtype in (f"application/{kind}", f"text/{kind}") or mtype.endswith(f"+{kind}")


def accepts(headers: Headers, kind: str) -> bool:
    """Whether the client's Accept header asks for `kind` (json or xml) with a non-zero quality."""
    for raw in headers.values("Accept"):
        for item in raw.split(","):
            parts = [p.strip() for p in item.split(";")]
            quality = 1.0
            for param in parts[1:]:
                if param.lower().startswith("q="):
                    try:
                        quality = float(param[2:])
                    except ValueError:
                        quality = 0.0
            if quality > 0 and is_media(parts[0].lower(), kind):
                return True
    return False


def set_body(message: Any, body: bytes, content_type: str | None = None) -> None:
    message.body = body
    if content_type is not None:
        message.headers.set("Content-Type", content_type)
    if "Content-Length" in message.headers:
        message.headers.set("Content-Length", str(len(body)))


# ----------------------------------------------------------------------------------------------- snapshot records


def field(record: Any, *names: str) -> Any:
    """A field of a snapshot record, whether it is an object or an ARM-shaped dict (`properties` tolerated)."""
    if record is None:
        return None
    for name in names:
        if isinstance(record, dict):
            if name in record:
                return record[name]
            props = record.get("properties")
            if isinstance(props, dict) and name in props:
                return props[name]
        elif hasattr(record, name):
            return getattr(record, name)
    return None


def backend_url(state: Any, backend_id: str) -> str | None:
    """The `url` of a backend entity of the service snapshot."""
    backends = field(getattr(state, "snapshot", None), "backends")
    record = backends.get(backend_id) if isinstance(backends, dict) else None
    url = field(record, "url")
    return str(url) if url else None


def base_url(state: Any) -> Url | None:
    """The backend base the request URL is currently relative to: set-backend-service's choice, else the API's
    `serviceUrl`."""
    chosen = getattr(state, "backend", None)
    if isinstance(chosen, Url):
        return chosen
    if isinstance(chosen, str) and chosen:
        text = chosen if "://" in chosen else backend_url(state, chosen)
        if text:
            return Url.parse(text)
    service = field(getattr(state, "api", None), "service_url", "serviceUrl", "ServiceUrl")
    if isinstance(service, Url):
        return service
    return Url.parse(service) if service else None


def relative_path(path: str, base: Url | None) -> str:
    """The part of `path` after the base path (the operation part APIM appends to the backend base)."""
    prefix = base.path.rstrip("/") if base else ""
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix) :]
    return path


def join_path(base_path: str, relative: str) -> str:
    if not relative:
        return base_path or "/"
    return base_path.rstrip("/") + "/" + relative.lstrip("/")
