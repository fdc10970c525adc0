"""Helpers shared by the Graph tests: unique names, app registration through Graph, tokens, certificates."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_app(kl: Any, **fields: Any) -> dict[str, Any]:
    r = kl.graph("POST", "/applications", json={"displayName": unique("app"), **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def create_sp(kl: Any, app_id: str, **fields: Any) -> dict[str, Any]:
    r = kl.graph("POST", "/servicePrincipals", json={"appId": app_id, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def client_with_secret(kl: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An application, its service principal and a fresh secret, all made through Graph."""
    app = create_app(kl)
    sp = create_sp(kl, app["appId"])
    r = kl.graph("POST", f"/applications/{app['id']}/addPassword", json={"passwordCredential": {"displayName": "t"}})
    assert r.status_code == 200, r.text
    return app, sp, str(r.json()["secretText"])


def token(kl: Any, client_id: str, secret: str, scope: str) -> requests.Response:
    return requests.post(
        f"{kl.e['login']}/{kl.tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope},
        verify=kl.ca,
        timeout=10,
    )


def call_graph(kl: Any, method: str, path: str, bearer: str | None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, f"{kl.e['graph']}/v1.0{path}", headers=headers, verify=kl.ca, timeout=10, **kwargs)


def certificate(cn: str = "keyless-test") -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def assert_graph_error(r: requests.Response, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error["message"]
    inner = error["innerError"]
    assert inner["request-id"] == r.headers["request-id"]
    assert inner["client-request-id"] == r.headers["client-request-id"]
    dt.datetime.strptime(inner["date"], "%Y-%m-%dT%H:%M:%S")
    return dict(error)
