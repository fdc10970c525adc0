"""Products, product APIs, subscriptions and their keys, named values, backends, version sets."""

from __future__ import annotations

import re

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    ApiVersionSetContract,
    BackendContract,
    NamedValueCreateContract,
    ProductContract,
    SubscriptionCreateParameters,
    SubscriptionUpdateParameters,
)
from tests.conftest import Keyless
from tests.gateway.management.conftest import API, service_path

HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def api(keyless: Keyless, apim: ApiManagementClient, service: str) -> str:
    apim.api.begin_create_or_update(
        keyless.e["resource_group"], service, "catalog", ApiCreateOrUpdateParameter(display_name="C", path="catalog")
    ).result()
    return "catalog"


def test_products_and_their_apis(keyless: Keyless, apim: ApiManagementClient, service: str, api: str) -> None:
    rg = keyless.e["resource_group"]
    product = apim.product.create_or_update(rg, service, "gold", ProductContract(display_name="Gold"))
    assert (product.state, product.subscription_required, product.approval_required) == ("notPublished", True, False)
    published = apim.product.create_or_update(
        rg, service, "gold", ProductContract(display_name="Gold", state="published", subscriptions_limit=2)
    )
    assert (published.state, published.subscriptions_limit) == ("published", 2)
    link = f"{service_path(keyless, service)}/products/gold/apis/{api}"
    linked = keyless.arm("PUT", link, API, json={})
    assert linked.status_code == 201 and linked.json()["properties"]["path"] == "catalog"
    assert linked.json()["type"] == "Microsoft.ApiManagement/service/products/apis"
    assert [a.name for a in apim.product_api.list_by_product(rg, service, "gold")] == [api]
    # the link answers with the API as it is now
    apim.api.begin_create_or_update(
        rg, service, api, ApiCreateOrUpdateParameter(display_name="Renamed", path="catalog")
    ).result()
    assert [a.display_name for a in apim.product_api.list_by_product(rg, service, "gold")] == ["Renamed"]
    r = keyless.arm("PUT", f"{service_path(keyless, service)}/products/gold/apis/no-such-api", API, json={})
    assert r.status_code == 404
    apim.product_api.delete(rg, service, "gold", api)
    assert list(apim.product_api.list_by_product(rg, service, "gold")) == []
    with pytest.raises(HttpResponseError) as info:
        apim.product.create_or_update(
            rg,
            service,
            "open",
            ProductContract(display_name="Open", subscription_required=False, approval_required=True),
        )
    assert info.value.error.code == "ValidationError"


def test_subscription_keys_are_generated_hidden_listed_and_regenerated(
    keyless: Keyless, apim: ApiManagementClient, service: str, api: str
) -> None:
    rg = keyless.e["resource_group"]
    apim.product.create_or_update(rg, service, "silver", ProductContract(display_name="Silver"))
    sub = apim.subscription.create_or_update(
        rg, service, "s1", SubscriptionCreateParameters(display_name="S1", scope="/products/silver", state="active")
    )
    assert sub.scope.endswith("/providers/Microsoft.ApiManagement/service/" + service + "/products/silver")
    assert (sub.state, sub.primary_key, sub.secondary_key) == ("active", None, None)
    assert apim.subscription.get(rg, service, "s1").primary_key is None
    keys = apim.subscription.list_secrets(rg, service, "s1")
    assert HEX32.match(keys.primary_key) and HEX32.match(keys.secondary_key) and keys.primary_key != keys.secondary_key
    apim.subscription.regenerate_primary_key(rg, service, "s1")
    after = apim.subscription.list_secrets(rg, service, "s1")
    assert after.primary_key != keys.primary_key and after.secondary_key == keys.secondary_key
    apim.subscription.regenerate_secondary_key(rg, service, "s1")
    assert apim.subscription.list_secrets(rg, service, "s1").secondary_key != keys.secondary_key
    suspended = apim.subscription.update(rg, service, "s1", "*", SubscriptionUpdateParameters(state="suspended"))
    assert suspended.state == "suspended"
    assert apim.subscription.list_secrets(rg, service, "s1").primary_key == after.primary_key
    # a re-PUT without keys keeps them
    apim.subscription.create_or_update(
        rg, service, "s1", SubscriptionCreateParameters(display_name="S1b", scope="/products/silver")
    )
    assert apim.subscription.list_secrets(rg, service, "s1").primary_key == after.primary_key

    given = apim.subscription.create_or_update(
        rg,
        service,
        "s2",
        SubscriptionCreateParameters(
            display_name="S2", scope=f"/apis/{api}", primary_key="p" * 20, secondary_key="s" * 20
        ),
    )
    assert given.state == "submitted" and given.scope.endswith(f"/apis/{api}")
    assert apim.subscription.list_secrets(rg, service, "s2").primary_key == "p" * 20
    all_apis = apim.subscription.create_or_update(
        rg,
        service,
        "s3",
        SubscriptionCreateParameters(display_name="S3", scope=f"{service_path(keyless, service)}/apis"),
    )
    assert all_apis.scope == f"{service_path(keyless, service)}/apis"
    with pytest.raises(HttpResponseError) as info:
        apim.subscription.create_or_update(
            rg, service, "s4", SubscriptionCreateParameters(display_name="S4", scope="/products/nope")
        )
    assert info.value.error.code == "ValidationError"
    # listSecrets is the only place keys appear
    listing = keyless.arm("GET", f"{service_path(keyless, service)}/subscriptions", API).text
    assert after.primary_key not in listing and "p" * 20 not in listing


