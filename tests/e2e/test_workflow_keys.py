"""Regenerating a workflow's access key ends the callback URLs signed with it at once (the runtime caches keys)."""

from __future__ import annotations

import uuid

import requests

from tests.conftest import Keyless

API = "2019-05-01"
DEFINITION = {
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {"Reply": {"type": "Response", "kind": "Http", "inputs": {"statusCode": 200, "body": "ok"}}},
}


def test_regenerated_primary_key_refuses_old_urls(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/providers/Microsoft.Logic/workflows/keys-{uuid.uuid4().hex[:6]}"
    made = keyless.arm(
        "PUT", path, API, json={"location": keyless.e["location"], "properties": {"definition": DEFINITION}}
    )
    assert made.status_code in (200, 201), made.text

    def url() -> str:
        r = keyless.arm("POST", f"{path}/triggers/manual/listCallbackUrl", API, json={})
        assert r.status_code == 200, r.text
        return str(r.json()["value"])

    old = url()
    for _ in range(2):  # the second call is served from the runtime's key cache
        assert requests.post(old, json={}, verify=keyless.ca, timeout=30).status_code == 200
    r = keyless.arm("POST", f"{path}/regenerateAccessKey", API, json={"keyType": "Primary"})
    assert r.status_code == 200, r.text
    refused = requests.post(old, json={}, verify=keyless.ca, timeout=30)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AuthorizationFailed"
    new = url()
    assert new != old
    assert requests.post(new, json={}, verify=keyless.ca, timeout=30).status_code == 200
