"""The RunHost of a run under `keyless up`: outbound HTTP through keyless's host aliases, managed identity and
client-credentials tokens from keyless's own token service (in process), the waiting caller, child workflows.

Outbound requests carry the run's correlation headers (`x-ms-workflow-run-id`, `x-ms-client-tracking-id`,
`x-ms-correlation-id`, ...) as Logic Apps' do, so the gateway's and the identity service's records of a call can be
joined to the run. Tokens and bodies are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from keyless.identity import errors as aad
from keyless.identity.client_auth import ASSERTION_TYPE, authenticate
from keyless.identity.managed_identity.hosting import IdentityError, Selector
from keyless.identity.tokens import CLIENT_CREDENTIALS_LIFETIME
from keyless.platform.errors import KeylessError
from keyless.platform.ids import b64url
from keyless.workflows.host import HttpRequest, HttpResponse, ResponseMessage, ResponseState

if TYPE_CHECKING:
    from keyless.workflows.runtime import WorkflowRuntime


class OutboundHttp:
    """One pooled aiohttp session for every run's outbound calls; trusts keyless's CA beside the system's."""

    def __init__(self, ca_cert: Path | None) -> None:
        self.ssl = ssl.create_default_context()
        if ca_cert is not None:
            with contextlib.suppress(OSError):
                self.ssl.load_verify_locations(cafile=str(ca_cert))
        self._ca_cert = ca_cert
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self.ssl, limit=512)
            # No cookies kept between runs; bodies stay as sent (the action decodes them).
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
            )
        return self._session

    def client_tls(self, pfx: bytes, password: str | None) -> ssl.SSLContext:
        """A TLS context presenting the PFX's certificate (the Http action's ClientCertificate authentication)."""
        try:
            key, cert, chain = pkcs12.load_key_and_certificates(pfx, password.encode() if password else None)
        except ValueError as exc:
            raise KeylessError(f"The client certificate could not be read: {exc}.", code="BadRequest") from exc
        if key is None or cert is None:
            raise KeylessError("The client certificate has no private key.", code="BadRequest")
        ctx = ssl.create_default_context()
        if self._ca_cert is not None:
            with contextlib.suppress(OSError):
                ctx.load_verify_locations(cafile=str(self._ca_cert))
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *(chain or [])])
        # ssl loads a chain only from a file; it lives for this call only and is owner-readable.
        with tempfile.NamedTemporaryFile(suffix=".pem") as fh:
            fh.write(pem)
            fh.flush()
            ctx.load_cert_chain(fh.name)
        return ctx

    async def send(self, request: HttpRequest, url: str, headers: dict[str, str]) -> HttpResponse:
        tls: Any = self.ssl
        if request.client_certificate is not None:
            tls = self.client_tls(*request.client_certificate)
        timeout = aiohttp.ClientTimeout(total=request.timeout)
        try:
            async with self.session.request(
                request.method,
                url,
                headers=headers,
                data=request.body,
                allow_redirects=False,
                timeout=timeout,
                ssl=tls,
                skip_auto_headers=("User-Agent", "Content-Type") if request.body is None else ("User-Agent",),
            ) as response:
                body = await response.read()
                raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
                return HttpResponse(response.status, raw, body)
        except TimeoutError:
            raise
        except aiohttp.ClientError as exc:
            # The action's retry policy treats OSError as a connection failure (retryable).
            raise OSError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass
