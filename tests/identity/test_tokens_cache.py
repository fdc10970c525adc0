"""The token path's directory cache: a change shows in the very next token; another node's within the bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from keyless.identity import tokens
from keyless.identity.directory import Directory
from keyless.identity.tokens import READ_CACHE_SECONDS, DirectoryReads
from keyless.platform import clock
from keyless.platform.store import Store
from tests.platform.inprocess import InProcessKeyless, disable_role, grant, make_api, make_client


class CountingDirectory:
    """Stands in for Directory: counts loads and lets a test change the directory mid-load."""

    tenant_id = "t"

    def __init__(self) -> None:
        self.generation = 0
        self.loads = 0
        self.during_load: Any = None

    async def resolve_resource(self, resource: str) -> dict[str, Any] | None:
        self.loads += 1
        if self.during_load is not None:
            self.during_load()
        return None if resource == "unknown" else {"id": resource, "loaded": self.loads}


async def test_hits_until_generation_or_time_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    directory = CountingDirectory()
    reads = DirectoryReads(directory)  # type: ignore[arg-type]
    first = await reads.resolve_resource("api://a")
    assert await reads.resolve_resource("api://a") is first
    assert directory.loads == 1
    directory.generation += 1  # this process changed the directory
    assert (await reads.resolve_resource("api://a"))["loaded"] == 2
    now[0] += READ_CACHE_SECONDS  # another node may have changed it: bounded staleness
    assert (await reads.resolve_resource("api://a"))["loaded"] == 3
    assert directory.loads == 3


async def test_misses_and_racing_changes_are_not_kept() -> None:
    directory = CountingDirectory()
    reads = DirectoryReads(directory)  # type: ignore[arg-type]
    assert await reads.resolve_resource("unknown") is None
    assert await reads.resolve_resource("unknown") is None
    assert directory.loads == 2  # an unknown resource asks the store every time

    def change() -> None:
        directory.generation += 1

    directory.during_load = change
    await reads.resolve_resource("api://b")
    directory.during_load = None
    await reads.resolve_resource("api://b")
    assert directory.loads == 4  # the value loaded across a change was not trusted


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("token-cache")).start()
    try:
        yield server
    finally:
        server.stop()


def token(kl: InProcessKeyless, client_id: str, secret: str, scope: str) -> requests.Response:
    return requests.post(
        f"{kl.authority}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope},
        verify=kl.ca,
        timeout=10,
    )


def roles(r: requests.Response) -> list[str] | None:
    assert r.status_code == 200, r.text
    return jwt.decode(r.json()["access_token"], options={"verify_signature": False}).get("roles")


def test_directory_changes_show_in_the_next_token(kl: InProcessKeyless) -> None:
    svc = kl.svc
    api, api_sp = kl.run(make_api(svc, "cache-api", roles={"A": True, "B": True}))
    client, client_sp, secret = kl.run(make_client(svc, "cache-client"))
    other, _, other_secret = kl.run(make_client(svc, "cache-other"))
    scope = "api://cache-api/.default"
    assert roles(token(kl, client["appId"], secret, scope)) is None
    kl.run(grant(svc, client_sp, api_sp, "A"))
    assert roles(token(kl, client["appId"], secret, scope)) == ["A"]
    api_sp = kl.run(svc.directory.get_service_principal(api_sp["id"]))
    kl.run(grant(svc, client_sp, api_sp, "B"))
    assert roles(token(kl, client["appId"], secret, scope)) == ["A", "B"]
    kl.run(disable_role(svc, api, "B"))
    assert roles(token(kl, client["appId"], secret, scope)) == ["A"]
    # the resource now wants an assignment: the client has one, the other does not
    kl.run(svc.directory.update_service_principal(api_sp["id"], {"appRoleAssignmentRequired": True}))
    assert roles(token(kl, client["appId"], secret, scope)) == ["A"]
    assert token(kl, other["appId"], other_secret, scope).json()["error_codes"] == [501051]
    # v2 from now on: aud becomes the appId
    kl.run(svc.directory.update_application(api["id"], {"api": {"requestedAccessTokenVersion": 2}}))
    r = token(kl, client["appId"], secret, scope)
    assert jwt.decode(r.json()["access_token"], options={"verify_signature": False})["aud"] == api["appId"]
    # a deleted client is unknown at once
    kl.run(svc.directory.delete_application(client["id"]))
    assert token(kl, client["appId"], secret, scope).json()["error_codes"] == [700016]


def test_a_change_from_another_node_shows_within_the_bound(
    kl: InProcessKeyless, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another keyless sharing the store changes the directory; this process's generation does not move."""
    now = [clock.now()]
    monkeypatch.setattr(tokens.clock, "now", lambda: now[0])  # frozen: only the test moves time
    svc = kl.svc
    _, api_sp = kl.run(make_api(svc, "cache-node-api", roles={"A": True}))
    client, client_sp, secret = kl.run(make_client(svc, "cache-node-client"))
    scope = "api://cache-node-api/.default"
    assert roles(token(kl, client["appId"], secret, scope)) is None

    async def assign_elsewhere() -> None:
        store = Store(svc.settings.effective_database_url)
        try:
            await grant(svc, client_sp, api_sp, "A", directory=Directory(store))
        finally:
            await store.close()

    generation = svc.directory.generation
    kl.run(assign_elsewhere())
    assert svc.directory.generation == generation
    assert roles(token(kl, client["appId"], secret, scope)) is None  # still the cached answer
    now[0] += READ_CACHE_SECONDS
    assert roles(token(kl, client["appId"], secret, scope)) == ["A"]
