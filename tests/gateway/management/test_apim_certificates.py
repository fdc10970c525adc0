"""Microsoft.ApiManagement/service/certificates and authentication-certificate end to end: a PFX uploaded through
ARM, a policy naming it, and a local HTTPS backend that requires a client certificate and records which it got."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from tests.conftest import Keyless

API_VERSION = "2022-08-01"
PASSWORD = "pfx-Passw0rd"


def client_certificate(common_name: str) -> tuple[bytes, bytes, str]:
    """A self-signed client certificate: (PFX with PASSWORD, certificate PEM, SHA-1 thumbprint)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Contoso"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(dt.datetime(2030, 1, 2, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )
    pfx = pkcs12.serialize_key_and_certificates(
        b"client", key, cert, None, serialization.BestAvailableEncryption(PASSWORD.encode())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return pfx, cert.public_bytes(serialization.Encoding.PEM), hashlib.sha1(der).hexdigest().upper()


class MutualTlsBackend:
    """HTTPS with keyless's server certificate; the handshake requires a client certificate from `trusted`."""

    def __init__(self, ca_dir: Path, trusted: list[bytes]) -> None:
        self.seen: list[str] = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                der = self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
                thumbprint = hashlib.sha1(der).hexdigest().upper() if der else ""
                backend.seen.append(thumbprint)
                body = json.dumps({"thumbprint": thumbprint}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(ca_dir / "server.pem", ca_dir / "server-key.pem")
        ctx.verify_mode = ssl.CERT_REQUIRED
        for pem in trusted:
            ctx.load_verify_locations(cadata=pem.decode())
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def certs() -> dict[str, tuple[bytes, bytes, str]]:
    return {"one": client_certificate("client-one"), "two": client_certificate("client-two")}


@pytest.fixture(scope="module")
def backend(keyless: Keyless, certs: dict[str, tuple[bytes, bytes, str]]) -> Iterator[MutualTlsBackend]:
    server = MutualTlsBackend(Path(keyless.ca).parent, [c[1] for c in certs.values()])
    yield server
    server.close()


@pytest.fixture(scope="module")
def service(keyless: Keyless) -> tuple[str, str]:
    name = f"certs-{uuid.uuid4().hex[:6]}"
    svc = f"{keyless.rg_path}/providers/Microsoft.ApiManagement/service/{name}"
    r = keyless.arm(
        "PUT",
        svc,
        API_VERSION,
        json={
            "location": keyless.e["location"],
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "a@example.com", "publisherName": "a"},
        },
    )
    assert r.status_code in (200, 201), r.text
    r = keyless.arm("GET", svc, API_VERSION)
    return svc, r.json()["properties"]["gatewayUrl"]


def put_certificate(keyless: Keyless, svc: str, name: str, properties: dict[str, Any]) -> requests.Response:
    return keyless.arm("PUT", f"{svc}/certificates/{name}", API_VERSION, json={"properties": properties})


def test_upload_shows_subject_thumbprint_and_expiry_never_the_secret(
    keyless: Keyless, service: tuple[str, str], certs: dict[str, tuple[bytes, bytes, str]]
) -> None:
    svc, _ = service
    pfx, _, thumbprint = certs["one"]
    data = base64.b64encode(pfx).decode()
    r = put_certificate(keyless, svc, "client-one", {"data": data, "password": PASSWORD})
    assert r.status_code in (200, 201), r.text
    for shown in (r.json(), keyless.arm("GET", f"{svc}/certificates/client-one", API_VERSION).json()):
        assert shown["properties"] == {
            "subject": "CN=client-one, O=Contoso",
            "thumbprint": thumbprint,
            "expirationDate": "2030-01-02T00:00:00Z",
        }
        assert shown["type"] == "Microsoft.ApiManagement/service/certificates"
        text = json.dumps(shown)
        assert PASSWORD not in text and data[:40] not in text
    listed = keyless.arm("GET", f"{svc}/certificates", API_VERSION).json()["value"]
    assert [c["name"] for c in listed] == ["client-one"] and "_data" not in json.dumps(listed)


@pytest.mark.parametrize(
    ("properties", "target"),
    [
        ({"keyVault": {"secretIdentifier": "https://v.vault.azure.net/secrets/c"}}, "keyVault"),
        ({"data": "bm90IGEgcGZ4", "password": PASSWORD}, "data"),
        ({"data": "***", "password": PASSWORD}, "data"),
        ({"password": PASSWORD}, "data"),
    ],
)
def test_refusals_name_the_field(
    keyless: Keyless, service: tuple[str, str], properties: dict[str, Any], target: str
) -> None:
    r = put_certificate(keyless, service[0], "bad", properties)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["details"][0]["target"] == target


def test_wrong_password_is_refused(
    keyless: Keyless, service: tuple[str, str], certs: dict[str, tuple[bytes, bytes, str]]
) -> None:
    data = base64.b64encode(certs["one"][0]).decode()
    r = put_certificate(keyless, service[0], "bad", {"data": data, "password": "wrong"})
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "data"


def api_with(keyless: Keyless, svc: str, api: str, backend: MutualTlsBackend, inbound: str) -> None:
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/{api}",
        API_VERSION,
        json={
            "properties": {"displayName": api, "path": api, "serviceUrl": backend.url, "subscriptionRequired": False}
        },
    )
    assert r.status_code in (200, 201), r.text
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/{api}/operations/get",
        API_VERSION,
        json={"properties": {"displayName": "get", "method": "GET", "urlTemplate": "/x"}},
    )
    assert r.status_code in (200, 201), r.text
    policy = (
        f"<policies><inbound><base />{inbound}</inbound><backend><base /></backend>"
        "<outbound><base /></outbound><on-error><base /></on-error></policies>"
    )
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/{api}/policies/policy",
        API_VERSION,
        json={"properties": {"format": "rawxml", "value": policy}},
    )
    assert r.status_code in (200, 201), r.text


