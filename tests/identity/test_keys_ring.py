"""KeyRing on a shared store: a rotation on one node reaches the others; retired keys leave when their tokens die."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest

from keyless.identity.keys import KEY_REFRESH_SECONDS, MAX_TOKEN_LIFETIME, KeyRing
from keyless.platform import clock
from keyless.platform.store import Store


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    frozen = [clock.now()]
    monkeypatch.setattr(clock, "now", lambda: frozen[0])
    return frozen


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database file: two keyless nodes."""
    url = f"sqlite:///{tmp_path / 'keyless.db'}"
    a, b = Store(url), Store(url)
    await a.migrate()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


def kids(ring: KeyRing) -> set[str]:
    return {str(k["kid"]) for k in ring.jwks()["keys"]}


async def test_rotation_on_one_node_reaches_another(stores: tuple[Store, Store], now: list[float]) -> None:
    a, b = KeyRing(stores[0]), KeyRing(stores[1])
    await a.load()
    await b.load()
    assert a.active is not None and b.active is not None and a.active.kid == b.active.kid
    parsed = {k.kid: k.private_key for k in b.keys}
    rotated = await a.rotate()
    await b.ensure_fresh()  # not due yet: B still signs with the old key, which stays published
    assert b.active.kid == rotated["retired"]
    now[0] += KEY_REFRESH_SECONDS
    await b.ensure_fresh()
    assert b.active.kid == rotated["active"]
    assert kids(b) == kids(a) == set(rotated.values())
    # B signs with the key A published ahead, and A's JWKS verifies it
    token = b.sign({"aud": "x", "exp": int(now[0]) + 60}, x5t=False)
    assert jwt.get_unverified_header(token)["kid"] == rotated["active"]
    key = jwt.PyJWKSet.from_dict(a.jwks())[rotated["active"]]
    assert jwt.decode(token, key.key, algorithms=["RS256"], audience="x", options={"verify_exp": False})["aud"] == "x"
    # keys B already held were not parsed again
    assert all(k.private_key is parsed[k.kid] for k in b.keys if k.kid in parsed)


async def test_retired_key_leaves_when_its_last_token_expires(stores: tuple[Store, Store], now: list[float]) -> None:
    ring = KeyRing(stores[0])
    await ring.load()
    rotated = await ring.rotate()
    assert rotated["retired"] in kids(ring)
    now[0] += MAX_TOKEN_LIFETIME - 1
    assert rotated["retired"] in kids(ring)
    now[0] += 2
    assert kids(ring) == {rotated["active"], rotated["next"]}
    assert ring.public_key(rotated["retired"]) is None  # keyless stops accepting it too
    again = KeyRing(stores[1])
    await again.load()  # a restart deletes it from the store
    assert {k.kid for k in again.keys} == {rotated["active"], rotated["next"]}
