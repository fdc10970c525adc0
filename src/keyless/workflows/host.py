"""What a run needs from outside the interpreter, supplied by the host (keyless up, tests, the bench).

Actions reach the world only through `RunHost`, so the interpreter stays plain Python that tests drive with
a fake host, and the same run code serves the durable runtime and `keyless workflow` tools.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class HttpRequest:
    method: str
    url: str  # as the definition says; the host resolves Azure host names (`*.azure-api.net`) to keyless
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout: float = 225.0  # seconds; Standard's Runtime.Backend.HttpOperation.RequestTimeout (00:03:45)
    client_certificate: tuple[bytes, str | None] | None = None  # (pfx bytes, password) for ClientCertificate


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class ResponseMessage:
    """What the Response action answers the caller waiting on the Request trigger."""

    status: int
    headers: dict[str, str]
    body: Any  # JSON value, str, or a content envelope


class ResponseState(enum.Enum):
    """What became of a Response action's answer (`RunHost.respond`).

    A host may still answer a plain bool: True is ANSWERED, False is NOBODY_WAITING (`ResponseState.of`)."""

    ANSWERED = "Answered"  # the waiting caller got it
    NOBODY_WAITING = "NobodyWaiting"  # nobody ever waited (resubmitted or recovered run): Skipped
    TOO_LATE = "TooLate"  # the caller waited, but gave up first (its 504 went out): Failed
    ALREADY_ANSWERED = "AlreadyAnswered"  # an earlier Response of the run answered the caller: Failed

    @classmethod
    def of(cls, value: bool | ResponseState) -> ResponseState:
        if isinstance(value, ResponseState):
            return value
        return cls.ANSWERED if value else cls.NOBODY_WAITING


class RunHost(Protocol):
    async def send(self, request: HttpRequest) -> HttpResponse:
        """One outbound HTTP exchange (no retries, no redirects followed); raises OSError / TimeoutError on
        connection failures so the Http action's retry policy can treat them as retryable."""
        ...

    async def managed_identity_token(self, audience: str, identity: str | None) -> str:
        """An access token for the workflow's managed identity: system-assigned when `identity` is None, else
        the user-assigned identity with that ARM resource id. Raises KeylessError with a message naming what
        is wrong (no such identity on the workflow, audience unknown to the directory)."""
        ...

    async def client_credentials_token(
        self,
        authority: str | None,
        tenant: str,
        audience: str,
        client_id: str,
        secret: str | None,
        pfx: bytes | None,
        password: str | None,
    ) -> str:
        """ActiveDirectoryOAuth: a token from keyless's token endpoint (the authority is resolved locally)."""
        ...

    async def respond(self, message: ResponseMessage) -> bool | ResponseState:
        """Hand the Response action's answer to the waiting caller: True / ANSWERED when it went out; False /
        NOBODY_WAITING when no caller waits for this run (the Response is Skipped); TOO_LATE when the caller
        waited but was already answered with its timeout, ALREADY_ANSWERED when another Response answered it
        (the Response then Fails, and the run with it)."""
        ...

    async def invoke_workflow(
        self, workflow_id: str, trigger_name: str, body: Any, headers: dict[str, str]
    ) -> ResponseMessage | None:
        """The Workflow action: run the child through its Request trigger and wait for its Response
        (None when the child has no Response action). Raises KeylessError when the child does not exist."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait and retry delays; durable where the host can be (DBOS.sleep), and cancellable."""
        ...

    def appsetting(self, name: str) -> Any: ...
