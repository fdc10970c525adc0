"""Fixtures: azure-mgmt-apimanagement pointed at the session's keyless, and a fresh APIM service per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import ApiManagementServiceResource, ApiManagementServiceSkuProperties
from tests.conftest import Keyless

API = "2022-08-01"


@pytest.fixture(scope="module")
def apim(keyless: Keyless) -> Iterator[ApiManagementClient]:
    with keyless.mgmt_client(ApiManagementClient) as client:
        yield client


def new_service(apim: ApiManagementClient, rg: str, name: str | None = None) -> str:
    name = name or f"apim-{uuid.uuid4().hex[:8]}"
    apim.api_management_service.begin_create_or_update(
        rg,
        name,
        ApiManagementServiceResource(
            location="westeurope",
            sku=ApiManagementServiceSkuProperties(name="Developer", capacity=1),
            publisher_email="api@contoso.com",
            publisher_name="Contoso",
        ),
    ).result()
    return name


@pytest.fixture(scope="module")
def service(keyless: Keyless, apim: ApiManagementClient) -> str:
    return new_service(apim, keyless.e["resource_group"])


def service_path(keyless: Keyless, name: str) -> str:
    return f"{keyless.rg_path}/providers/Microsoft.ApiManagement/service/{name}"
