"""AADSTS failures of the token endpoints: Entra's code, `error`, HTTP status and body, and what clients raise."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import CertificateCredential, ClientSecretCredential

from tests.platform.inprocess import InProcessKeyless, der_to_pem, grant, make_api, make_client, self_signed

BODY_KEYS = {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("token-errors")).start()
    old = server.trust_env()
    try:
        yield server
    finally:
        server.untrust_env(old)
        server.stop()


@pytest.fixture(scope="module")
def world(kl: InProcessKeyless) -> dict[str, Any]:
    svc = kl.svc

    async def build() -> dict[str, Any]:
        _, api_sp = await make_api(svc, "err-api", roles={"Api.Invoke": True})
        _, locked_sp = await make_api(svc, "err-locked-api", roles={"Api.Invoke": True}, assignment_required=True)
        client, client_sp, secret = await make_client(svc, "err-client")
        allowed, allowed_sp, allowed_secret = await make_client(svc, "err-allowed-client")
        await grant(svc, allowed_sp, locked_sp, "Api.Invoke")
        expired, _, expired_secret = await make_client(svc, "err-expired-client", expired_secret=True)
        pem, der, thumbprint = self_signed()
        cert_client, _, _ = await make_client(svc, "err-cert-client", certificate_der=der)
        orphan = await svc.directory.create_application({"displayName": "err-no-sp"})
        orphan_secret = (await svc.directory.add_password(orphan["id"], {}))["secretText"]
        return {
            "client": client, "client_sp": client_sp, "secret": secret,
            "allowed": allowed, "allowed_secret": allowed_secret,
            "expired": expired, "expired_secret": expired_secret,
            "cert_client": cert_client, "pem": pem, "der": der, "thumbprint": thumbprint,
            "orphan": orphan, "orphan_secret": orphan_secret, "locked_sp": locked_sp, "api_sp": api_sp,
        }  # fmt: skip

    return kl.run(build())


def post(kl: InProcessKeyless, form: dict[str, str], *, v1: bool = False, tenant: str | None = None,
         **kwargs: Any) -> requests.Response:  # fmt: skip
    path = "oauth2/token" if v1 else "oauth2/v2.0/token"
    return requests.post(f"{kl.login}/{tenant or kl.tenant}/{path}", data=form, verify=kl.ca, timeout=10, **kwargs)


def secret_form(client_id: str, secret: str, scope: str = "api://err-api/.default") -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope}


def assert_aadsts(r: requests.Response, status: int, error: str, code: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == BODY_KEYS
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert f"Trace ID: {body['trace_id']}" in body["error_description"]
    assert f"Correlation ID: {body['correlation_id']}" in body["error_description"]
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"
    assert r.headers["content-type"].startswith("application/json")
    return body


def test_wrong_secret(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["client"]["appId"], "not-the-secret"))
    body = assert_aadsts(r, 401, "invalid_client", 7000215)
    assert world["client"]["appId"] in body["error_description"]


def test_expired_secret(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["expired"]["appId"], world["expired_secret"]))
    assert_aadsts(r, 401, "invalid_client", 7000222)


def test_unknown_client(kl: InProcessKeyless) -> None:
    stranger = str(uuid.uuid4())
    body = assert_aadsts(post(kl, secret_form(stranger, "x")), 400, "unauthorized_client", 700016)
    assert f"'{stranger}'" in body["error_description"] and kl.tenant in body["error_description"]


def test_unknown_resource(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["client"]["appId"], world["secret"], "api://nobody-here/.default"))
    body = assert_aadsts(r, 400, "invalid_resource", 500011)
    assert "api://nobody-here" in body["error_description"]
    # the v1 endpoint names the resource the same way
    form = {**secret_form(world["client"]["appId"], world["secret"]), "resource": "api://nobody-here"}
    del form["scope"]
    assert_aadsts(post(kl, form, v1=True), 400, "invalid_resource", 500011)


def test_scope_without_default(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["client"]["appId"], world["secret"], "api://err-api/Api.Invoke"))
    body = assert_aadsts(r, 400, "invalid_scope", 1002012)
    assert "/.default" in body["error_description"]


def test_assignment_required(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["client"]["appId"], world["secret"], "api://err-locked-api/.default"))
    body = assert_aadsts(r, 400, "invalid_grant", 501051)
    assert world["client"]["appId"] in body["error_description"]
    assert world["locked_sp"]["appId"] in body["error_description"]
    # an assigned client gets through, with its role
    ok = post(kl, secret_form(world["allowed"]["appId"], world["allowed_secret"], "api://err-locked-api/.default"))
    assert ok.status_code == 200, ok.text
    claims = jwt.decode(ok.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["Api.Invoke"]


def test_unknown_tenant(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    other = str(uuid.uuid4())
    body = assert_aadsts(post(kl, secret_form(world["client"]["appId"], world["secret"]), tenant=other),
                         400, "invalid_request", 90002)  # fmt: skip
    assert f"'{other}'" in body["error_description"]
    r = requests.get(f"{kl.login}/{other}/v2.0/.well-known/openid-configuration", verify=kl.ca, timeout=10)
    assert_aadsts(r, 400, "invalid_request", 90002)


def test_missing_and_unsupported_grant_type(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    form = secret_form(world["client"]["appId"], world["secret"])
    del form["grant_type"]
    body = assert_aadsts(post(kl, form), 400, "invalid_request", 900144)
    assert "'grant_type'" in body["error_description"]
    form["grant_type"] = "urn:made:up"
    assert_aadsts(post(kl, form), 400, "unsupported_grant_type", 70003)


def test_missing_credential(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    form = secret_form(world["client"]["appId"], "")
    del form["client_secret"]
    assert_aadsts(post(kl, form), 401, "invalid_client", 7000218)


def test_app_without_service_principal(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    r = post(kl, secret_form(world["orphan"]["appId"], world["orphan_secret"]))
    body = assert_aadsts(r, 401, "invalid_client", 7000229)
    assert world["orphan"]["appId"] in body["error_description"]


def test_correlation_id_echoes_client_request_id(kl: InProcessKeyless) -> None:
    request_id = str(uuid.uuid4())
    r = post(kl, secret_form(str(uuid.uuid4()), "x"), headers={"client-request-id": request_id})
    assert r.json()["correlation_id"] == request_id


# --- client assertions -------------------------------------------------------------------------


def assertion(client_id: str, pem: bytes, thumbprint: str, audience: str, **overrides: Any) -> str:
    import base64

    now = time.time()
    claims = {"aud": audience, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()), "iat": now,
              "nbf": now, "exp": now + 600, **overrides}  # fmt: skip
    x5t = base64.b64encode(bytes.fromhex(thumbprint)).decode()
    return jwt.encode(claims, pem, algorithm="RS256", headers={"x5t": x5t})


def assertion_form(client_id: str, token: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": token,
        "scope": "api://err-api/.default",
    }


def test_hand_made_assertion_is_accepted(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    token = assertion(cid, world["pem"], world["thumbprint"], f"{kl.authority}/oauth2/v2.0/token")
    r = post(kl, assertion_form(cid, token))
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["appidacr"] == "2"


def test_assertion_with_x5t_s256_header(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    """RFC 7515 `x5t#S256` (base64url SHA-256 of the certificate) names the key as well as `x5t` does."""
    import base64
    import hashlib

    cid = world["cert_client"]["appId"]
    now = time.time()
    claims = {"aud": f"{kl.authority}/oauth2/v2.0/token", "iss": cid, "sub": cid, "jti": str(uuid.uuid4()),
              "iat": now, "exp": now + 600}  # fmt: skip
    s256 = base64.urlsafe_b64encode(hashlib.sha256(world["der"]).digest()).rstrip(b"=").decode()
    token = jwt.encode(claims, world["pem"], algorithm="PS256", headers={"x5t#S256": s256})
    r = post(kl, assertion_form(cid, token))
    assert r.status_code == 200, r.text
    token = jwt.encode(claims, world["pem"], algorithm="RS256", headers={})
    assert_aadsts(post(kl, assertion_form(cid, token)), 401, "invalid_client", 700027)


def test_assertion_with_unregistered_certificate(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    pem, _, thumbprint = self_signed("someone-else")
    token = assertion(cid, pem, thumbprint, f"{kl.authority}/oauth2/v2.0/token")
    body = assert_aadsts(post(kl, assertion_form(cid, token)), 401, "invalid_client", 700027)
    assert thumbprint.upper() in body["error_description"]


def test_assertion_signed_by_another_key_with_the_registered_thumbprint(
    kl: InProcessKeyless, world: dict[str, Any]
) -> None:
    cid = world["cert_client"]["appId"]
    pem, _, _ = self_signed("forger")
    token = assertion(cid, pem, world["thumbprint"], f"{kl.authority}/oauth2/v2.0/token")
    assert_aadsts(post(kl, assertion_form(cid, token)), 401, "invalid_client", 700027)


def test_assertion_that_is_not_a_jwt(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    assert_aadsts(post(kl, assertion_form(cid, "not.a.jwt")), 401, "invalid_client", 700027)


def test_assertion_expired(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    past = time.time() - 7200
    token = assertion(cid, world["pem"], world["thumbprint"], f"{kl.authority}/oauth2/v2.0/token",
                      iat=past, nbf=past, exp=past + 600)  # fmt: skip
    assert_aadsts(post(kl, assertion_form(cid, token)), 401, "invalid_client", 700024)


def test_assertion_for_another_audience(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    token = assertion(cid, world["pem"], world["thumbprint"], "https://example.com/token")
    assert post(kl, assertion_form(cid, token)).status_code == 401


def test_assertion_with_wrong_issuer(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    cid = world["cert_client"]["appId"]
    token = assertion(cid, world["pem"], world["thumbprint"], f"{kl.authority}/oauth2/v2.0/token",
                      iss=str(uuid.uuid4()))  # fmt: skip
    assert_aadsts(post(kl, assertion_form(cid, token)), 401, "invalid_client", 700023)


# --- what the clients make of it ----------------------------------------------------------------


class CountingTransport(RequestsTransport):
    """Counts token requests, to show a refusal is not retried."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token_posts = 0

    def send(self, request: Any, **kwargs: Any) -> Any:
        if request.method == "POST" and request.url.endswith("/token"):
            self.token_posts += 1
        return super().send(request, **kwargs)


