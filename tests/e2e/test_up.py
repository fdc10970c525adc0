"""`keyless up`: endpoints.json, owner-only secrets, restarts that keep everything."""

from __future__ import annotations

import stat

import jwt
import requests

from tests.conftest import Keyless


def test_endpoints_json_has_the_contract(keyless: Keyless) -> None:
    e = keyless.e
    for key in ("tenant_id", "subscription_id", "resource_group", "login", "graph", "management", "ca_cert"):
        assert e[key], key
    assert set(e["admin"]) >= {"client_id", "client_secret"}
    mode = (keyless.data_dir / "endpoints.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_restart_keeps_tenant_keys_and_admin(tmp_path) -> None:
    kl = Keyless(tmp_path).start()
    try:
        first = dict(kl.e)
        token = kl.admin_token("https://management.azure.com/")
        kid = jwt.get_unverified_header(token)["kid"]
    finally:
        kl.stop()
    kl.start()
    try:
        assert kl.e["tenant_id"] == first["tenant_id"]
        assert kl.e["subscription_id"] == first["subscription_id"]
        assert kl.e["admin"] == first["admin"]
        keys = requests.get(f"{kl.e['login']}/{kl.tenant}/discovery/v2.0/keys", verify=kl.ca, timeout=10).json()
        assert kid in {k["kid"] for k in keys["keys"]}
        # the token from before the restart still opens the management plane
        r = requests.get(
            f"{kl.e['management']}/subscriptions/{kl.e['subscription_id']}?api-version=2022-12-01",
            headers={"Authorization": f"Bearer {token}"},
            verify=kl.ca,
            timeout=10,
        )
        assert r.status_code == 200, r.text
    finally:
        kl.stop()


def test_admin_credentials_can_be_given(tmp_path) -> None:
    client_id = "11111111-2222-3333-4444-555555555555"
    secret = "a-team-chosen-secret-for-ci~0123456789"
    kl = Keyless(tmp_path, {"KEYLESS_ADMIN_CLIENT_ID": client_id, "KEYLESS_ADMIN_CLIENT_SECRET": secret}).start()
    try:
        assert kl.e["admin"] == {"client_id": client_id, "client_secret": secret}
        token = kl.admin_token("https://management.azure.com/")
        assert jwt.decode(token, options={"verify_signature": False})["appid"] == client_id
        r = requests.post(
            f"{kl.e['login']}/{kl.tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret + "x",
                "scope": "https://management.azure.com/.default",
            },
            verify=kl.ca,
            timeout=10,
        )
        assert r.status_code == 401 and r.json()["error_codes"] == [7000215]
    finally:
        kl.stop()


def test_stops_cleanly_on_sigterm(tmp_path) -> None:
    kl = Keyless(tmp_path).start()
    proc = kl.proc
    assert proc is not None
    proc.terminate()
    assert proc.wait(timeout=15) == 0
    log = (tmp_path / "up.log").read_text()
    assert "Traceback" not in log
    assert kl.e["admin"]["client_secret"] not in log
