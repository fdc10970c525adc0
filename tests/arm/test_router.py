"""The generic ARM router over plain HTTPS against `keyless up`: api-versions, bodies, scopes, paging, resource
groups and authentication, each refusal in ARM's own status and code, and each leaving everything as it was."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.conftest import Keyless

API = "2024-11-30"
RG_API = "2022-09-01"
UAMI = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def _name(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _raw(keyless: Keyless, method: str, path: str, query: str = "", **kwargs: Any) -> requests.Response:
    """A request without the helper's conveniences (no api-version unless given, body bytes as they are)."""
    headers = kwargs.pop("headers", None)
    if headers is None:
        headers = {"Authorization": f"Bearer {keyless.admin_token('https://management.azure.com/')}"}
    return requests.request(
        method, f"{keyless.e['management']}{path}{query}", headers=headers, verify=keyless.ca, timeout=10, **kwargs
    )


def _error(r: requests.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    return str(error["message"])


def test_missing_api_version(keyless: Keyless) -> None:
    message = _error(_raw(keyless, "GET", f"{keyless.rg_path}/{UAMI}"), 400, "MissingApiVersionParameter")
    assert "api-version" in message


def test_unknown_api_version_lists_the_supported_ones(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{UAMI}/{_name()}"
    r = keyless.arm("PUT", path, "2099-01-01", json={"location": "westeurope"})
    message = _error(r, 400, "NoRegisteredProviderFound")
    assert "'2099-01-01'" in message
    assert "2015-08-31-preview" in message and "2024-11-30" in message
    assert keyless.arm("GET", path, API).status_code == 404


def test_unknown_namespace_and_type(keyless: Keyless) -> None:
    r = keyless.arm("GET", f"{keyless.rg_path}/providers/Microsoft.Nope/things/x", API)
    assert "Microsoft.Nope" in _error(r, 400, "InvalidResourceNamespace")
    r = keyless.arm("PUT", f"{keyless.rg_path}/providers/Microsoft.ManagedIdentity/nothings/x", API, json={})
    assert "nothings" in _error(r, 404, "InvalidResourceType")


def test_malformed_and_non_object_bodies(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{UAMI}/{_name()}"
    headers = {"Content-Type": "application/json"}
    r = keyless.arm("PUT", path, API, data=b'{\n  "location": ', headers=headers)
    message = _error(r, 400, "InvalidRequestContent")
    assert "line 2, position" in message
    for body in (b"[1, 2]", b'"text"', b""):
        _error(keyless.arm("PUT", path, API, data=body, headers=headers), 400, "InvalidRequestContent")
    assert keyless.arm("GET", path, API).status_code == 404


def test_location_and_tags_are_checked(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{UAMI}/{_name()}"
    _error(keyless.arm("PUT", path, API, json={"tags": {"a": "b"}}), 400, "LocationRequired")
    _error(keyless.arm("PUT", path, API, json={"location": 5}), 400, "InvalidRequestContent")
    _error(keyless.arm("PUT", path, API, json={"location": "westeurope", "tags": ["a"]}), 400, "InvalidRequestContent")
    _error(
        keyless.arm("PUT", path, API, json={"location": "westeurope", "tags": {"a": 1}}), 400, "InvalidRequestContent"
    )
    assert keyless.arm("GET", path, API).status_code == 404
    created = keyless.arm("PUT", path, API, json={"location": "westeurope", "tags": {"a": "b"}})
    assert created.status_code == 201
    # a later PUT must name the location too; a refused one leaves the resource as it was
    _error(keyless.arm("PUT", path, API, json={"tags": {"c": "d"}}), 400, "LocationRequired")
    assert keyless.arm("GET", path, API).json() == created.json()
    keyless.arm("DELETE", path, API)


def test_wrong_subscription_and_missing_group(keyless: Keyless) -> None:
    other = f"/subscriptions/{uuid.uuid4()}/resourceGroups/{keyless.e['resource_group']}/{UAMI}/x"
    _error(keyless.arm("PUT", other, API, json={"location": "westeurope"}), 404, "SubscriptionNotFound")
    _error(keyless.arm("GET", f"/subscriptions/{uuid.uuid4()}/{UAMI}", API), 404, "SubscriptionNotFound")
    group = f"/subscriptions/{keyless.e['subscription_id']}/resourceGroups/{_name('missing')}"
    message = _error(
        keyless.arm("PUT", f"{group}/{UAMI}/x", API, json={"location": "westeurope"}), 404, "ResourceGroupNotFound"
    )
    assert group.rsplit("/", 1)[1] in message
    _error(keyless.arm("GET", f"{group}/{UAMI}", API), 404, "ResourceGroupNotFound")
    _error(keyless.arm("GET", group, RG_API), 404, "ResourceGroupNotFound")


def test_missing_resource_get_delete_and_subscription_scope(keyless: Keyless) -> None:
    name = _name()
    message = _error(keyless.arm("GET", f"{keyless.rg_path}/{UAMI}/{name}", API), 404, "ResourceNotFound")
    assert f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}" in message
    assert keyless.e["resource_group"] in message
    r = keyless.arm("DELETE", f"{keyless.rg_path}/{UAMI}/{name}", API)
    assert r.status_code == 204 and r.content == b""
    # user-assigned identities live in resource groups; a subscription-level id names nothing
    sub_level = f"/subscriptions/{keyless.e['subscription_id']}/{UAMI}/{name}"
    _error(keyless.arm("PUT", sub_level, API, json={"location": "westeurope"}), 404, "InvalidResourceType")
    assert name not in {
        i["name"]
        for i in keyless.arm("GET", f"/subscriptions/{keyless.e['subscription_id']}/{UAMI}", API).json()["value"]
    }


def test_list_paging_follows_next_link_to_the_end(keyless: Keyless) -> None:
    group = f"/subscriptions/{keyless.e['subscription_id']}/resourceGroups/{_name('paging')}"
    assert keyless.arm("PUT", group, RG_API, json={"location": "westeurope"}).status_code == 201
    names = {_name("p") for _ in range(5)}
    for name in names:
        assert keyless.arm("PUT", f"{group}/{UAMI}/{name}", API, json={"location": "westeurope"}).status_code == 201
    token = keyless.admin_token("https://management.azure.com/")
    url: str | None = f"{keyless.e['management']}{group}/{UAMI}?api-version={API}&$top=2"
    seen: list[str] = []
    pages = 0
    while url:
        r = requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=keyless.ca, timeout=10)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["value"]) <= 2
        seen += [i["name"] for i in body["value"]]
        url = body.get("nextLink")
        if url:
            assert "api-version=" in url
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(names)
    _error(keyless.arm("GET", f"{group}/{UAMI}?$top=x", API), 400, "InvalidTopValue")
    _error(keyless.arm("GET", f"{group}/{UAMI}?$skiptoken=x", API), 400, "InvalidSkipToken")
    assert keyless.arm("DELETE", group, RG_API).status_code == 200


def test_resource_group_lifecycle_cascades(keyless: Keyless) -> None:
    name = _name("rg")
    group = f"/subscriptions/{keyless.e['subscription_id']}/resourceGroups/{name}"
    _error(keyless.arm("PUT", group, RG_API, json={}), 400, "LocationRequired")
    _error(keyless.arm("GET", group, RG_API), 404, "ResourceGroupNotFound")
    r = keyless.arm("PUT", group, RG_API, json={"location": "westeurope", "tags": {"env": "test"}})
    assert r.status_code == 201, r.text
    assert r.json()["properties"] == {"provisioningState": "Succeeded"}
    _error(keyless.arm("PUT", group, RG_API, data=b"[1]"), 400, "InvalidRequestContent")
    _error(keyless.arm("PUT", group, RG_API, json={"location": "eastus"}), 409, "InvalidResourceGroupLocation")
    _error(keyless.arm("PATCH", group, RG_API, json={"tags": "x"}), 400, "InvalidRequestContent")
    assert keyless.arm("GET", group, RG_API).json() == r.json()
    patched = keyless.arm(
        "PATCH", group.upper().replace("SUBSCRIPTIONS", "subscriptions"), RG_API, json={"tags": {"k": "v"}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == {"k": "v"}
    assert patched.json()["id"] == r.json()["id"]
    assert keyless.arm("PUT", group, RG_API, json={"location": "West Europe"}).status_code == 200
    groups = keyless.arm("GET", f"/subscriptions/{keyless.e['subscription_id']}/resourceGroups", RG_API).json()
    assert name in {g["name"] for g in groups["value"]}
    uami = f"{group}/{UAMI}/{_name('in')}"
    assert keyless.arm("PUT", uami, API, json={"location": "westeurope"}).status_code == 201

    assert keyless.arm("DELETE", group, RG_API).status_code == 200
    _error(keyless.arm("GET", group, RG_API), 404, "ResourceGroupNotFound")
    listed = keyless.arm("GET", f"/subscriptions/{keyless.e['subscription_id']}/{UAMI}", API).json()["value"]
    assert uami.lower() not in {i["id"].lower() for i in listed}
    assert keyless.arm("DELETE", group, RG_API).status_code == 204
    # a group made again with the same name starts empty
    assert keyless.arm("PUT", group, RG_API, json={"location": "westeurope"}).status_code == 201
    _error(keyless.arm("GET", uami, API), 404, "ResourceNotFound")
    keyless.arm("DELETE", group, RG_API)


def test_unauthenticated_calls_get_401_with_www_authenticate(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{UAMI}/{_name()}"
    graph_token = keyless.admin_token("https://graph.microsoft.com")
    cases = [
        ({}, "AuthenticationFailed"),
        ({"Authorization": "Bearer not-a-jwt"}, "InvalidAuthenticationToken"),
        ({"Authorization": f"Basic {graph_token}"}, "InvalidAuthenticationToken"),
        ({"Authorization": f"Bearer {graph_token}"}, "InvalidAuthenticationTokenAudience"),
    ]
    for headers, code in cases:
        r = _raw(keyless, "PUT", path, f"?api-version={API}", headers=headers, json={"location": "westeurope"})
        _error(r, 401, code)
        assert r.headers["WWW-Authenticate"].startswith('Bearer authorization_uri="https://login.windows.net/"')
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        assert r.headers["x-ms-request-id"]
    assert keyless.arm("GET", path, API).status_code == 404


def test_request_id_is_echoed(keyless: Keyless) -> None:
    request_id = str(uuid.uuid4())
    r = keyless.arm("GET", f"{keyless.rg_path}/{UAMI}", API, headers={"x-ms-client-request-id": request_id})
    assert r.status_code == 200
    assert r.headers["x-ms-request-id"] == request_id
    assert r.headers["x-ms-correlation-request-id"] == request_id
