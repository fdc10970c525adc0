"""Catalog.publish_all (what start-up calls): every stored service's listener on its kept port, its snapshot live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tests.platform.inprocess import InProcessKeyless, arm

ANSWER = (
    '<policies><inbound><return-response><set-status code="200" reason="OK" /><set-body>published</set-body>'
    "</return-response></inbound><backend /><outbound /><on-error /></policies>"
)


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("apim-publish-all")).start()
    try:
        yield server
    finally:
        server.stop()


def test_publish_all_brings_back_a_stopped_gateway(kl: InProcessKeyless) -> None:
    svc = f"/subscriptions/{kl.e['subscription_id']}/resourceGroups/{kl.e['resource_group']}"
    svc += "/providers/Microsoft.ApiManagement/service/published"
    service = {
        "location": "westeurope",
        "sku": {"name": "Developer", "capacity": 1},
        "properties": {"publisherEmail": "a@b.c", "publisherName": "n"},
    }
    gateway = arm(kl, "PUT", svc, service).json()["properties"]["gatewayUrl"]
    api = {"properties": {"path": "p", "displayName": "P", "subscriptionRequired": False}}
    assert arm(kl, "PUT", f"{svc}/apis/p", api).status_code == 201
    op = {"properties": {"displayName": "O", "method": "GET", "urlTemplate": "/o"}}
    assert arm(kl, "PUT", f"{svc}/apis/p/operations/o", op).status_code == 201
    policy = {"properties": {"value": ANSWER, "format": "rawxml"}}
    assert arm(kl, "PUT", f"{svc}/apis/p/operations/o/policies/policy", policy).status_code == 201
    assert requests.get(f"{gateway}/p/o", timeout=10).text == "published"

    kl.run(kl.svc.gateways.stop("published"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{gateway}/p/o", timeout=10)
    kl.run(kl.svc.apim.publish_all())  # type: ignore[attr-defined]
    assert requests.get(f"{gateway}/p/o", timeout=10).text == "published"
