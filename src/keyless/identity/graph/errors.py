"""Microsoft Graph's error body: `{"error": {"code", "message", "innerError": {date, request-id, ...}}}`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

from keyless.platform.errors import KeylessError

# Graph answers a bearer failure with a challenge naming itself as the resource.
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
    'client_id="00000003-0000-0000-c000-000000000000"'
)


class GraphError(KeylessError):
    """A failure with Graph's status, code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.headers = headers or {}


def error_body(code: str, message: str, request_id: str, client_request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                # Graph writes the date without fraction or zone.
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def error_response(exc: KeylessError, request_id: str, client_request_id: str) -> JSONResponse:
    headers = {"request-id": request_id, "client-request-id": client_request_id}
    if isinstance(exc, GraphError):
        headers.update(exc.headers)
    return JSONResponse(
        error_body(exc.code, exc.message, request_id, client_request_id), status_code=exc.status, headers=headers
    )


def bad_request(message: str) -> GraphError:
    return GraphError(400, "Request_BadRequest", message)


def segment_not_found(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def method_not_allowed() -> GraphError:
    return GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")


def invalid_object_identifier(value: str) -> GraphError:
    return GraphError(400, "Request_BadRequest", f"Invalid object identifier '{value}'.")


def unreadable_json() -> GraphError:
    return GraphError(
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON "
        "format.",
    )


def empty_payload() -> GraphError:
    return GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")


def invalid_token(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": WWW_AUTHENTICATE})


def insufficient_privileges(needed: tuple[str, ...], held: frozenset[str]) -> GraphError:
    # Azure stops at the first sentence; keyless also says which application permission would do.
    held_text = ", ".join(sorted(held)) if held else "none"
    return GraphError(
        403,
        "Authorization_RequestDenied",
        f"Insufficient privileges to complete the operation. This call needs one of the Microsoft Graph application "
        f"permissions {', '.join(needed)}; the token's roles are: {held_text}.",
    )


def unsupported_query(prop: str, entity: str) -> GraphError:
    return GraphError(
        400,
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of resource '{entity}'.",
    )


def invalid_filter(detail: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Invalid filter clause: {detail}")


def invalid_value(prop: str, entity: str, why: str) -> GraphError:
    # Graph's sentence, then keyless's reason (Graph gives none).
    return bad_request(f"Invalid value specified for property '{prop}' of resource '{entity}'. {why}")
