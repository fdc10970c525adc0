"""authentication-certificate: the backend connection presents a client certificate (thumbprint, id or PFX bytes)."""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from keyless.gateway.element import Element
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value
from keyless.gateway.throttling import check_attributes, check_children

NAME = "authentication-certificate"
SOURCES = ("thumbprint", "certificate-id", "body")
# GatewayServices.extra keys: the service's uploaded certificates (set by management/certificates.py) and the
# parsed-certificate cache.
STORE_KEY = "apim-certificates"
CACHE_KEY = "authentication-certificate:parsed"
CACHE_SIZE = 256


class CertificateError(ValueError):
    """PFX data that cannot be read (bad encoding, wrong password, no private key)."""


@dataclass(frozen=True)
class ClientCertificate:
    """A parsed PFX: what the backend connection presents. The PEM key never leaves this object."""

    thumbprint: str  # SHA-1 of the DER certificate, upper-case hex, as APIM shows it
    subject: str
    not_after: str  # ISO 8601 UTC
    _cert_pem: bytes = field(repr=False)
    _key_pem: bytes = field(repr=False)
    _contexts: dict[int, ssl.SSLContext] = field(default_factory=dict, repr=False, compare=False)

    def context(self, base: ssl.SSLContext | None) -> ssl.SSLContext:
        """A TLS client context trusting what `base` trusts (keyless's CA for local backends) and presenting this
        certificate; one per base context, kept."""
        found = self._contexts.get(id(base))
        if found is not None:
            return found
        ctx = ssl.create_default_context()
        if base is not None:
            for der in base.get_ca_certs(binary_form=True):
                ctx.load_verify_locations(cadata=der)
            ctx.check_hostname = base.check_hostname
            ctx.verify_mode = base.verify_mode
        # ssl loads a key only from a file: a private temporary directory, removed at once.
        with tempfile.TemporaryDirectory(prefix="keyless-cert-") as folder:
            path = os.path.join(folder, "client.pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(self._cert_pem + self._key_pem)
            ctx.load_cert_chain(path)
        self._contexts[id(base)] = ctx
        return ctx


def load_pfx(data: bytes, password: str | None) -> ClientCertificate:
    """Parse a PKCS#12 blob (with its password); refuses one without a certificate and private key."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(bytes(data), password.encode("utf-8") if password else None)
    except (ValueError, TypeError) as exc:
        raise CertificateError("The certificate data is not a PFX this password opens.") from exc
    if cert is None or key is None:
        raise CertificateError("The PFX holds no certificate with its private key.")
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain or ())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ClientCertificate(
        thumbprint=hashlib.sha1(der, usedforsecurity=False).hexdigest().upper(),
        subject=subject_of(cert),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        _cert_pem=pem,
        _key_pem=key_pem,
    )


def subject_of(cert: x509.Certificate) -> str:
    """The subject as .NET writes it (most specific first: `CN=a, O=b`)."""
    return ", ".join(attr.rfc4514_string() for attr in reversed(list(cert.subject)))


def parsed(services: Any, data: bytes, password: str | None) -> ClientCertificate:
    """Parse once per (data, password) and keep it: the TLS context built from it is reused too."""
    cache: OrderedDict[str, ClientCertificate] = services.extra.setdefault(CACHE_KEY, OrderedDict())
    digest = hashlib.sha256(bytes(data) + b"\0" + (password or "").encode("utf-8")).hexdigest()
    found = cache.get(digest)
    if found is None:
        found = cache[digest] = load_pfx(data, password)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(digest)
    return found


@dataclass(frozen=True)
class StoredCertificate:
    """One `Microsoft.ApiManagement/service/certificates` entity as the gateway reads it."""

    name: str
    thumbprint: str
    data: bytes
    password: str | None


# service id -> that service's certificates (management/certificates.py provides it).
CertificateSource = Callable[[str], Awaitable[list[StoredCertificate]]]


@dataclass(frozen=True)
class Config:
    source: str  # thumbprint | certificate-id | body
    value: Value
    password: Value | None


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, (*SOURCES, "password"))
    check_children(ctx, element, ())
    given = [name for name in SOURCES if name in element.attrs]
    if not given:
        raise ctx.error(element, f"'{NAME}' needs one of 'thumbprint', 'certificate-id' or 'body'.", "thumbprint")
    if len(given) > 1:
        raise ctx.error(element, f"'{NAME}' takes only one of {', '.join(repr(g) for g in given)}.", given[1])
    source = given[0]
    raw = element.attrs[source]
    if not raw.strip():
        raise ctx.error(element, f"Attribute '{source}' of '{NAME}' must not be empty.", source)
    raw_password = element.attrs.get("password")
    if raw_password is not None and source != "body":
        raise ctx.error(element, f"'password' of '{NAME}' goes with 'body' only.", "password")
    password = None if raw_password is None else ctx.value(element, raw_password, attribute="password")
    return Config(source, ctx.value(element, raw, attribute=source), password)


def _failure(message: str) -> PolicyError:
    # [INF] APIM's LastError reason for an unusable client certificate is not documented.
    return PolicyError(NAME, "ClientCertificateNotFound", message)


async def resolve(cfg: Config, state: RequestState) -> ClientCertificate:
    services = state.services
    value = cfg.value.get(state)
    if cfg.source == "body":
        if not isinstance(value, bytes | bytearray) or not value:
            raise _failure(f"'body' of '{NAME}' must be the certificate as a byte array.")
        password = None if cfg.password is None else cfg.password.get(state)
        try:
            return parsed(services, bytes(value), None if password is None else str(password))
        except CertificateError as exc:
            raise _failure(str(exc)) from None
    source: CertificateSource | None = services.extra.get(STORE_KEY)
    snapshot = getattr(state, "snapshot", None)
    service_id = "" if snapshot is None else str(snapshot.service_id)
    stored = await source(service_id) if source is not None and service_id else []
    wanted = str(value or "").strip()
    if cfg.source == "thumbprint":
        wanted = wanted.replace(" ", "").upper()
        match = next((c for c in stored if c.thumbprint.upper() == wanted), None)
        missing = f"Certificate with thumbprint '{wanted}' was not found in the service's certificates."
    else:
        match = next((c for c in stored if c.name.lower() == wanted.lower()), None)
        missing = f"Certificate '{wanted}' was not found in the service's certificates."
    if match is None:
        raise _failure(missing)
    try:
        return parsed(services, match.data, match.password)
    except CertificateError as exc:
        raise _failure(str(exc)) from None


async def run(cfg: Config, state: RequestState) -> None:
    cert = await resolve(cfg, state)
    # The backend connection (forward-request, or the send-request this policy is a child of) presents it.
    state.request.client_certificate = cert
    state.trace(NAME, {"message": "Client certificate set.", "thumbprint": cert.thumbprint, "subject": cert.subject})
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile, run)
