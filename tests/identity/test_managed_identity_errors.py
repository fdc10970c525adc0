"""Managed identity endpoints on the wire: exact success and error bodies of IMDS and App Service, the secrets,
and keyless's identityEndpoints management call."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from tests.identity.test_managed_identity import HOST_TYPE, World, make_world, verify

IMDS_PATH = "/metadata/identity/oauth2/token"
NOT_A_UAMI = "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("mi-errors"))
    try:
        yield w
    finally:
        w.kl.stop()


def imds(world: World, host: str = "both", *, headers: dict[str, str] | None = None, **query: str) -> requests.Response:
    base = world.env[host]["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
    params = {"api-version": "2018-02-01", "resource": world.api, **query}
    return requests.get(base + IMDS_PATH, params=params, headers={"Metadata": "true"} if headers is None else headers)


def app_service(
    world: World, host: str = "both", *, headers: dict[str, str] | None = None, **query: str
) -> requests.Response:
    env = world.env[host]
    params = {"api-version": "2019-08-01", "resource": world.api, **query}
    sent = {"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]} if headers is None else headers
    return requests.get(env["IDENTITY_ENDPOINT"], params=params, headers=sent)


# --- IMDS ------------------------------------------------------------------------------------------------------


def test_imds_success_body_is_all_strings_as_documented(world: World) -> None:
    before = int(time.time())
    r = imds(world)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "access_token",
        "client_id",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
        "token_type",
    }
    assert all(isinstance(v, str) for v in body.values())
    assert body["client_id"] == world.system["both"].client_id
    assert body["resource"] == world.api
    assert body["token_type"] == "Bearer"
    assert 86000 < int(body["expires_in"]) <= 86399
    assert body["ext_expires_in"] == body["expires_in"]
    claims = verify(world, body["access_token"], world.api)
    assert int(body["expires_on"]) == claims["exp"] and int(body["not_before"]) == claims["nbf"]
    assert before - 1 <= claims["nbf"] <= int(time.time()) + 1
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("value", [None, "True", "false", "1"])
def test_imds_requires_the_metadata_header_lower_case(world: World, value: str | None) -> None:
    r = imds(world, headers={} if value is None else {"Metadata": value})
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": "Required metadata header not specified"}


def test_imds_wrong_secret_path_is_refused_without_a_token(world: World) -> None:
    base = world.env["both"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"].rsplit("/", 1)[0]
    for secret in ("not-the-secret", world.env["both"]["IDENTITY_HEADER"][:-1]):
        r = requests.get(
            f"{base}/{secret}{IMDS_PATH}",
            params={"api-version": "2018-02-01", "resource": world.api},
            headers={"Metadata": "true"},
        )
        assert r.status_code == 401
        assert r.json() == {"error": "unknown_source", "error_description": "Unknown Source"}


@pytest.mark.parametrize(
    ("query", "description"),
    [
        ({"api-version": ""}, "Required api-version parameter not specified"),
        ({"api-version": "2017-12-01"}, "Invalid api-version '2017-12-01'"),
        ({"api-version": "2018-02-30"}, "Invalid api-version '2018-02-30'"),
        ({"resource": ""}, "Required audience parameter not specified"),
        ({"bypass_cache": "maybe"}, "Invalid bypass_cache value 'maybe'"),
    ],
)
def test_imds_refuses_bad_parameters(world: World, query: dict[str, str], description: str) -> None:
    r = imds(world, **query)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": description}


def test_imds_accepts_later_api_versions(world: World) -> None:
    for version in ("2019-08-01", "2023-07-01", "2025-04-07"):
        assert imds(world, **{"api-version": version}).status_code == 200


def test_imds_selectors_are_mutually_exclusive(world: World) -> None:
    u1 = world.uami["u1"]
    r = imds(world, client_id=u1.client_id, msi_res_id=u1.resource_id)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "client_id, msi_res_id" in r.json()["error_description"]
    assert imds(world, client_id="").status_code == 400


@pytest.mark.parametrize(
    "selector",
    [
        {"client_id": str(uuid.uuid4())},
        {"object_id": str(uuid.uuid4())},
        {"msi_res_id": NOT_A_UAMI},
    ],
)
def test_imds_unassigned_identity_is_identity_not_found(world: World, selector: dict[str, str]) -> None:
    r = imds(world, **selector)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": "Identity not found"}


def test_imds_identity_of_another_host_is_not_found(world: World) -> None:
    # u2 exists, but the only-u1 host was not given it.
    r = imds(world, "only-u1", client_id=world.uami["u2"].client_id)
    assert r.json() == {"error": "invalid_request", "error_description": "Identity not found"}


def test_imds_several_user_assigned_identities_need_a_selector(world: World) -> None:
    r = imds(world, "two-uamis")
    assert r.status_code == 400
    assert r.json()["error_description"].startswith("Multiple user assigned identities exist")
    assert imds(world, "two-uamis", client_id=world.uami["u1"].client_id).status_code == 200


def test_imds_unknown_resource_is_aadsts500011(world: World) -> None:
    r = imds(world, resource="api://nobody-registered-this")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_resource"
    assert body["error_codes"] == [500011]
    assert body["error_description"].startswith(
        f"AADSTS500011: The resource principal named api://nobody-registered-this was not found in the tenant "
        f"named {world.kl.tenant}."
    )


def test_imds_assignment_required_without_assignment_is_aadsts501051(world: World) -> None:
    r = imds(world, resource=world.strict)
    assert r.status_code == 400
    body = r.json()
    assert body["error_codes"] == [501051]
    assert f"Application '{world.system['both'].client_id}'" in body["error_description"]


def test_imds_identity_info_names_the_tenant(world: World) -> None:
    base = world.env["both"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
    r = requests.get(
        f"{base}/metadata/identity/info", params={"api-version": "2018-02-01"}, headers={"Metadata": "true"}
    )
    assert r.json() == {"tenantId": world.kl.tenant}
    assert requests.get(f"{base}/metadata/identity/info", params={"api-version": "2018-02-01"}).status_code == 400


# --- App Service -----------------------------------------------------------------------------------------------


def expect_app_service_error(r: requests.Response, status: int, message: str) -> None:
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"statusCode", "message", "correlationId"}
    assert body["statusCode"] == status
    assert message in body["message"]
    assert GUID.match(body["correlationId"])


def test_app_service_success_body(world: World) -> None:
    r = app_service(world, client_id=world.uami["u1"].client_id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "access_token",
        "expires_on",
        "resource",
        "token_type",
        "client_id",
        "expires_in",
        "not_before",
    }
    assert body["client_id"] == world.uami["u1"].client_id
    assert body["resource"] == world.api and body["token_type"] == "Bearer"
    claims = verify(world, body["access_token"], world.api)
    assert body["expires_on"] == str(claims["exp"]) and body["not_before"] == str(claims["nbf"])


@pytest.mark.parametrize("headers", [{}, {"X-IDENTITY-HEADER": "wrong"}, {"X-IDENTITY-HEADER": ""}])
def test_app_service_requires_the_identity_header(world: World, headers: dict[str, str]) -> None:
    expect_app_service_error(app_service(world, headers=headers), 401, "X-IDENTITY-HEADER")


def test_app_service_header_of_another_host_is_refused(world: World) -> None:
    other = world.env["only-u1"]["IDENTITY_HEADER"]
    expect_app_service_error(app_service(world, headers={"X-IDENTITY-HEADER": other}), 401, "X-IDENTITY-HEADER")


def test_app_service_unknown_host_id_looks_like_a_wrong_header(world: World) -> None:
    env = world.env["both"]
    url = env["IDENTITY_ENDPOINT"].replace(env["IDENTITY_ENDPOINT"].split("/")[-2], "no-such-host")
    r = requests.get(
        url,
        params={"api-version": "2019-08-01", "resource": world.api},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
    )
    expect_app_service_error(r, 401, "X-IDENTITY-HEADER")


def test_app_service_refuses_other_api_versions_and_missing_resource(world: World) -> None:
    expect_app_service_error(app_service(world, **{"api-version": "2018-02-01"}), 400, "2018-02-01")
    expect_app_service_error(app_service(world, resource=""), 400, "resource")


def test_app_service_selectors(world: World) -> None:
    u1, u2 = world.uami["u1"], world.uami["u2"]
    for query, expected in [
        ({"principal_id": u2.principal_id}, u2),
        ({"object_id": u1.principal_id}, u1),
        ({"mi_res_id": u2.resource_id}, u2),
        ({"client_id": u1.client_id.upper()}, u1),
    ]:
        r = app_service(world, **query)
        assert r.status_code == 200, (query, r.text)
        assert r.json()["client_id"] == expected.client_id
    expect_app_service_error(app_service(world, client_id=u1.client_id, mi_res_id=u1.resource_id), 400, "mi_res_id")
    expect_app_service_error(
        app_service(world, client_id=str(uuid.uuid4())), 400, "Unable to load the proper Managed Identity."
    )


def test_app_service_unknown_resource_names_aadsts500011(world: World) -> None:
    expect_app_service_error(app_service(world, resource="api://nobody-registered-this"), 400, "AADSTS500011")


def test_legacy_2017_protocol(world: World) -> None:
    env = world.env["both"]
    params = {"api-version": "2017-09-01", "resource": world.api, "clientid": world.uami["u2"].client_id}
    r = requests.get(env["MSI_ENDPOINT"], params=params, headers={"secret": env["MSI_SECRET"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "expires_on", "resource", "token_type"}
    claims = verify(world, body["access_token"], world.api)
    assert claims["appid"] == world.uami["u2"].client_id
    expires = datetime.strptime(body["expires_on"], "%m/%d/%Y %I:%M:%S %p +00:00").replace(tzinfo=UTC)
    assert int(expires.timestamp()) == claims["exp"]
    r = requests.get(
        env["MSI_ENDPOINT"], params={**params, "clientid": str(uuid.uuid4())}, headers={"secret": env["MSI_SECRET"]}
    )
    assert r.status_code == 400
    assert r.json()["Message"] == "No MSI found for specified ClientId/ResourceId."
    r = requests.get(env["MSI_ENDPOINT"], params=params, headers={"X-IDENTITY-HEADER": env["MSI_SECRET"]})
    assert r.status_code == 401 and "StatusCode" in r.json()


# --- identityEndpoints ----------------------------------------------------------------------------------------


def test_identity_endpoints_document(world: World) -> None:
    env = world.env["both"]
    identity = world.kl.e["identity"]
    assert env["resourceId"] == world.hosts["both"]
    assert env["IDENTITY_ENDPOINT"].startswith(f"{identity}/msi/") and env["IDENTITY_ENDPOINT"].endswith("/token")
    assert env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] == f"{identity}/imds/{env['IDENTITY_HEADER']}"
    assert len(env["IDENTITY_HEADER"]) >= 40
    assert [i["type"] for i in env["identities"]] == ["SystemAssigned", "UserAssigned", "UserAssigned"]
    assert env["identities"][1]["clientId"] == world.uami["u1"].client_id
    # The host keeps its endpoints: asking again (any casing, or in a body) gives the same secret.
    again = world.endpoints(world.hosts["both"].upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"))
    assert again.status_code == 200, again.text
    assert again.json()["IDENTITY_HEADER"] == env["IDENTITY_HEADER"]
    token = world.arm.admin_token("https://management.azure.com/")
    by_body = requests.post(
        f"{world.arm.e['management']}/keyless/identityEndpoints",
        json={"resourceId": world.hosts["both"]},
        headers={"Authorization": f"Bearer {token}"},
        verify=world.arm.ca,
    )
    assert by_body.json()["IDENTITY_ENDPOINT"] == env["IDENTITY_ENDPOINT"]
    assert env["IDENTITY_HEADER"] != world.env["only-u1"]["IDENTITY_HEADER"]


def test_identity_endpoints_refusals(world: World) -> None:
    r = world.endpoints(world.hosts["none"])
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoManagedIdentity"
    r = world.endpoints(f"{world.arm.rg_path}/providers/{HOST_TYPE}/never-made")
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"
    r = world.endpoints("not-an-id")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidResourceId"
    token = world.arm.admin_token("https://management.azure.com/")
    r = requests.post(
        f"{world.arm.e['management']}/keyless/identityEndpoints",
        headers={"Authorization": f"Bearer {token}"},
        verify=world.arm.ca,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingResourceId"
    r = requests.post(
        f"{world.arm.e['management']}/keyless/identityEndpoints",
        params={"resourceId": world.hosts["both"]},
        verify=world.arm.ca,
    )
    assert r.status_code == 401 and "IDENTITY_HEADER" not in r.text


def test_identity_endpoints_need_the_admin(world: World) -> None:
    from tests.platform.inprocess import make_client

    app, _, secret = world.kl.run(make_client(world.kl.svc, f"outsider-{uuid.uuid4().hex[:6]}"))
    token = requests.post(
        f"{world.kl.authority}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["appId"],
            "client_secret": secret,
            "scope": "https://management.azure.com/.default",
        },
        verify=world.kl.ca,
    ).json()["access_token"]
    r = requests.post(
        f"{world.arm.e['management']}/keyless/identityEndpoints",
        params={"resourceId": world.hosts["both"]},
        headers={"Authorization": f"Bearer {token}"},
        verify=world.arm.ca,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "AuthorizationFailed"


def test_a_host_that_loses_its_identity_gets_no_more_tokens(world: World) -> None:
    path = world.put_host("fleeting", {"type": "SystemAssigned"})
    r = world.endpoints(path)
    assert r.status_code == 200
    world.env["fleeting"] = r.json()
    assert imds(world, "fleeting").status_code == 200
    world.put_host("fleeting", {"type": "None"})
    r = imds(world, "fleeting")
    assert r.json() == {"error": "invalid_request", "error_description": "Identity not found"}
    expect_app_service_error(app_service(world, "fleeting"), 400, "Unable to load the proper Managed Identity.")
    assert world.arm.arm("DELETE", path, "2024-01-01").status_code == 200
    assert imds(world, "fleeting").json()["error_description"] == "Identity not found"


def test_secrets_stay_out_of_the_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """The host secret is in IMDS paths and headers; nothing keyless logs, at any level, may carry it."""
    caplog.set_level(logging.DEBUG)
    secret = world.env["both"]["IDENTITY_HEADER"]
    imds(world)
    imds(world, client_id=str(uuid.uuid4()))
    app_service(world, headers={"X-IDENTITY-HEADER": secret[:-2]})
    fresh = world.endpoints(world.put_host("logged", {"type": "SystemAssigned"})).json()["IDENTITY_HEADER"]
    # Only what the server side logged (the test's own HTTP client logs the URLs it calls).
    served = [r for r in caplog.records if not r.name.startswith("urllib3")]
    assert any(r.name == "aiosqlite" for r in served), "the server's SQL DEBUG records should reach caplog"
    assert all(secret[:-2] not in r.getMessage() and fresh not in r.getMessage() for r in served)