def test_forward_request_presents_the_certificate(
    keyless: Keyless,
    service: tuple[str, str],
    backend: MutualTlsBackend,
    certs: dict[str, tuple[bytes, bytes, str]],
) -> None:
    svc, gateway = service
    pfx_two, _, thumb_two = certs["two"]
    r = put_certificate(keyless, svc, "client-two", {"data": base64.b64encode(pfx_two).decode(), "password": PASSWORD})
    assert r.status_code in (200, 201), r.text
    thumb_one = certs["one"][2]
    api_with(keyless, svc, "bythumb", backend, f'<authentication-certificate thumbprint="{thumb_one.lower()}" />')
    api_with(keyless, svc, "byid", backend, '<authentication-certificate certificate-id="client-two" />')
    api_with(keyless, svc, "none", backend, "")
    api_with(keyless, svc, "missing", backend, '<authentication-certificate certificate-id="nope" />')

    r = requests.get(f"{gateway}/bythumb/x", timeout=10)
    assert r.status_code == 200 and r.json() == {"thumbprint": thumb_one}, r.text
    r = requests.get(f"{gateway}/byid/x", timeout=10)
    assert r.status_code == 200 and r.json() == {"thumbprint": thumb_two}, r.text
    # the same backend, reached again with the first certificate: connections are pooled per certificate
    r = requests.get(f"{gateway}/bythumb/x", timeout=10)
    assert r.json() == {"thumbprint": thumb_one}
    seen = len(backend.seen)
    # without a certificate the backend's handshake refuses the gateway
    assert requests.get(f"{gateway}/none/x", timeout=10).status_code == 500
    assert requests.get(f"{gateway}/missing/x", timeout=10).status_code == 500
    assert len(backend.seen) == seen
    # a deleted certificate is gone for the policy too
    r = keyless.arm("DELETE", f"{svc}/certificates/client-two", API_VERSION)
    assert r.status_code in (200, 204), r.text
    assert requests.get(f"{gateway}/byid/x", timeout=10).status_code == 500
    assert len(backend.seen) == seen


def test_send_request_presents_the_certificate(
    keyless: Keyless,
    service: tuple[str, str],
    backend: MutualTlsBackend,
    certs: dict[str, tuple[bytes, bytes, str]],
) -> None:
    svc, gateway = service
    inbound = (
        '<send-request mode="new" response-variable-name="r" timeout="10">'
        f"<set-url>{backend.url}/side</set-url><set-method>GET</set-method>"
        '<authentication-certificate certificate-id="client-one" /></send-request>'
        '<return-response><set-status code="200" reason="OK" />'
        '<set-body>@(((IResponse)context.Variables["r"]).Body.As&lt;string&gt;())</set-body></return-response>'
    )
    api_with(keyless, svc, "side", backend, inbound)
    r = requests.get(f"{gateway}/side/x", timeout=10)
    assert r.status_code == 200 and json.loads(r.text) == {"thumbprint": certs["one"][2]}, r.text


def test_metrics_admin_call_shows_emitted_metrics(keyless: Keyless, service: tuple[str, str]) -> None:
    svc, gateway = service
    name = svc.rsplit("/", 1)[1]
    policy = (
        '<policies><inbound><base /><emit-metric name="Hits" namespace="e2e" value="3">'
        '<dimension name="API ID" /></emit-metric>'
        '<return-response><set-status code="204" reason="No Content" /></return-response></inbound>'
        "<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
    )
    keyless.arm(
        "PUT",
        f"{svc}/apis/metered",
        API_VERSION,
        json={
            "properties": {
                "displayName": "m",
                "path": "metered",
                "serviceUrl": "http://127.0.0.1:9",
                "subscriptionRequired": False,
            }
        },
    )
    keyless.arm(
        "PUT",
        f"{svc}/apis/metered/operations/get",
        API_VERSION,
        json={"properties": {"displayName": "get", "method": "GET", "urlTemplate": "/x"}},
    )
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/metered/policies/policy",
        API_VERSION,
        json={"properties": {"format": "rawxml", "value": policy}},
    )
    assert r.status_code in (200, 201), r.text
    assert requests.get(f"{gateway}/metered/x", timeout=10).status_code == 204
    r = keyless.arm("GET", f"/keyless/apim/metrics?service={name}", API_VERSION)
    assert r.status_code == 200, r.text
    (shown,) = r.json()["value"]
    (metric,) = [m for m in shown["value"] if m["namespace"] == "e2e"]
    assert metric["name"] == "Hits" and metric["dimensions"] == {"API ID": "metered"}
    assert metric["timeseries"][0]["sum"] == 3.0
