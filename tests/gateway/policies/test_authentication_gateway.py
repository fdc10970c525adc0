"""authentication-managed-identity and authentication-basic through keyless's gateway listener."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests
from tests.gateway.policies._security_doubles import Listener, document, keyless_gateway
from tests.platform.inprocess import InProcessKeyless


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    for gateway in keyless_gateway(tmp_path_factory.mktemp("authentication-e2e")):
        yield gateway.kl


def forwarded(listener: Listener, name: str) -> str | None:
    r = requests.get(listener.url, timeout=10)
    assert r.status_code == 200, r.text
    return {k.lower(): v for k, v in r.json()["headers"].items()}.get(name.lower())


def test_basic_credentials_reach_the_backend(kl: InProcessKeyless) -> None:
    listener = Listener(kl, "basicauth", document('<authentication-basic username="user1" password="{{tenant}}"/>'))
    try:
        expected = "Basic " + base64.b64encode(f"user1:{kl.tenant}".encode()).decode()
        assert forwarded(listener, "Authorization") == expected
    finally:
        listener.close()
