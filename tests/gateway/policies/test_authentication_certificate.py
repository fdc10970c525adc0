"""authentication-certificate: compile refusals naming the attribute, PFX parsing, and lookup by thumbprint, id
or body (the backend connection itself is exercised in tests/gateway/management/test_apim_certificates.py)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from keyless.gateway.policies import authentication_certificate as ac

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import CompileError, Ctx, State, el, run_policy

SPEC = ac.SPEC


def pfx(password: str | None = "pw", with_key: bool = True) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"u", key if with_key else None, cert, None, encryption)


def test_spec_facts() -> None:
    assert SPEC.sections == {"inbound"}


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({}, "thumbprint"),
        ({"thumbprint": "AB", "certificate-id": "c"}, "certificate-id"),
        ({"thumbprint": "AB", "body": "@(b)"}, "body"),
        ({"thumbprint": " "}, "thumbprint"),
        ({"thumbprint": "AB", "password": "x"}, "password"),
        ({"certificate-id": "c", "password": "x"}, "password"),
        ({"thumbprint": "AB", "store": "My"}, "store"),
    ],
)
def test_refusals_name_the_attribute(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        SPEC.compile(el(ac.NAME, attrs), Ctx(exprs={"@(b)": lambda s: b""}))
    assert caught.value.attribute == named, caught.value.message


def test_children_and_text_are_refused() -> None:
    with pytest.raises(CompileError, match="not a valid child element"):
        SPEC.compile(el(ac.NAME, {"thumbprint": "AB"}, el("x")), Ctx())
    with pytest.raises(CompileError, match="does not take text content"):
        SPEC.compile(el(ac.NAME, {"thumbprint": "AB"}, text="x"), Ctx())


def test_load_pfx() -> None:
    cert = ac.load_pfx(pfx("pw"), "pw")
    assert len(cert.thumbprint) == 40 and cert.thumbprint == cert.thumbprint.upper() and cert.subject == "CN=unit"
    assert "PRIVATE" not in repr(cert)
    assert ac.load_pfx(pfx(None), None).subject == "CN=unit"
    with pytest.raises(ac.CertificateError):
        ac.load_pfx(pfx("pw"), "wrong")
    with pytest.raises(ac.CertificateError):
        ac.load_pfx(b"not a pfx", None)
    with pytest.raises(ac.CertificateError, match="private key"):
        ac.load_pfx(pfx("pw", with_key=False), "pw")


def state_with(stored: list[ac.StoredCertificate]) -> State:
    async def source(service_id: str) -> list[ac.StoredCertificate]:
        assert service_id == "/svc"
        return stored

    state = State(services=SimpleNamespace(extra={ac.STORE_KEY: source}))
    state.snapshot = SimpleNamespace(service_name="svc", service_id="/svc")
    return state


async def test_lookup_by_thumbprint_and_by_id() -> None:
    data = pfx("pw")
    thumb = ac.load_pfx(data, "pw").thumbprint
    stored = [ac.StoredCertificate("mine", thumb, data, "pw")]
    by_thumb = SPEC.compile(el(ac.NAME, {"thumbprint": thumb.lower()}), Ctx())
    state = state_with(stored)
    assert await run_policy(SPEC, by_thumb, state) == (None, None)
    assert state.request.client_certificate.thumbprint == thumb
    by_id = SPEC.compile(el(ac.NAME, {"certificate-id": "MINE"}), Ctx())
    state = state_with(stored)
    assert await run_policy(SPEC, by_id, state) == (None, None)
    assert state.request.client_certificate.thumbprint == thumb
    _, error = await run_policy(SPEC, SPEC.compile(el(ac.NAME, {"certificate-id": "other"}), Ctx()), state_with(stored))
    assert error is not None and "'other' was not found" in error.message


async def test_body_and_password_from_expressions() -> None:
    data = pfx("secret")
    ctx = Ctx(exprs={"@(b)": lambda s: bytearray(data), "@(p)": lambda s: "secret", "@(bad)": lambda s: "text"})
    cfg = SPEC.compile(el(ac.NAME, {"body": "@(b)", "password": "@(p)"}), ctx)
    state = state_with([])
    assert await run_policy(SPEC, cfg, state) == (None, None)
    assert state.request.client_certificate.subject == "CN=unit"
    _, error = await run_policy(SPEC, SPEC.compile(el(ac.NAME, {"body": "@(b)"}), ctx), state_with([]))
    assert error is not None and "password" in error.message
    _, error = await run_policy(SPEC, SPEC.compile(el(ac.NAME, {"body": "@(bad)"}), ctx), state_with([]))
    assert error is not None and "byte array" in error.message
