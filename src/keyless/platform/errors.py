"""The error root. Each service turns a `KeylessError` into its own Azure body shape."""

from __future__ import annotations


class KeylessError(Exception):
    """A failure with an HTTP status and a machine-readable code, in the shape of one Azure service."""

    status: int = 400
    code: str = "BadRequest"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