def test_secret_named_values_are_hidden(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    plain = apim.named_value.begin_create_or_update(
        rg, service, "env", NamedValueCreateContract(display_name="env", value="dev", tags=["a"])
    ).result()
    assert (plain.value, plain.secret, plain.tags) == ("dev", False, ["a"])
    secret = apim.named_value.begin_create_or_update(
        rg, service, "pw", NamedValueCreateContract(display_name="pw", value="hunter2", secret=True)
    ).result()
    assert secret.value is None and secret.secret is True
    assert apim.named_value.get(rg, service, "pw").value is None
    assert "hunter2" not in keyless.arm("GET", f"{service_path(keyless, service)}/namedValues", API).text
    assert apim.named_value.list_value(rg, service, "pw").value == "hunter2"
    r = keyless.arm(
        "PUT",
        f"{service_path(keyless, service)}/namedValues/kv",
        API,
        json={"properties": {"displayName": "kv", "secret": True, "keyVault": {"secretIdentifier": "https://v/s"}}},
    )
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "keyVault"
    r = keyless.arm(
        "PUT",
        f"{service_path(keyless, service)}/namedValues/env2",
        API,
        json={"properties": {"displayName": "env", "value": "x"}},
    )
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "displayName"


def test_backends_and_version_sets(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    backend = apim.backend.create_or_update(
        rg,
        service,
        "b1",
        BackendContract(url="https://httpbin.org", protocol="http", credentials={"header": {"x-key": ["v"]}}),
    )
    assert (backend.url, backend.protocol) == ("https://httpbin.org", "http")
    assert apim.backend.get(rg, service, "b1").credentials.header == {"x-key": ["v"]}
    with pytest.raises(HttpResponseError) as info:
        apim.backend.create_or_update(rg, service, "b2", BackendContract(protocol="http"))
    assert info.value.error.code == "ValidationError"
    vs = apim.api_version_set.create_or_update(
        rg, service, "vs1", ApiVersionSetContract(display_name="vs1", versioning_scheme="Segment")
    )
    assert vs.versioning_scheme == "Segment"
    with pytest.raises(HttpResponseError):
        apim.api_version_set.create_or_update(
            rg, service, "vs2", ApiVersionSetContract(display_name="vs2", versioning_scheme="Query")
        )
    # versions of one set share a path; the relative id APIOps writes becomes the full one
    for version in ("v1", "v2"):
        made = apim.api.begin_create_or_update(
            rg,
            service,
            f"versioned-{version}",
            ApiCreateOrUpdateParameter(
                display_name="V", path="versioned", api_version=version, api_version_set_id="/apiVersionSets/vs1"
            ),
        ).result()
        assert made.api_version_set_id == vs.id and made.api_version == version
    with pytest.raises(HttpResponseError) as info:
        apim.api.begin_create_or_update(
            rg, service, "unversioned", ApiCreateOrUpdateParameter(display_name="U", path="versioned")
        ).result()
    assert info.value.error.details[0].target == "path"
    with pytest.raises(HttpResponseError) as info:
        apim.api.begin_create_or_update(
            rg,
            service,
            "lost",
            ApiCreateOrUpdateParameter(display_name="L", path="lost", api_version_set_id="/apiVersionSets/nope"),
        ).result()
    assert info.value.error.details[0].target == "apiVersionSetId"


def test_deleting_an_api_removes_operations_policies_and_product_links(
    keyless: Keyless, apim: ApiManagementClient, service: str
) -> None:
    rg = keyless.e["resource_group"]
    apim.api.begin_create_or_update(
        rg,
        service,
        "doomed",
        ApiCreateOrUpdateParameter(
            display_name="D",
            path="doomed",
            format="openapi",
            value="openapi: 3.0.1\ninfo: {title: D, version: '1'}\npaths:\n  /x:\n    get: {operationId: get-x}\n",
        ),
    ).result()
    apim.product.create_or_update(rg, service, "bronze", ProductContract(display_name="Bronze"))
    apim.product_api.create_or_update(rg, service, "bronze", "doomed")
    # an API delete is a long-running operation for the SDK: 202 + Location, then the poller sees it done
    apim.api.begin_delete(rg, service, "doomed", if_match="*").result()
    with pytest.raises(ResourceNotFoundError):
        apim.api_operation.get(rg, service, "doomed", "get-x")
    assert list(apim.product_api.list_by_product(rg, service, "bronze")) == []


def test_product_api_link_with_the_sdk(keyless: Keyless, apim: ApiManagementClient, service: str, api: str) -> None:
    rg = keyless.e["resource_group"]
    apim.product.create_or_update(rg, service, "sdk-linked", ProductContract(display_name="L"))
    assert apim.product_api.create_or_update(rg, service, "sdk-linked", api).path == "catalog"


@pytest.mark.parametrize("delete_subscriptions", [True, False])
def test_product_delete_takes_its_subscriptions_only_when_asked(
    keyless: Keyless, service: str, delete_subscriptions: bool
) -> None:
    svc = service_path(keyless, service)
    product = f"gone-{delete_subscriptions}".lower()
    assert keyless.arm("PUT", f"{svc}/products/{product}", API, json={"properties": {"displayName": "G"}}).ok
    sub = {"properties": {"displayName": "s", "scope": f"/products/{product}", "state": "active"}}
    assert keyless.arm("PUT", f"{svc}/subscriptions/{product}-sub", API, json=sub).ok
    query = f"?deleteSubscriptions={str(delete_subscriptions).lower()}"
    assert keyless.arm("DELETE", f"{svc}/products/{product}{query}", API).status_code == 200
    left = keyless.arm("GET", f"{svc}/subscriptions/{product}-sub", API).status_code
    assert left == (404 if delete_subscriptions else 200)
