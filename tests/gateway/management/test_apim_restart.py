"""An APIM service survives a restart of keyless: its resources and keys, and its gateway on the same origin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests.conftest import Keyless
from tests.gateway.management.conftest import API

ANSWER = (
    '<policies><inbound><return-response><set-status code="200" reason="OK" /><set-body>still here</set-body>'
    "</return-response></inbound><backend /><outbound /><on-error /></policies>"
)


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Keyless, str, str, str]]:
    kl = Keyless(Path(tmp_path_factory.mktemp("apim-restart"))).start()
    try:
        svc = f"{kl.rg_path}/providers/Microsoft.ApiManagement/service/survivor"
        body = {
            "location": "westeurope",
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "a@b.c", "publisherName": "n"},
        }
        gateway = kl.arm("PUT", svc, API, json=body).json()["properties"]["gatewayUrl"]
        kl.arm(
            "PUT",
            f"{svc}/apis/a",
            API,
            json={"properties": {"path": "a", "displayName": "A", "subscriptionRequired": False}},
        )
        kl.arm(
            "PUT",
            f"{svc}/apis/a/operations/o",
            API,
            json={"properties": {"displayName": "O", "method": "GET", "urlTemplate": "/o"}},
        )
        kl.arm(
            "PUT",
            f"{svc}/apis/a/operations/o/policies/policy",
            API,
            json={"properties": {"value": ANSWER, "format": "rawxml"}},
        )
        kl.arm(
            "PUT",
            f"{svc}/subscriptions/s",
            API,
            json={"properties": {"displayName": "s", "scope": "/apis"}},
        )
        key = kl.arm("POST", f"{svc}/subscriptions/s/listSecrets", API).json()["primaryKey"]
        assert requests.get(f"{gateway}/a/o", timeout=10).text == "still here"
        kl.stop()
        kl.start()
        yield kl, svc, gateway, key
    finally:
        kl.stop()


def test_resources_and_keys_survive(restarted: tuple[Keyless, str, str, str]) -> None:
    kl, svc, gateway, key = restarted
    got = kl.arm("GET", svc, API).json()
    assert got["properties"]["gatewayUrl"] == gateway
    assert kl.arm("POST", f"{svc}/subscriptions/s/listSecrets", API).json()["primaryKey"] == key
    assert kl.arm("GET", f"{svc}/apis/a/operations/o/policies/policy", API).json()["properties"]["value"] == ANSWER


def test_the_gateway_answers_again_on_the_same_origin(restarted: tuple[Keyless, str, str, str]) -> None:
    _, _, gateway, _ = restarted
    assert requests.get(f"{gateway}/a/o", timeout=10).text == "still here"


def test_the_first_write_after_a_restart_brings_the_gateway_back(restarted: tuple[Keyless, str, str, str]) -> None:
    kl, svc, gateway, _ = restarted
    kl.arm("PUT", f"{svc}/namedValues/nv", API, json={"properties": {"displayName": "nv", "value": "v"}})
    assert requests.get(f"{gateway}/a/o", timeout=10).text == "still here"
