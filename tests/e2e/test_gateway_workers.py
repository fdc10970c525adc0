"""`keyless up --gateway-workers 2`: a second process serves the same APIM listener and follows every change."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import Keyless

API = "2022-08-01"


def listeners_on(port: int) -> int:
    """Sockets listening on 127.0.0.1:`port` (each SO_REUSEPORT worker holds one)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


def eventually(check: object, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.1)


def answers(url: str, n: int = 30) -> set[str]:
    """What `n` fresh connections get: the kernel spreads new connections over the listening processes."""
    return {requests.get(url, headers={"Connection": "close"}, timeout=10).text for _ in range(n)}


def reply(text: str) -> dict[str, object]:
    document = (
        f'<policies><inbound><return-response><set-status code="200" /><set-body>{text}</set-body>'
        "</return-response></inbound><backend /><outbound /><on-error /></policies>"
    )
    return {"properties": {"format": "rawxml", "value": document}}


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyless]:
    kl = Keyless(tmp_path_factory.mktemp("workers"), args=("--gateway-workers", "2")).start()
    try:
        yield kl
    finally:
        kl.stop()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp to count listeners")
def test_a_second_process_serves_and_follows_changes(two_workers: Keyless) -> None:
    kl = two_workers
    svc = f"{kl.rg_path}/providers/Microsoft.ApiManagement/service/workers"
    created = kl.arm(
        "PUT",
        svc,
        API,
        json={
            "location": kl.e["location"],
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "w@example.com", "publisherName": "w"},
        },
    )
    assert created.status_code in (200, 201), created.text
    gateway = created.json()["properties"]["gatewayUrl"]
    port = int(gateway.rsplit(":", 1)[1])
    kl.arm(
        "PUT",
        f"{svc}/apis/a",
        API,
        json={
            "properties": {
                "displayName": "a",
                "path": "a",
                "protocols": ["https"],
                "serviceUrl": "http://127.0.0.1:9",
                "subscriptionRequired": False,
            }
        },
    )
    kl.arm(
        "PUT",
        f"{svc}/apis/a/operations/o",
        API,
        json={"properties": {"displayName": "o", "method": "GET", "urlTemplate": "/o"}},
    )
    assert kl.arm("PUT", f"{svc}/apis/a/policies/policy", API, json=reply("one")).status_code in (200, 201)

    eventually(lambda: listeners_on(port) == 2)
    eventually(lambda: answers(f"{gateway}/a/o") == {"one"})

    # a change made through ARM (in the keyless process) reaches the worker without a restart
    assert kl.arm("PUT", f"{svc}/apis/a/policies/policy", API, json=reply("two")).status_code == 200
    eventually(lambda: answers(f"{gateway}/a/o") == {"two"})

    # deleting the service stops its listener in both processes
    assert kl.arm("DELETE", svc, API).status_code in (200, 202)
    eventually(lambda: listeners_on(port) == 0)


def redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp to count listeners")
@pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")
def test_workers_share_rate_limit_counters_in_redis(tmp_path: Path) -> None:
    kl = Keyless(tmp_path, {"KEYLESS_REDIS_URL": "redis://127.0.0.1:6379/0"}, args=("--gateway-workers", "2")).start()
    try:
        svc = f"{kl.rg_path}/providers/Microsoft.ApiManagement/service/shared{tmp_path.name[-6:].replace('_', '')}"
        created = kl.arm(
            "PUT",
            svc,
            API,
            json={
                "location": kl.e["location"],
                "sku": {"name": "Developer", "capacity": 1},
                "properties": {"publisherEmail": "w@example.com", "publisherName": "w"},
            },
        )
        gateway = created.json()["properties"]["gatewayUrl"]
        kl.arm(
            "PUT",
            f"{svc}/apis/a",
            API,
            json={
                "properties": {
                    "displayName": "a",
                    "path": "a",
                    "protocols": ["https"],
                    "serviceUrl": "http://127.0.0.1:9",
                    "subscriptionRequired": False,
                }
            },
        )
        for op in ("o", "probe"):
            operation = {"properties": {"displayName": op, "method": "GET", "urlTemplate": f"/{op}"}}
            kl.arm("PUT", f"{svc}/apis/a/operations/{op}", API, json=operation)
        limit = f'<rate-limit-by-key calls="5" renewal-period="60" counter-key="{uuid.uuid4()}" />'
        document = (
            f'<policies><inbound>{limit}<return-response><set-status code="200" /></return-response>'
            "</inbound><backend /><outbound /><on-error /></policies>"
        )
        policy = {"properties": {"format": "rawxml", "value": document}}
        r = kl.arm("PUT", f"{svc}/apis/a/operations/o/policies/policy", API, json=policy)
        assert r.status_code in (200, 201), r.text
        # written last: once every connection sees it, both processes hold the rate-limited document too
        assert kl.arm("PUT", f"{svc}/apis/a/operations/probe/policies/policy", API, json=reply("ready")).ok
        eventually(lambda: listeners_on(int(gateway.rsplit(":", 1)[1])) == 2)
        eventually(lambda: answers(f"{gateway}/a/probe") == {"ready"})
        codes = [
            requests.get(f"{gateway}/a/o", headers={"Connection": "close"}, timeout=10).status_code for _ in range(12)
        ]
        # both processes count in one Redis counter: exactly five pass, wherever each connection landed
        assert codes.count(200) == 5 and codes.count(429) == 7, codes
    finally:
        kl.stop()
