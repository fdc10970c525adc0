"""ip-filter and check-header through keyless's gateway listener: the caller's real address, Azure's bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tests.gateway.policies._security_doubles import Listener, document, keyless_gateway
from tests.platform.inprocess import InProcessKeyless


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    for gateway in keyless_gateway(tmp_path_factory.mktemp("ip-filter-e2e")):
        yield gateway.kl


@pytest.fixture(scope="module")
def listeners(kl: InProcessKeyless) -> Iterator[dict[str, Listener]]:
    found = {
        "allow": Listener(
            kl, "ipallow", document('<ip-filter action="allow"><address>127.0.0.1</address></ip-filter>')
        ),
        "forbid": Listener(
            kl,
            "ipforbid",
            document('<ip-filter action="forbid"><address-range from="127.0.0.0" to="127.255.255.255"/></ip-filter>'),
        ),
        "header": Listener(
            kl,
            "checkheader",
            document(
                '<check-header name="X-Secret" failed-check-httpcode="403" failed-check-error-message="Nope" '
                'ignore-case="false"><value>s3cret</value></check-header>'
            ),
        ),
    }
    yield found
    for listener in found.values():
        listener.close()


def test_allowed_caller_reaches_the_backend(listeners: dict[str, Listener]) -> None:
    r = requests.get(listeners["allow"].url, timeout=10)
    assert r.status_code == 200 and r.json()["method"] == "GET"


def test_forbidden_caller_gets_403(listeners: dict[str, Listener]) -> None:
    r = requests.get(listeners["forbid"].url, timeout=10)
    assert r.status_code == 403
    assert r.content == b'{ "statusCode": 403, "message": "Forbidden" }'
    assert r.headers["X-Failed"] == "ip-filter/CallerIpBlocked"


def test_check_header(listeners: dict[str, Listener]) -> None:
    url = listeners["header"].url
    ok = requests.get(url, headers={"X-Secret": "s3cret"}, timeout=10)
    assert ok.status_code == 200
    assert {k.lower(): v for k, v in ok.json()["headers"].items()}["x-secret"] == "s3cret"
    wrong = requests.get(url, headers={"X-Secret": "guess"}, timeout=10)
    assert wrong.status_code == 403 and wrong.content == b'{ "statusCode": 403, "message": "Nope" }'
    assert wrong.headers["X-Failed"] == "check-header/HeaderValueNotAllowed"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 403 and missing.headers["X-Failed"] == "check-header/HeaderNotFound"
