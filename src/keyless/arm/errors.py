"""ARM's error body: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from keyless.platform.errors import KeylessError


class ArmError(KeylessError):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message, status=status, code=code)
        self.details = details

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return JSONResponse({"error": error}, status_code=self.status, headers=headers)


def resource_not_found(type_name: str, name: str, resource_group: str | None) -> ArmError:
    where = f" under resource group '{resource_group}'" if resource_group else ""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{type_name}/{name}'{where} was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
    )


def bad_body(message: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent", message)