class RunContext:
    """Who the run is, for correlation headers and identity: one per run."""

    workflow_id: str  # ARM resource id
    workflow_name: str
    run_name: str
    version: str
    client_tracking_id: str
    tracking_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class WorkflowRunHost:
    """`keyless.workflows.host.RunHost` for one run."""

    def __init__(
        self,
        runtime: WorkflowRuntime,
        context: RunContext,
        *,
        cancel: asyncio.Event | None = None,
    ) -> None:
        self.runtime = runtime
        self.context = context
        self.cancel = cancel or asyncio.Event()

    # --- HTTP ---------------------------------------------------------------------------------------

    def correlation_headers(self) -> dict[str, str]:
        c = self.context
        return {
            "x-ms-workflow-id": c.workflow_id,
            "x-ms-workflow-name": c.workflow_name,
            "x-ms-workflow-version": c.version,
            "x-ms-workflow-run-id": c.run_name,
            "x-ms-workflow-run-tracking-id": c.tracking_id,
            "x-ms-correlation-id": c.tracking_id,
            "x-ms-tracking-id": c.tracking_id,
            "x-ms-client-tracking-id": c.client_tracking_id,
        }

    async def send(self, request: HttpRequest) -> HttpResponse:
        url = self.runtime.services.aliases.resolve(request.url)
        present = {k.lower() for k in request.headers}
        headers: dict[str, str] = {}
        # An Http action with SuppressWorkflowHeaders sends no x-ms-workflow-operation-name: then none of these.
        if "x-ms-workflow-operation-name" in present:
            headers = {k: v for k, v in self.correlation_headers().items() if k not in present}
        headers.update(request.headers)
        return await self.runtime.http.send(request, url, headers)

    # --- tokens -------------------------------------------------------------------------------------

    async def managed_identity_token(self, audience: str, identity: str | None) -> str:
        selector = None if identity is None else Selector("resource_id", identity)
        try:
            _, issued = await self.runtime.identity_hosts.token(
                self.context.workflow_id, audience, selector, correlation_id=self.context.tracking_id
            )
        except IdentityError as exc:
            if exc.code == "not_found" and identity is not None:
                message = f"The user-assigned identity '{identity}' is not assigned to the workflow."
            elif exc.code == "not_found":
                message = "The workflow has no system-assigned managed identity."
            else:
                message = exc.message
            raise KeylessError(message, code="ManagedIdentityNotFound") from exc
        except aad.AadstsError as exc:
            raise KeylessError(exc.message, code=exc.code) from exc
        return issued.access_token

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
        tokens = self.runtime.services.tokens
        try:
            if tenant.lower() not in (tokens.tenant_id.lower(), "organizations", "common"):
                raise aad.tenant_not_found(tenant)
            endpoint = f"https://login.microsoftonline.com/{tokens.tenant_id}/oauth2/token"
            form = {"client_id": client_id}
            if secret is not None:
                form["client_secret"] = secret
            elif pfx is not None:
                form["client_assertion_type"] = ASSERTION_TYPE
                form["client_assertion"] = _client_assertion(pfx, password, client_id, endpoint)
            client = await authenticate(tokens.reads, form, client_id=client_id, token_endpoints={endpoint})
            issued = await tokens.issue(
                client, audience, lifetime=CLIENT_CREDENTIALS_LIFETIME, appidacr="1" if secret is not None else "2"
            )
        except aad.AadstsError as exc:
            raise KeylessError(exc.message, code=exc.code, status=exc.status) from exc
        return issued.access_token

    # --- the waiting caller and children -------------------------------------------------------------

    async def respond(self, message: ResponseMessage) -> ResponseState:
        return await self.runtime.respond(self.context.workflow_id, self.context.run_name, message)

    async def invoke_workflow(
        self, workflow_id: str, trigger_name: str, body: Any, headers: dict[str, str]
    ) -> ResponseMessage | None:
        workflow_id, trigger_name = await self.runtime.child_trigger(workflow_id, trigger_name)
        outputs: dict[str, Any] = {"headers": dict(headers)}
        if body is not None:
            outputs["body"] = body
        from keyless.workflows.triggers.request import fire

        head = await self.runtime.head(workflow_id)
        fired = await fire(self.runtime, head, trigger_name, outputs, wait_response=True, parent=self.context)
        if fired.split or not fired.runs:  # the child's trigger answers 202 at once: split runs, or none fired
            return ResponseMessage(202, {}, None)
        started = fired.runs[0]
        assert started.response is not None
        if not started.has_response:
            self.runtime.forget_waiter(started.run_name)
            return None  # the child runs on; nothing will answer
        return await started.response  # nested callers wait as long as the child takes

    # --- time and settings --------------------------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        """Returns early when the run is cancelled (the interpreter then sees the cancellation).

        Not a DBOS durable sleep: DBOS numbers a workflow's steps by call order, and a resumed run skips the
        actions that had finished (and their retry sleeps), so a resumed Wait would read another sleep's wake-up
        time and could end early. A plain sleep makes a Wait interrupted by a crash wait its full interval again
        (longer, never shorter)."""
        if seconds <= 0 or self.cancel.is_set():
            return
        sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        cancelled = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({sleeper, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, cancelled):
                if not task.done():
                    task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(sleeper, cancelled, return_exceptions=True)

    def appsetting(self, name: str) -> Any:
        return self.runtime.appsetting(name)


def _client_assertion(pfx: bytes, password: str | None, client_id: str, audience: str) -> str:
    """An RFC 7523 client assertion signed with the PFX's key, as ActiveDirectoryOAuth with a certificate sends."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(pfx, password.encode() if password else None)
    except ValueError as exc:
        raise aad.invalid_client_assertion(f"The certificate could not be read: {exc}.") from exc
    if key is None or cert is None:
        raise aad.invalid_client_assertion("The certificate has no private key.")
    der = cert.public_bytes(serialization.Encoding.DER)
    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "exp": now + 600,
    }
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    x5t = b64url(hashlib.sha1(der).digest())  # noqa: S324 - the x5t header is SHA-1 by definition
    return jwt.encode(claims, pem, algorithm="RS256", headers={"x5t": x5t})
