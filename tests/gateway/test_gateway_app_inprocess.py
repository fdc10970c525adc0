"""`keyless up`'s own gateway listeners (services.gateways): shared services wired, aliases, shutdown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from tests.platform.inprocess import InProcessKeyless

from keyless.gateway.snapshot import build_snapshot

POLICY = (
    "<policies><inbound><base/>"
    '<rate-limit-by-key calls="1" renewal-period="60" counter-key="everyone"/>'
    '<return-response><set-status code="200" reason="OK"/></return-response>'
    "</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>"
)


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(Path(tmp_path_factory.mktemp("gateway-inprocess"))).start()
    try:
        yield server
    finally:
        server.stop()


def test_gateways_of_keyless_up_have_counters_and_the_azure_api_alias(kl: InProcessKeyless) -> None:
    snapshot = build_snapshot(
        {"name": "inproc", "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/inproc"},
        apis=[{"name": "a", "properties": {"path": "a", "subscriptionRequired": False}}],
        operations={"a": [{"name": "o", "properties": {"method": "GET", "urlTemplate": "/o"}}]},
        policies={("api", "a"): POLICY},
    )
    gateways = kl.svc.gateways
    port = kl.run(gateways.start("inproc", snapshot))
    first = requests.get(f"http://127.0.0.1:{port}/a/o", timeout=10)
    second = requests.get(f"http://127.0.0.1:{port}/a/o", timeout=10)
    assert first.status_code == 200
    assert second.status_code == 429  # the rate-limit counters are part of keyless up's gateway services
    assert kl.svc.aliases.lookup("inproc.azure-api.net") == f"http://127.0.0.1:{port}"
    kl.run(gateways.stop("inproc"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/a/o", timeout=10)
