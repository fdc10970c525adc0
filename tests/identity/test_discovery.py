"""OIDC discovery and JWKS documents (reference/identity.md §4, §6): issuers, endpoints, keys, caching."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from keyless.platform.ids import b64url, b64url_decode
from tests.platform.inprocess import InProcessKeyless


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("discovery")).start()
    try:
        yield server
    finally:
        server.stop()


def get(kl: InProcessKeyless, path: str) -> requests.Response:
    r = requests.get(f"{kl.login}{path}", verify=kl.ca, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "max-age=86400, private"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["content-type"].startswith("application/json")
    return r


def test_v2_tenant_document(kl: InProcessKeyless) -> None:
    doc = get(kl, f"/{kl.tenant}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"https://login.microsoftonline.com/{kl.tenant}/v2.0"
    assert doc["token_endpoint"] == f"{kl.authority}/oauth2/v2.0/token"
    assert doc["token_endpoint"].startswith("https://127.0.0.1:")
    assert doc["jwks_uri"] == f"{kl.authority}/discovery/v2.0/keys"
    assert doc["authorization_endpoint"] == f"{kl.authority}/oauth2/v2.0/authorize"
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post", "private_key_jwt", "client_secret_basic"
    }  # fmt: skip
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["request_uri_parameter_supported"] is False
    assert doc["msgraph_host"] == "graph.microsoft.com"


def test_v1_tenant_document(kl: InProcessKeyless) -> None:
    doc = get(kl, f"/{kl.tenant}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"https://sts.windows.net/{kl.tenant}/"
    assert doc["token_endpoint"] == f"{kl.authority}/oauth2/token"
    assert doc["authorization_endpoint"] == f"{kl.authority}/oauth2/authorize"
    # as observed on Entra: the v1 document points at the tenant-independent keys
    assert doc["jwks_uri"] == f"{kl.login}/common/discovery/keys"
    assert doc["microsoft_multi_refresh_token"] is True
    assert doc["scopes_supported"] == ["openid"]


@pytest.mark.parametrize("tenant", ["common", "organizations"])
def test_multi_tenant_documents_have_templated_issuers(kl: InProcessKeyless, tenant: str) -> None:
    v2 = get(kl, f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert v2["issuer"] == "https://login.microsoftonline.com/{tenantid}/v2.0"
    assert v2["token_endpoint"] == f"{kl.login}/{tenant}/oauth2/v2.0/token"
    assert v2["jwks_uri"] == f"{kl.login}/{tenant}/discovery/v2.0/keys"
    v1 = get(kl, f"/{tenant}/.well-known/openid-configuration").json()
    assert v1["issuer"] == "https://sts.windows.net/{tenantid}/"
    assert v1["token_endpoint"] == f"{kl.login}/{tenant}/oauth2/token"


def check_key(key: dict[str, Any]) -> None:
    assert key["kty"] == "RSA" and key["use"] == "sig"
    assert key["kid"] == key["x5t"]
    der = base64.b64decode(key["x5c"][0])
    assert key["x5t"] == b64url(hashlib.sha1(der).digest())
    public = x509.load_der_x509_certificate(der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()
    assert int.from_bytes(b64url_decode(key["n"]), "big") == numbers.n
    assert int.from_bytes(b64url_decode(key["e"]), "big") == numbers.e
    assert "=" not in key["n"] and "=" not in key["kid"]


def test_jwks_documents_publish_the_same_keys(kl: InProcessKeyless) -> None:
    tenant_v2 = get(kl, f"/{kl.tenant}/discovery/v2.0/keys").json()["keys"]
    common_v2 = get(kl, "/common/discovery/v2.0/keys").json()["keys"]
    bare_v2 = get(kl, "/discovery/v2.0/keys").json()["keys"]
    v1 = get(kl, "/common/discovery/keys").json()["keys"]
    tenant_v1 = get(kl, f"/{kl.tenant}/discovery/keys").json()["keys"]
    bare_v1 = get(kl, "/discovery/keys").json()["keys"]
    kids = [k["kid"] for k in tenant_v2]
    # the signing key and the published-ahead `next` key
    assert len(kids) == 2 and len(set(kids)) == 2
    for doc in (common_v2, bare_v2, v1, tenant_v1, bare_v1):
        assert [k["kid"] for k in doc] == kids
    for key in tenant_v2 + v1:
        check_key(key)
    assert {k["issuer"] for k in tenant_v2} == {f"https://login.microsoftonline.com/{kl.tenant}/v2.0"}
    assert {k["issuer"] for k in common_v2 + bare_v2} == {"https://login.microsoftonline.com/{tenantid}/v2.0"}
    assert all("issuer" not in k for k in v1 + tenant_v1 + bare_v1)
    # the active key is the one tokens carry
    assert kl.svc.keys.active is not None and kl.svc.keys.active.kid in kids


def test_unknown_tenant_document_is_aadsts90002(kl: InProcessKeyless) -> None:
    r = requests.get(
        f"{kl.login}/00000000-1111-2222-3333-444444444444/.well-known/openid-configuration", verify=kl.ca, timeout=10
    )
    assert r.status_code == 400
    assert r.json()["error_codes"] == [90002]


def test_msal_accepts_the_authority(kl: InProcessKeyless) -> None:
    """msal canonicalizes the discovered token endpoint (https, a path) and takes the tenant from it."""
    app = msal.ConfidentialClientApplication(
        "00000000-0000-0000-0000-000000000001",
        client_credential="unused",
        authority=kl.authority,
        instance_discovery=False,
        http_client=_session(kl),
    )
    assert app.authority.token_endpoint == f"{kl.authority}/oauth2/v2.0/token"
    assert app.authority.tenant == kl.tenant


def _session(kl: InProcessKeyless) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
    session.verify = kl.ca
    return session