@pytest.mark.parametrize(
    ("case", "code"),
    [("wrong_secret", 7000215), ("unknown_resource", 500011), ("not_assigned", 501051), ("unknown_client", 700016)],
)
def test_azure_identity_raises_with_the_aadsts_code_once(
    kl: InProcessKeyless, world: dict[str, Any], case: str, code: int
) -> None:
    client_id, secret, scope = world["client"]["appId"], world["secret"], "api://err-api/.default"
    if case == "wrong_secret":
        secret = "wrong"
    elif case == "unknown_resource":
        scope = "api://nobody-here/.default"
    elif case == "not_assigned":
        scope = "api://err-locked-api/.default"
    else:
        client_id = str(uuid.uuid4())
    transport = CountingTransport(connection_verify=kl.ca)
    credential = ClientSecretCredential(
        kl.tenant, client_id, secret, authority=kl.login, disable_instance_discovery=True, transport=transport
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token(scope)
    assert f"AADSTS{code}" in caught.value.message
    assert transport.token_posts == 1


def test_azure_identity_certificate_not_registered(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    pem, der, _ = self_signed("unregistered")
    transport = CountingTransport(connection_verify=kl.ca)
    credential = CertificateCredential(
        kl.tenant, world["cert_client"]["appId"], certificate_data=pem + der_to_pem(der),
        authority=kl.login, disable_instance_discovery=True, transport=transport,
    )  # fmt: skip
    with pytest.raises(ClientAuthenticationError) as caught:
        credential.get_token("api://err-api/.default")
    assert "AADSTS700027" in caught.value.message
    assert transport.token_posts == 1


class CountingSession(requests.Session):
    def __init__(self, ca: str) -> None:
        super().__init__()
        self.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        self.verify = ca
        self.token_posts = 0

    def post(self, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.token_posts += 1
        return super().post(url, *args, **kwargs)


def test_msal_returns_the_error_dict(kl: InProcessKeyless, world: dict[str, Any]) -> None:
    app = msal.ConfidentialClientApplication(
        world["client"]["appId"], client_credential="wrong", authority=kl.authority,
        instance_discovery=False, verify=kl.ca,
    )  # fmt: skip
    result = app.acquire_token_for_client(scopes=["api://err-api/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert "access_token" not in result
    session = CountingSession(kl.ca)
    counted = msal.ConfidentialClientApplication(
        world["client"]["appId"], client_credential="wrong", authority=kl.authority,
        instance_discovery=False, http_client=session,
    )  # fmt: skip
    assert counted.acquire_token_for_client(scopes=["api://err-api/.default"])["error_codes"] == [7000215]
    assert session.token_posts == 1  # a 4xx is an answer, not a reason to retry
    # msal posts a scope without /.default as given; the endpoint refuses it
    result = app.acquire_token_for_client(scopes=["api://err-api/Api.Invoke"])
    assert result["error"] == "invalid_scope"
    assert result["error_codes"] == [1002012]
