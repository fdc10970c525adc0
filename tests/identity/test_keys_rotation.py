"""`keyless keys list|rotate`: rotation keeps every token valid, and a JWKS cached before it still works."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import Keyless


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keyless.cli.main", "keys", *args], capture_output=True, text=True, timeout=60
    )


def keys_json(data_dir: Path, command: str) -> dict[str, Any]:
    done = cli(command, "--json", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def states(listing: dict[str, Any]) -> dict[str, str]:
    return {k["kid"]: k["state"] for k in listing["value"]}


def jwks(kl: Keyless) -> dict[str, Any]:
    return dict(requests.get(f"{kl.e['login']}/{kl.tenant}/discovery/v2.0/keys", verify=kl.ca, timeout=10).json())


def verify(token: str, keyset: dict[str, Any], audience: str) -> dict[str, Any]:
    """As an API with a JWKS in hand: pick the key by kid from that set, no refetch."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(keyset)[kid]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)


ARM = "https://management.azure.com"  # admin_token asks for "{ARM}/.default"


def test_rotate_list_and_restart(tmp_path: Path) -> None:
    kl = Keyless(tmp_path).start()
    try:
        before = keys_json(tmp_path, "list")
        by_state = {v: k for k, v in states(before).items()}
        assert set(by_state) == {"active", "next"}
        old_token = kl.admin_token(ARM)
        assert jwt.get_unverified_header(old_token)["kid"] == by_state["active"]
        cached = jwks(kl)  # what a client holds before the rotation
        assert {k["kid"] for k in cached["keys"]} == {by_state["active"], by_state["next"]}

        rotated = keys_json(tmp_path, "rotate")
        assert rotated["retired"] == by_state["active"]
        assert rotated["active"] == by_state["next"]
        assert rotated["next"] not in (by_state["active"], by_state["next"])
        assert states(rotated) == {
            by_state["active"]: "retired", by_state["next"]: "active", rotated["next"]: "next"
        }  # fmt: skip

        new_token = kl.admin_token(ARM)
        assert jwt.get_unverified_header(new_token)["kid"] == by_state["next"]
        # a client that cached the JWKS before the rotation validates the new token without refetching
        assert verify(new_token, cached, ARM)["aud"] == ARM
        # the old key stays published, so tokens it signed still validate on a fresh fetch
        fresh = jwks(kl)
        assert {k["kid"] for k in fresh["keys"]} == {by_state["active"], by_state["next"], rotated["next"]}
        assert verify(old_token, fresh, ARM)["aud"] == ARM
        # and keyless itself still accepts them
        r = requests.get(
            f"{kl.e['management']}/subscriptions/{kl.e['subscription_id']}?api-version=2022-12-01",
            headers={"Authorization": f"Bearer {old_token}"}, verify=kl.ca, timeout=10,
        )  # fmt: skip
        assert r.status_code == 200, r.text
    finally:
        kl.stop()

    kl.start()
    try:
        assert states(keys_json(tmp_path, "list")) == states(rotated)
        after = jwks(kl)
        assert verify(old_token, after, ARM)["aud"] == ARM
        assert verify(new_token, after, ARM)["aud"] == ARM
        assert jwt.get_unverified_header(kl.admin_token(ARM))["kid"] == rotated["active"]
        table = cli("list", "--data-dir", str(tmp_path))
        assert table.returncode == 0, table.stderr
        assert f"active   {rotated['active']}" in table.stdout
        assert f"retired  {rotated['retired']}" in table.stdout
    finally:
        kl.stop()


def test_rotation_needs_the_admin(keyless: Keyless) -> None:
    url = f"{keyless.e['management']}/keyless/signingKeys/rotate"
    r = requests.post(url, verify=keyless.ca, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "AuthenticationFailed"
    # a token for another audience (Graph) is not a management token
    graph = keyless.admin_token("https://graph.microsoft.com")
    r = requests.post(url, headers={"Authorization": f"Bearer {graph}"}, verify=keyless.ca, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_rotation_refuses_a_client_that_is_not_the_admin(keyless: Keyless) -> None:
    app = keyless.graph("POST", "/applications", json={"displayName": f"not-admin-{uuid.uuid4().hex[:6]}"})
    assert app.status_code == 201, app.text
    sp = keyless.graph("POST", "/servicePrincipals", json={"appId": app.json()["appId"]})
    assert sp.status_code == 201, sp.text
    secret = keyless.graph("POST", f"/applications/{app.json()['id']}/addPassword", json={})
    assert secret.status_code == 200, secret.text
    token = requests.post(
        f"{keyless.e['login']}/{keyless.tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": app.json()["appId"],
              "client_secret": secret.json()["secretText"], "scope": f"{ARM}/.default"},
        verify=keyless.ca, timeout=10,
    )  # fmt: skip
    assert token.status_code == 200, token.text
    before = requests.get(
        f"{keyless.e['login']}/{keyless.tenant}/discovery/v2.0/keys", verify=keyless.ca, timeout=10
    ).json()
    r = requests.post(
        f"{keyless.e['management']}/keyless/signingKeys/rotate",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"}, verify=keyless.ca, timeout=10,
    )  # fmt: skip
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "AuthorizationFailed"
    after = requests.get(f"{keyless.e['login']}/{keyless.tenant}/discovery/v2.0/keys", verify=keyless.ca, timeout=10)
    assert after.json() == before  # nothing rotated


@pytest.mark.parametrize("command", ["list", "rotate"])
def test_cli_without_a_running_keyless(tmp_path: Path, command: str) -> None:
    done = cli(command, "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "endpoints.json not found" in done.stderr
    # a stale endpoints.json (keyless stopped) says so too
    (tmp_path / "endpoints.json").write_text(
        json.dumps({"login": "https://127.0.0.1:9", "management": "https://127.0.0.1:9", "tenant_id": "t",
                    "ca_cert": str(tmp_path / "missing-ca.pem"), "admin": {"client_id": "a", "client_secret": "b"}})
    )  # fmt: skip
    done = cli(command, "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "keyless keys:" in done.stderr
