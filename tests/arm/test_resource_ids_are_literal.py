"""Resource ids are matched literally: `_` and `%` in names are not SQL wildcards."""

from __future__ import annotations

from tests.conftest import Keyless

UAMI = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def test_deleting_a_group_named_with_underscore_spares_its_look_alike(keyless: Keyless) -> None:
    sub = f"/subscriptions/{keyless.e['subscription_id']}"
    for group in ("kl_like", "klxlike", "kl%like2", "klzzlike2"):
        r = keyless.arm("PUT", f"{sub}/resourceGroups/{group}", "2021-04-01", json={"location": "westus2"})
        assert r.status_code == 201, r.text
        r = keyless.arm("PUT", f"{sub}/resourceGroups/{group}/{UAMI}/id1", "2023-01-31", json={"location": "westus2"})
        assert r.status_code == 201, r.text

    assert keyless.arm("DELETE", f"{sub}/resourceGroups/kl_like", "2021-04-01").status_code == 200
    assert keyless.arm("DELETE", f"{sub}/resourceGroups/kl%25like2", "2021-04-01").status_code == 200

    for group in ("klxlike", "klzzlike2"):
        r = keyless.arm("GET", f"{sub}/resourceGroups/{group}/{UAMI}/id1", "2023-01-31")
        assert r.status_code == 200, f"{group}: {r.text}"
    r = keyless.arm("GET", f"{sub}/resourceGroups/kl_like/{UAMI}/id1", "2023-01-31")
    assert r.status_code == 404
