"""One INFO line on `keyless.identity` per managed identity token handed out or refused: the principal, the
audience, the roles in the token (or the AADSTS code), and the caller's correlation id. Never the token."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from keyless.identity.errors import AadstsError
from keyless.identity.managed_identity.hosting import IdentityError, IdentityHosts, caller_correlation
from tests.platform.inprocess import InProcessKeyless, grant, make_api


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("token-logs")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def world(kl: InProcessKeyless) -> dict[str, Any]:
    svc = kl.svc
    tag = uuid.uuid4().hex[:6]

    async def build() -> dict[str, Any]:
        _, api_sp = await make_api(svc, f"logs-{tag}", roles={"AddRole": True})
        base = f"/subscriptions/{svc.instance.subscription_id}/resourceGroups/rg/providers/Microsoft.Logic/workflows"
        holder = await svc.directory.create_managed_identity(f"{base}/holder-{tag}", f"holder-{tag}", explicit=False)
        bare = await svc.directory.create_managed_identity(f"{base}/bare-{tag}", f"bare-{tag}", explicit=False)
        await grant(svc, holder, api_sp, "AddRole")
        return {"api": f"api://logs-{tag}", "holder": holder, "bare": bare, "base": base}

    return kl.run(build())


def identity_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "keyless.identity" and r.levelno == logging.INFO]


def test_issued_tokens_are_logged_with_roles_and_correlation(
    kl: InProcessKeyless, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    tokens = kl.svc.tokens
    holder = world["holder"]
    with caplog.at_level(logging.INFO, logger="keyless.identity"):
        first = kl.run(tokens.managed_identity_token(holder, world["api"], correlation_id="corr-issued"))
        again = kl.run(tokens.managed_identity_token(holder, world["api"], correlation_id="corr-again"))
        bare = kl.run(tokens.managed_identity_token(world["bare"], world["api"]))
    lines = identity_lines(caplog)
    assert len(lines) == 3
    assert lines[0] == (
        f"managed identity token issued: correlation=corr-issued principal={holder['id']} (appId {holder['appId']}, "
        f"'{holder['displayName']}') audience={world['api']} roles=AddRole cached=no"
    )
    assert "correlation=corr-again " in lines[1] and lines[1].endswith("roles=AddRole cached=yes")
    assert lines[2].startswith("managed identity token issued: correlation=- ")
    assert f"principal={world['bare']['id']} " in lines[2] and "roles=none cached=no" in lines[2]
    for line in lines:
        for token in (first.access_token, again.access_token, bare.access_token):
            assert token not in line and "eyJ" not in line


def test_refusals_name_the_aadsts_code_with_correlation(
    kl: InProcessKeyless, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    svc = kl.svc
    with caplog.at_level(logging.INFO, logger="keyless.identity"):
        with pytest.raises(AadstsError):
            kl.run(svc.tokens.managed_identity_token(world["holder"], "api://nobody-here", correlation_id="corr-x"))
    lines = identity_lines(caplog)
    assert len(lines) == 1
    assert lines[0].startswith(f"managed identity token refused: correlation=corr-x principal={world['holder']['id']} ")
    assert "audience=api://nobody-here error=AADSTS500011 invalid_resource: " in lines[0]


def test_the_host_path_passes_the_correlation_and_logs_a_missing_identity(
    kl: InProcessKeyless, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    svc = kl.svc
    hosts = IdentityHosts(svc.store, svc.directory, svc.resources, svc.tokens)
    nowhere = f"{world['base']}/nowhere-{uuid.uuid4().hex[:6]}"
    with caplog.at_level(logging.INFO, logger="keyless.identity"):
        with pytest.raises(IdentityError):
            kl.run(hosts.token(nowhere, world["api"], None, correlation_id="corr-host"))
    assert identity_lines(caplog) == [
        f"managed identity token refused: correlation=corr-host principal=host {nowhere} audience={world['api']} "
        "error=not_found: The host has no managed identity."
    ]


def test_caller_correlation_from_http_headers() -> None:
    assert caller_correlation({"x-ms-client-request-id": "abc-1"}) == "abc-1"
    assert caller_correlation({"x-ms-correlation-id": "c-2", "x-ms-client-request-id": "abc-1"}) == "c-2"
    assert caller_correlation({"x-ms-client-request-id": "a b\r\nforged=1"}) == "abforged=1"
    assert caller_correlation({}) is None
