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
