"""Run and version names (§6.3) and the SAS of callback URLs and content links (§2.1)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from keyless.workflows import callback, ids


def test_run_names_have_azures_shape_and_sort_newest_first() -> None:
    names = [ids.run_name() for _ in range(50)]
    assert all(ids.is_run_name(n) and len(n) == 33 and n.endswith("CU00") for n in names)
    assert names == sorted(names, reverse=True)  # made later → sorts earlier
    versions = [ids.version_name() for _ in range(20)]
    assert all(len(v) == 20 and v.isdigit() for v in versions)
    assert versions == sorted(versions, reverse=True)


def test_names_encode_reversed_dotnet_ticks() -> None:
    # The reference's worked example: 9223372036854775807 - 8584640926573727105 ticks = 2025-01-22 02:50:28.10 UTC.
    moment = ids.time_of("08584640926573727105946217888CU00")
    assert moment.strftime("%Y-%m-%d %H:%M:%S") == "2025-01-22 02:50:28"
    at = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert ids.time_of(ids.version_name(at)) == at
    assert ids.time_of(ids.run_name(at)) == at


def test_timestamps_have_seven_fractional_digits() -> None:
    text = ids.timestamp(datetime(2024, 11, 18, 22, 39, 44, 512205, tzinfo=UTC))
    assert text == "2024-11-18T22:39:44.5122050Z"


def test_sign_is_43_url_safe_characters_and_depends_on_every_part() -> None:
    key = secrets.token_bytes(32)
    sig = callback.sign(key, "/triggers/manual/run")
    assert len(sig) == 43 and "=" not in sig and "+" not in sig and "/" not in sig
    assert sig == callback.sign(key, "/triggers/manual/run", "1.0", None)
    assert sig != callback.sign(key, "/triggers/other/run")
    assert sig != callback.sign(key, "/triggers/manual/run", "1.0", "2030-01-01T00:00:00Z")
    assert sig != callback.sign(secrets.token_bytes(32), "/triggers/manual/run")


def _query(key: bytes, sp: str, se: str | None = None) -> dict[str, str]:
    q = {"api-version": "2016-10-01", "sp": sp, "sv": "1.0", "sig": callback.sign(key, sp, "1.0", se)}
    if se:
        q["se"] = se
    return q


def test_verify_accepts_either_key_and_refuses_tampering() -> None:
    primary, secondary = secrets.token_bytes(32), secrets.token_bytes(32)
    sp = "/triggers/manual/run"
    assert callback.verify([primary, secondary], _query(primary, sp), sp) == sp
    assert callback.verify([primary, secondary], _query(secondary, sp), sp) == sp
    # A signature made with a key since regenerated no longer verifies.
    with pytest.raises(callback.SasError) as err:
        callback.verify([primary, secrets.token_bytes(32)], _query(secondary, sp), sp)
    assert err.value.status == 401 and err.value.code == "AuthorizationFailed"

    tampered = _query(primary, sp)
    tampered["sig"] = ("A" if tampered["sig"][0] != "A" else "B") + tampered["sig"][1:]
    with pytest.raises(callback.SasError):
        callback.verify([primary, secondary], tampered, sp)
    # A valid signature for another permission does not open this one.
    with pytest.raises(callback.SasError):
        callback.verify([primary], _query(primary, "/triggers/other/run"), sp)
    # Changing sp without re-signing breaks the signature.
    moved = {**_query(primary, "/triggers/other/run"), "sp": sp}
    with pytest.raises(callback.SasError):
        callback.verify([primary], moved, sp)


def test_verify_checks_expiry() -> None:
    key = secrets.token_bytes(32)
    sp = "/runs/R/contents/TriggerOutputs/read"
    future = ids.timestamp(datetime.now(UTC) + timedelta(hours=1))
    past = ids.timestamp(datetime.now(UTC) - timedelta(seconds=1))
    assert callback.verify([key], _query(key, sp, future), sp) == sp
    with pytest.raises(callback.SasError, match="expired"):
        callback.verify([key], _query(key, sp, past), sp)
    # Dropping `se` from an expiring URL breaks its signature instead of extending it.
    unbounded = _query(key, sp, past)
    del unbounded["se"]
    with pytest.raises(callback.SasError):
        callback.verify([key], unbounded, sp)


@pytest.mark.parametrize("missing", ["sp", "sv", "sig"])
def test_missing_parameters_get_azures_message(missing: str) -> None:
    key = secrets.token_bytes(32)
    query = _query(key, "/triggers/manual/run")
    del query[missing]
    with pytest.raises(callback.SasError) as err:
        callback.verify([key], query, "/triggers/manual/run")
    assert err.value.body() == {
        "error": {
            "code": "AuthorizationFailed",
            "message": "Required parameters for shared access URL are permissions ('sp'), version ('sv'), and "
            "signature ('sig').",
        }
    }
