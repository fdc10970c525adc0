"""The OpenID metadata + JWKS cache: fetched through the aliases over HTTPS, kept an hour, refreshed for an
unknown kid at most every five minutes, old keys kept when a refresh fails (a settable clock, no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.gateway.policies._security_doubles import Ctx, Gateway, bearer, keyless_gateway, xml

from keyless.gateway.openid import FORCED_REFRESH_SECONDS, REFRESH_SECONDS, RETRY_SECONDS, MetadataError, OpenIdCache
from keyless.gateway.policies import validate_jwt


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass
class Aliases:
    """keyless's aliases, or (broken) every login URL sent to a closed port."""

    real: Any
    broken: bool = False

    def resolve(self, url: str) -> str:
        resolved = str(self.real.resolve(url))
        if self.broken:
            return "https://127.0.0.1:9/" + resolved.split("/", 3)[3]
        return resolved


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from keyless_gateway(tmp_path_factory.mktemp("openid"))


def v2_url(gw: Gateway) -> str:
    return f"https://login.microsoftonline.com/{gw.kl.tenant}/v2.0/.well-known/openid-configuration"


def test_kept_an_hour_then_fetched_again(gw: Gateway) -> None:
    clock = Clock()
    cache = OpenIdCache(clock)
    aliases = Aliases(gw.kl.svc.aliases)
    first = gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    assert first.issuer == f"https://login.microsoftonline.com/{gw.kl.tenant}/v2.0"
    assert first.jwks_uri.startswith(gw.kl.login) and first.keys
    clock.t += REFRESH_SECONDS - 1
    assert gw.kl.run(cache.get(v2_url(gw), gw.session, aliases)) is first
    assert cache.fetches == 1
    clock.t += 2
    again = gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    assert again is not first and cache.fetches == 2


def test_unknown_kid_refreshes_at_most_every_five_minutes(gw: Gateway) -> None:
    clock = Clock()
    cache = OpenIdCache(clock)
    aliases = Aliases(gw.kl.svc.aliases)
    gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    known = cache._entries[v2_url(gw)].metadata
    assert known is not None
    gw.kl.run(cache.get(v2_url(gw), gw.session, aliases, kid=known.keys[0].kid))
    assert cache.fetches == 1  # a known kid never refreshes
    gw.kl.run(cache.get(v2_url(gw), gw.session, aliases, kid="nope"))
    assert cache.fetches == 2
    clock.t += FORCED_REFRESH_SECONDS - 1
    gw.kl.run(cache.get(v2_url(gw), gw.session, aliases, kid="nope"))
    assert cache.fetches == 2
    clock.t += 2
    gw.kl.run(cache.get(v2_url(gw), gw.session, aliases, kid="nope"))
    assert cache.fetches == 3


def test_failed_refresh_keeps_the_old_keys(gw: Gateway) -> None:
    clock = Clock()
    cache = OpenIdCache(clock)
    aliases = Aliases(gw.kl.svc.aliases)
    held = gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    aliases.broken = True
    clock.t += REFRESH_SECONDS + 1
    attempts = len(gw.fetched)
    assert gw.kl.run(cache.get(v2_url(gw), gw.session, aliases)) is held
    assert len(gw.fetched) == attempts + 1 and "127.0.0.1:9/" in gw.fetched[-1]
    assert "failed" in cache.error(v2_url(gw))
    # the failed refresh is retried after the back-off, not on every request
    assert gw.kl.run(cache.get(v2_url(gw), gw.session, aliases)) is held
    assert len(gw.fetched) == attempts + 1
    aliases.broken = False
    clock.t += FORCED_REFRESH_SECONDS
    assert gw.kl.run(cache.get(v2_url(gw), gw.session, aliases)) is not held
    assert cache.error(v2_url(gw)) == ""


def test_never_fetched_failure_is_an_error_and_fails_fast(gw: Gateway) -> None:
    clock = Clock()
    cache = OpenIdCache(clock)
    aliases = Aliases(gw.kl.svc.aliases, broken=True)
    with pytest.raises(MetadataError) as caught:
        gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    assert caught.value.message == f"IDX20803: Unable to obtain configuration from: '{v2_url(gw)}'."
    attempts = len(gw.fetched)
    with pytest.raises(MetadataError):
        gw.kl.run(cache.get(v2_url(gw), gw.session, aliases))
    assert len(gw.fetched) == attempts  # within the retry delay: no new fetch
    clock.t += RETRY_SECONDS
    aliases.broken = False
    assert gw.kl.run(cache.get(v2_url(gw), gw.session, aliases)).keys


def test_validate_jwt_without_metadata_refuses_with_idx20803(gw: Gateway) -> None:
    cfg = validate_jwt.compile_policy(
        xml(
            """<validate-jwt header-name="Authorization">
                 <openid-config url="https://login.microsoftonline.com/no-such-tenant/v2.0/.well-known/openid-configuration"/>
               </validate-jwt>"""
        ),
        Ctx(),
    )
    token = gw.kl.svc.keys.sign({"exp": 4_000_000_000}, x5t=False)
    state = gw.state(headers=bearer(token))
    _, error = gw.run(validate_jwt.SPEC, cfg, state)
    assert error is not None and error.reason == "JwtInvalid"
    assert "IDX20803" in error.message and "could not be fetched" in error.message


def test_rotated_signing_key_is_picked_up_by_the_unknown_kid_refresh(gw: Gateway) -> None:
    """Two rotations make a kid the cached JWKS never had; the first token with it forces one refresh."""
    tenant = gw.kl.tenant
    cfg = validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization">
                 <openid-config url="{v2_url(gw)}"/>
                 <issuers><issuer>https://sts.windows.net/{tenant}/</issuer></issuers>
               </validate-jwt>"""
        ),
        Ctx(),
    )
    claims = {"iss": f"https://sts.windows.net/{tenant}/", "exp": 4_000_000_000}
    assert gw.run(validate_jwt.SPEC, cfg, gw.state(headers=bearer(gw.kl.svc.keys.sign(claims, x5t=True))))[1] is None
    before = gw.openid.fetches
    gw.kl.run(gw.kl.svc.keys.rotate())
    gw.kl.run(gw.kl.svc.keys.rotate())
    rotated = gw.kl.svc.keys.sign(claims, x5t=True)
    _, error = gw.run(validate_jwt.SPEC, cfg, gw.state(headers=bearer(rotated)))
    assert error is None, error and error.message
    assert gw.openid.fetches == before + 1
