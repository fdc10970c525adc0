"""A keyless served in-process on a background event loop, so tests can reach its `Services` directly.

The Graph HTTP API is not needed to set up directory objects: tests call the domain objects (the same
ones the running listeners use) on the server's own loop, so no second store sees stale caches.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from keyless import server
from keyless.identity.directory import Directory
from keyless.platform.settings import Settings
from keyless.services import Services

T = TypeVar("T")


class InProcessKeyless:
    """`keyless.server.serve` on its own thread; `run(coro)` executes on the server's loop."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.settings = Settings(data_dir=data_dir.resolve(), database_url=database_url)
        self.loop = asyncio.new_event_loop()
        self.thread: threading.Thread | None = None
        self.services: Services | None = None
        self.e: dict[str, Any] = {}
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 30) -> InProcessKeyless:
        started = threading.Event()

        async def main() -> None:
            self._stop = asyncio.Event()
            ready = asyncio.Event()
            real_build = server.build

            async def capturing_build(settings: Settings) -> Any:
                # serve() builds Services itself; keep a handle on them for the tests.
                built = await real_build(settings)
                self.services = built[0]
                return built

            server.build = capturing_build  # type: ignore[assignment]
            task = asyncio.create_task(server.serve(self.settings, ready=ready, stop=self._stop))
            waiter = asyncio.create_task(ready.wait())
            try:
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                server.build = real_build  # type: ignore[assignment]
            started.set()
            await task

        def target() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(main())
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                started.set()

        self.thread = threading.Thread(target=target, name="keyless-inprocess", daemon=True)
        self.thread.start()
        if not started.wait(timeout):
            raise TimeoutError("in-process keyless did not start")
        if self._error is not None or self.services is None:
            raise RuntimeError(f"in-process keyless failed: {self._error!r}")
        self.e = json.loads((self.settings.data_dir / "endpoints.json").read_text())
        return self

    def trust_env(self) -> dict[str, str | None]:
        """Point REQUESTS_CA_BUNDLE at a bundle that adds this CA; requests lets that variable override an
        explicit `verify=` on a Session, which is how msal passes it. Returns the old values for `untrust_env`."""
        old = {name: os.environ.get(name) for name in ("REQUESTS_CA_BUNDLE",)}
        bundle = self.settings.data_dir / "ca-bundle.pem"
        parts = [Path(self.ca).read_bytes()]
        previous = old["REQUESTS_CA_BUNDLE"]
        if previous and Path(previous).is_file():
            parts.append(Path(previous).read_bytes())
        bundle.write_bytes(b"\n".join(parts))
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
        return old

    @staticmethod
    def untrust_env(old: dict[str, str | None]) -> None:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.thread is None:
            return
        assert self._stop is not None
        # Clients the tests dropped may still hold keep-alive TLS connections; uvicorn would wait for them.
        gc.collect()
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)
        self.thread = None
        self.loop.close()
        self.loop = asyncio.new_event_loop()

    @property
    def svc(self) -> Services:
        assert self.services is not None
        return self.services

    @property
    def ca(self) -> str:
        return str(self.e["ca_cert"])

    @property
    def tenant(self) -> str:
        return str(self.e["tenant_id"])

    @property
    def login(self) -> str:
        return str(self.e["login"])

    @property
    def authority(self) -> str:
        return f"{self.login}/{self.tenant}"


# --- directory set-up, on the server's loop ----------------------------------------------------------


def arm(kl: InProcessKeyless, method: str, path: str, body: Any = None, *, api_version: str = "2022-08-01") -> Any:
    """One ARM call as the local admin (a fresh client-credentials token each time)."""
    import requests

    token = requests.post(
        f"{kl.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": kl.e["admin"]["client_id"],
            "client_secret": kl.e["admin"]["client_secret"],
            "scope": "https://management.azure.com/.default",
        },
        verify=kl.ca,
        timeout=10,
    ).json()["access_token"]
    return requests.request(
        method,
        f"{kl.e['management']}{path}",
        params={"api-version": api_version},
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        verify=kl.ca,
        timeout=10,
    )


def self_signed(name: str = "keyless-test-client") -> tuple[bytes, bytes, str]:
    """(private key PEM, certificate DER, SHA-1 thumbprint hex) for a client certificate credential."""
    import datetime as dt
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, der, hashlib.sha1(der).hexdigest()


def der_to_pem(der: bytes) -> bytes:
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()


async def make_api(
    svc: Services,
    name: str,
    *,
    roles: dict[str, bool] | None = None,
    version: int | None = None,
    assignment_required: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An API application (identifier URI `api://<name>`) with app roles {value: isEnabled}, and its SP."""
    import uuid

    app_roles = [
        {
            "id": str(uuid.uuid4()),
            "allowedMemberTypes": ["Application"],
            "displayName": value,
            "description": value,
            "value": value,
            "isEnabled": enabled,
        }
        for value, enabled in (roles or {}).items()
    ]
    d = svc.directory
    app = await d.create_application({"displayName": name, "identifierUris": [f"api://{name}"], "appRoles": app_roles})
    if version is not None:
        app = await d.update_application(app["id"], {"api": {"requestedAccessTokenVersion": version}})
    sp = await d.create_service_principal({"appId": app["appId"]})
    if assignment_required:
        sp = await d.update_service_principal(sp["id"], {"appRoleAssignmentRequired": True})
    return app, sp


async def make_client(
    svc: Services, name: str, *, certificate_der: bytes | None = None, expired_secret: bool = False
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A client application with a service principal and a secret (already expired if asked)."""
    import base64
    import uuid

    d = svc.directory
    app = await d.create_application({"displayName": name})
    if certificate_der is not None:
        key = {
            "customKeyIdentifier": None,
            "displayName": f"CN={name}",
            "keyId": str(uuid.uuid4()),
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "key": base64.b64encode(certificate_der).decode("ascii"),
        }
        app = await d.update_application(app["id"], {"keyCredentials": [key]})
    sp = await d.create_service_principal({"appId": app["appId"]})
    fields = {"displayName": "test"}
    if expired_secret:
        fields.update(startDateTime="2020-01-01T00:00:00Z", endDateTime="2020-06-01T00:00:00Z")
    secret = await d.add_password(app["id"], fields)
    return app, sp, str(secret["secretText"])


async def grant(
    svc: Services, client_sp: dict[str, Any], api_sp: dict[str, Any], value: str, directory: Directory | None = None
) -> None:
    role = next(r for r in api_sp["appRoles"] if r["value"] == value)
    await (directory or svc.directory).assign_app_role(client_sp["id"], api_sp["id"], role["id"])


async def disable_role(svc: Services, app: dict[str, Any], value: str) -> dict[str, Any]:
    """Disable an app role on the application (Graph refuses assigning a disabled role, not disabling one)."""
    current = await svc.directory.get_application(app["id"])
    roles = [{**r, "isEnabled": False} if r["value"] == value else r for r in current["appRoles"]]
    return await svc.directory.update_application(app["id"], {"appRoles": roles})
