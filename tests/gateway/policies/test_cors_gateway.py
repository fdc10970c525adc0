"""cors through keyless's gateway listener. APIM answers a preflight for any path of the API (no OPTIONS
operation needed) and puts the CORS headers on the final response; both need the pipeline's support."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tests.gateway.policies._security_doubles import Listener, document, keyless_gateway
from tests.platform.inprocess import InProcessKeyless

CORS = """<cors allow-credentials="true">
  <allowed-origins><origin>https://app.contoso.com</origin></allowed-origins>
  <allowed-methods preflight-result-max-age="60"><method>GET</method><method>PUT</method></allowed-methods>
  <allowed-headers><header>Authorization</header></allowed-headers>
  <expose-headers><header>X-Request-Id</header></expose-headers>
</cors>"""


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Listener]:
    for gateway in keyless_gateway(tmp_path_factory.mktemp("cors-e2e")):
        kl: InProcessKeyless = gateway.kl
        found = Listener(kl, "corsapi", document(CORS), methods=("GET", "PUT", "OPTIONS"))
        yield found
        found.close()


def test_preflight_on_an_api_with_an_options_operation(listener: Listener) -> None:
    r = requests.options(
        listener.url,
        headers={
            "Origin": "https://app.contoso.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.contoso.com"
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert r.headers["Access-Control-Allow-Methods"] == "PUT"
    assert r.headers["Access-Control-Allow-Headers"] == "authorization"
    assert r.headers["Access-Control-Max-Age"] == "60"


def test_unmatched_origin_get_is_ended_empty(listener: Listener) -> None:
    r = requests.get(listener.url, headers={"Origin": "https://evil.example"}, timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert "Access-Control-Allow-Origin" not in r.headers


def test_matched_request_gets_cors_headers_on_the_backend_response(listener: Listener) -> None:
    r = requests.get(listener.url, headers={"Origin": "https://app.contoso.com"}, timeout=10)
    assert r.status_code == 200 and r.json()["method"] == "GET"
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.contoso.com"
    assert r.headers["Access-Control-Expose-Headers"] == "X-Request-Id"


@pytest.fixture(scope="module")
def get_only(listener: Listener) -> Iterator[Listener]:
    found = Listener(listener.kl, "corsgetonly", document(CORS), methods=("GET",))
    yield found
    found.close()


def test_preflight_without_an_options_operation(get_only: Listener) -> None:
    headers = {"Origin": "https://app.contoso.com", "Access-Control-Request-Method": "GET"}
    r = requests.options(get_only.url, headers=headers, timeout=10)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.contoso.com"
