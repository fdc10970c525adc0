"""Header rules of Logic Apps' outbound HTTP and the .NET names of status codes.

Logic Apps silently drops some request headers (reference §3.1, DOC-HTTP) and names an Http action's `code`
after .NET's `HttpStatusCode` enum (`OK`, `NotFound`, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# System.Net.HttpStatusCode member names; aliases (Ambiguous/Redirect/RedirectKeepVerb) resolve to the
# names .NET prints for the value (Enum.ToString picks MultipleChoices, Found, TemporaryRedirect).
STATUS_NAMES: dict[int, str] = {
    100: "Continue",
    101: "SwitchingProtocols",
    102: "Processing",
    103: "EarlyHints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "NonAuthoritativeInformation",
    204: "NoContent",
    205: "ResetContent",
    206: "PartialContent",
    207: "MultiStatus",
    208: "AlreadyReported",
    226: "IMUsed",
    300: "MultipleChoices",
    301: "MovedPermanently",
    302: "Found",
    303: "SeeOther",
    304: "NotModified",
    305: "UseProxy",
    306: "Unused",
    307: "TemporaryRedirect",
    308: "PermanentRedirect",
    400: "BadRequest",
    401: "Unauthorized",
    402: "PaymentRequired",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    407: "ProxyAuthenticationRequired",
    408: "RequestTimeout",
    409: "Conflict",
    410: "Gone",
    411: "LengthRequired",
    412: "PreconditionFailed",
    413: "RequestEntityTooLarge",
    414: "RequestUriTooLong",
    415: "UnsupportedMediaType",
    416: "RequestedRangeNotSatisfiable",
    417: "ExpectationFailed",
    421: "MisdirectedRequest",
    422: "UnprocessableEntity",
    423: "Locked",
    424: "FailedDependency",
    426: "UpgradeRequired",
    428: "PreconditionRequired",
    429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge",
    451: "UnavailableForLegalReasons",
    500: "InternalServerError",
    501: "NotImplemented",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
    505: "HttpVersionNotSupported",
    506: "VariantAlsoNegotiates",
    507: "InsufficientStorage",
    508: "LoopDetected",
    510: "NotExtended",
    511: "NetworkAuthenticationRequired",
}


def status_name(status: int) -> str:
    """`HttpStatusCode.ToString()`: the member name, or the number itself for values the enum lacks."""
    return STATUS_NAMES.get(status, str(status))


# Content-* headers that survive; every other Content-* is dropped (the body sets its own length).
_KEPT_CONTENT = frozenset({"content-disposition", "content-encoding", "content-type"})
_DROPPED = frozenset(
    {"allow", "cookie", "expires", "host", "last-modified", "origin", "set-cookie", "transfer-encoding"}
)


def is_dropped(name: str) -> bool:
    """True for a request header Logic Apps removes before sending (DOC-HTTP's list)."""
    lower = name.strip().lower()
    if lower.startswith("accept-"):
        return True
    if lower.startswith("content-"):
        return lower not in _KEPT_CONTENT
    return lower in _DROPPED


def find(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup in a dict."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


def response_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A response's headers as the action's `outputs.headers`: one entry per name (first spelling kept),
    repeated headers joined with `,` as .NET's header collections print them."""
    merged: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for name, value in pairs:
        key = spelling.setdefault(name.lower(), name)
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged
