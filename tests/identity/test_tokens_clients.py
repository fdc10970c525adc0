"""Client credentials with the real clients (msal, azure-identity), tokens checked by PyJWT on the JWKS."""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import Iterator
from typing import Any

import jwt
import msal
import pytest
import requests
from azure.identity import CertificateCredential, ClientSecretCredential

from tests.platform.inprocess import (
    InProcessKeyless,
    der_to_pem,
    disable_role,
    grant,
    make_api,
    make_client,
    self_signed,
)

V1_CLAIMS = {"aud", "iss", "iat", "nbf", "exp", "aio", "appid", "appidacr", "idp", "idtyp", "oid", "rh", "sub", "tid"}
V1_CLAIMS |= {"uti", "ver"}
V2_CLAIMS = {
    "aud",
    "iss",
    "iat",
    "nbf",
    "exp",
    "aio",
    "azp",
    "azpacr",
    "idtyp",
    "oid",
    "rh",
    "sub",
    "tid",
    "uti",
    "ver",
}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("tokens")).start()
    old = server.trust_env()
    try:
        yield server
    finally:
        server.untrust_env(old)
        server.stop()


@pytest.fixture(scope="module")
def world(kl: InProcessKeyless) -> dict[str, Any]:
    """Two APIs (v1 and v2 tokens), a secret client, a certificate client, a client without roles."""
    svc = kl.svc

    async def build() -> dict[str, Any]:
        v1_app, v1_sp = await make_api(
            svc, "tok-v1-api", roles={"Api.Invoke": True, "Api.Old": True, "Api.Admin": True}
        )
        v2_app, v2_sp = await make_api(svc, "tok-v2-api", roles={"Api.Invoke": True}, version=2)
        client, client_sp, secret = await make_client(svc, "tok-client")
        await grant(svc, client_sp, v1_sp, "Api.Invoke")
        await grant(svc, client_sp, v1_sp, "Api.Old")
        await disable_role(svc, v1_app, "Api.Old")  # still assigned, but no longer enabled
        await grant(svc, client_sp, v2_sp, "Api.Invoke")
        pem, der, thumbprint = self_signed()
        cert_client, cert_sp, _ = await make_client(svc, "tok-cert-client", certificate_der=der)
        await grant(svc, cert_sp, v1_sp, "Api.Admin")
        await grant(svc, cert_sp, v2_sp, "Api.Invoke")
        bare, bare_sp, bare_secret = await make_client(svc, "tok-bare-client")
        return {
            "v1": v1_app, "v1_sp": v1_sp, "v2": v2_app, "v2_sp": v2_sp,
            "client": client, "client_sp": client_sp, "secret": secret,
            "cert_client": cert_client, "cert_sp": cert_sp, "pem": pem, "der": der, "thumbprint": thumbprint,
            "bare": bare, "bare_sp": bare_sp, "bare_secret": bare_secret,
        }  # fmt: skip

    return kl.run(build())


def validate(kl: InProcessKeyless, token: str, *, v2: bool, audience: str) -> dict[str, Any]:
    """What an API does: keys from the jwks_uri of the matching discovery document, then iss/aud/exp."""
    path = "v2.0/.well-known/openid-configuration" if v2 else ".well-known/openid-configuration"
    config = requests.get(f"{kl.authority}/{path}", verify=kl.ca, timeout=10).json()
    client = jwt.PyJWKClient(config["jwks_uri"], ssl_context=ssl.create_default_context(cafile=kl.ca))
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=audience,
        issuer=config["issuer"],
        options={"require": ["exp", "iat", "nbf", "iss", "aud"]},
    )


def msal_app(kl: InProcessKeyless, client_id: str, credential: Any) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id, client_credential=credential, authority=kl.authority, instance_discovery=False, verify=kl.ca
    )


def test_msal_secret_v1_token_has_entra_v1_claims(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    app = msal_app(kl, world["client"]["appId"], world["secret"])
    result = app.acquire_token_for_client(scopes=["api://tok-v1-api/.default"])
    assert "access_token" in result, result
    token = result["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert header["x5t"] == header["kid"]
    claims = validate(kl, token, v2=False, audience="api://tok-v1-api")
    assert set(claims) == V1_CLAIMS | {"roles"}
    assert claims["iss"] == f"https://sts.windows.net/{kl.tenant}/"
    assert claims["idp"] == f"https://sts.windows.net/{kl.tenant}/"
    assert claims["aud"] == "api://tok-v1-api"
    assert claims["appid"] == world["client"]["appId"]
    assert claims["appidacr"] == "1"
    assert claims["idtyp"] == "app"
    assert claims["oid"] == claims["sub"] == world["client_sp"]["id"]
    assert claims["tid"] == kl.tenant
    assert claims["ver"] == "1.0"
    # Api.Old is assigned but disabled: enabled assigned roles only
    assert claims["roles"] == ["Api.Invoke"]
    assert all(isinstance(claims[c], int) for c in ("iat", "nbf", "exp"))
    assert 3000 < claims["exp"] - claims["iat"] <= 3600
    assert result["token_type"] == "Bearer"
    # msal caches: the second call is served from its cache, same token
    again = app.acquire_token_for_client(scopes=["api://tok-v1-api/.default"])
    assert again["access_token"] == token and again.get("token_source") == "cache"


def test_msal_certificate_v2_token_has_entra_v2_claims(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    credential = {"private_key": world["pem"].decode(), "thumbprint": world["thumbprint"]}
    app = msal_app(kl, world["cert_client"]["appId"], credential)
    result = app.acquire_token_for_client(scopes=["api://tok-v2-api/.default"])
    assert "access_token" in result, result
    token = result["access_token"]
    header = jwt.get_unverified_header(token)
    assert "x5t" not in header and header["kid"]
    claims = validate(kl, token, v2=True, audience=world["v2"]["appId"])
    assert set(claims) == V2_CLAIMS | {"roles"}
    assert claims["iss"] == f"https://login.microsoftonline.com/{kl.tenant}/v2.0"
    assert claims["aud"] == world["v2"]["appId"]
    assert claims["azp"] == world["cert_client"]["appId"]
    assert claims["azpacr"] == "2"
    assert claims["oid"] == claims["sub"] == world["cert_sp"]["id"]
    assert claims["ver"] == "2.0"
    assert claims["roles"] == ["Api.Invoke"]


def test_v2_token_fails_v1_issuer_check(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    """The classic pitfall holds here too: a v2 token does not pass a validator built on v1 metadata."""
    app = msal_app(kl, world["client"]["appId"], world["secret"])
    token = app.acquire_token_for_client(scopes=["api://tok-v2-api/.default"])["access_token"]
    with pytest.raises(jwt.InvalidIssuerError):
        validate(kl, token, v2=False, audience=world["v2"]["appId"])


def test_azure_identity_secret_and_certificate(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    secret_cred = ClientSecretCredential(
        kl.tenant,
        world["client"]["appId"],
        world["secret"],
        authority=kl.login,
        disable_instance_discovery=True,
        connection_verify=kl.ca,
    )
    access = secret_cred.get_token("api://tok-v2-api/.default")
    assert access.expires_on > time.time() + 3000
    claims = validate(kl, access.token, v2=True, audience=world["v2"]["appId"])
    assert claims["azp"] == world["client"]["appId"] and claims["azpacr"] == "1"

    cert_cred = CertificateCredential(
        kl.tenant,
        world["cert_client"]["appId"],
        certificate_data=world["pem"] + der_to_pem(world["der"]),
        authority=kl.login,
        disable_instance_discovery=True,
        connection_verify=kl.ca,
    )
    claims = validate(kl, cert_cred.get_token("api://tok-v1-api/.default").token, v2=False, audience="api://tok-v1-api")
    assert claims["appid"] == world["cert_client"]["appId"]
    assert claims["appidacr"] == "2"
    assert claims["roles"] == ["Api.Admin"]


def test_no_roles_claim_without_assignment(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    app = msal_app(kl, world["bare"]["appId"], world["bare_secret"])
    result = app.acquire_token_for_client(scopes=["api://tok-v1-api/.default"])
    claims = validate(kl, result["access_token"], v2=False, audience="api://tok-v1-api")
    assert "roles" not in claims
    assert claims["oid"] == world["bare_sp"]["id"]


def test_v1_aud_is_the_requested_resource_string(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    """v1 `aud` is the resource exactly as asked: the appId GUID when the appId was the scope."""
    app = msal_app(kl, world["client"]["appId"], world["secret"])
    result = app.acquire_token_for_client(scopes=[f"{world['v1']['appId']}/.default"])
    claims = validate(kl, result["access_token"], v2=False, audience=world["v1"]["appId"])
    assert claims["aud"] == world["v1"]["appId"]


def test_v1_endpoint_with_resource_and_string_fields(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = requests.post(
        f"{kl.authority}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world["client"]["appId"],
            "client_secret": world["secret"],
            "resource": "api://tok-v1-api",
        },
        verify=kl.ca,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token"
    }  # fmt: skip
    for field in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(body[field], str) and body[field].isdigit(), field
    assert body["resource"] == "api://tok-v1-api"
    assert body["token_type"] == "Bearer"
    claims = validate(kl, body["access_token"], v2=False, audience="api://tok-v1-api")
    assert int(body["expires_on"]) == claims["exp"]
    assert int(body["not_before"]) == claims["nbf"]
    assert "no-store" in r.headers["cache-control"]


def test_v1_endpoint_gives_a_v2_token_when_the_api_asks_for_v2(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    """The resource app's requestedAccessTokenVersion decides, not the endpoint the client called."""
    r = requests.post(
        f"{kl.authority}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world["client"]["appId"],
            "client_secret": world["secret"],
            "resource": "api://tok-v2-api",
        },
        verify=kl.ca,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["resource"] == "api://tok-v2-api"
    claims = validate(kl, r.json()["access_token"], v2=True, audience=world["v2"]["appId"])
    assert claims["ver"] == "2.0" and claims["azp"] == world["client"]["appId"]


def test_v2_endpoint_response_shape_and_client_secret_basic(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    # client_secret_basic (RFC 6749 §2.3.1): id and secret form-url-encoded, then Basic
    from urllib.parse import quote

    basic = base64.b64encode(f"{quote(world['client']['appId'])}:{quote(world['secret'], safe='')}".encode()).decode()
    r = requests.post(
        f"{kl.authority}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": "api://tok-v2-api/.default"},
        headers={"Authorization": f"Basic {basic}"},
        verify=kl.ca,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert isinstance(body["expires_in"], int) and isinstance(body["ext_expires_in"], int)
    claims = validate(kl, body["access_token"], v2=True, audience=world["v2"]["appId"])
    assert claims["azp"] == world["client"]["appId"]


def test_cae_claims_and_client_info_are_ignored(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    """msgraph-sdk asks with enable_cae, which adds `claims=` (xms_cc CP1); Entra accepts it."""
    credential = ClientSecretCredential(
        kl.tenant,
        world["client"]["appId"],
        world["secret"],
        authority=kl.login,
        disable_instance_discovery=True,
        connection_verify=kl.ca,
    )
    token = credential.get_token("api://tok-v1-api/.default", enable_cae=True).token
    assert validate(kl, token, v2=False, audience="api://tok-v1-api")["roles"] == ["Api.Invoke"]


def test_tokens_verify_against_both_jwks_urls(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    app = msal_app(kl, world["client"]["appId"], world["secret"])
    token = app.acquire_token_for_client(scopes=["api://tok-v1-api/.default"])["access_token"]
    ctx = ssl.create_default_context(cafile=kl.ca)
    for url in (
        f"{kl.login}/common/discovery/keys",
        f"{kl.authority}/discovery/keys",
        f"{kl.authority}/discovery/v2.0/keys",
        f"{kl.login}/common/discovery/v2.0/keys",
    ):
        key = jwt.PyJWKClient(url, ssl_context=ctx).get_signing_key_from_jwt(token)
        assert jwt.decode(token, key.key, algorithms=["RS256"], audience="api://tok-v1-api")["tid"] == kl.tenant


def test_tenant_path_accepts_organizations(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = requests.post(
        f"{kl.login}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": world["client"]["appId"],
            "client_secret": world["secret"],
            "scope": "api://tok-v1-api/.default",
        },
        verify=kl.ca,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert jwt.decode(r.json()["access_token"], options={"verify_signature": False})["tid"] == kl.tenant
