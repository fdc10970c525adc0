"""Writes through ARM reach the service's gateway listener at once; a refused write leaves it serving the old one."""

from __future__ import annotations

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import ApiCreateOrUpdateParameter, OperationContract, PolicyContract
from tests.conftest import Keyless
from tests.gateway.management.conftest import new_service


def answer(body: str) -> str:
    return (
        '<policies><inbound><base /><return-response><set-status code="200" reason="OK" />'
        f"<set-body>{body}</set-body></return-response></inbound><backend><base /></backend>"
        "<outbound><base /></outbound><on-error><base /></on-error></policies>"
    )


def test_the_gateway_serves_what_was_put(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    name = new_service(apim, rg)
    gateway = apim.api_management_service.get(rg, name).gateway_url
    missing = requests.get(f"{gateway}/hello/hi", timeout=10)
    assert missing.status_code == 404 and missing.json() == {"statusCode": 404, "message": "Resource not found"}

    apim.api.begin_create_or_update(
        rg, name, "hello", ApiCreateOrUpdateParameter(display_name="Hello", path="hello", subscription_required=False)
    ).result()
    apim.api_operation.create_or_update(
        rg, name, "hello", "hi", OperationContract(display_name="Hi", method="GET", url_template="/hi")
    )
    apim.api_operation_policy.create_or_update(
        rg, name, "hello", "hi", "policy", PolicyContract(value=answer("first"), format="rawxml")
    )
    assert requests.get(f"{gateway}/hello/hi", timeout=10).text == "first"

    with pytest.raises(HttpResponseError):
        apim.api_operation_policy.create_or_update(
            rg, name, "hello", "hi", "policy", PolicyContract(value=answer("<broken>"), format="rawxml")
        )
    assert requests.get(f"{gateway}/hello/hi", timeout=10).text == "first"

    apim.api_operation_policy.create_or_update(
        rg, name, "hello", "hi", "policy", PolicyContract(value=answer("second"), format="rawxml")
    )
    assert requests.get(f"{gateway}/hello/hi", timeout=10).text == "second"

    apim.api_management_service.begin_delete(rg, name).result()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{gateway}/hello/hi", timeout=10)
