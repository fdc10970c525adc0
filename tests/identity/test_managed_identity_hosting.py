"""The choice of identity (reference/identity.md §1 "Default identity rule") and selector parsing, without HTTP."""

from __future__ import annotations

import pytest

from keyless.identity.managed_identity import app_service, imds
from keyless.identity.managed_identity.hosting import HostIdentity, IdentityError, Selector, choose, parse_selector

HOST = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/web"
U1 = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/one"
U2 = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/two"

SYSTEM = HostIdentity("SystemAssigned", HOST, {"id": "p-sys", "appId": "c-sys"}, own=True)
ONE = HostIdentity("UserAssigned", U1, {"id": "p-one", "appId": "c-one"})
TWO = HostIdentity("UserAssigned", U2, {"id": "p-two", "appId": "c-two"})


@pytest.mark.parametrize(
    ("identities", "selector", "sole_default", "expected"),
    [
        ([SYSTEM, ONE, TWO], None, True, SYSTEM),
        ([ONE, SYSTEM], None, False, SYSTEM),
        ([ONE], None, True, ONE),
        ([SYSTEM, ONE, TWO], Selector("client_id", "C-TWO"), True, TWO),
        ([SYSTEM, ONE, TWO], Selector("object_id", "p-one"), True, ONE),
        ([SYSTEM, ONE, TWO], Selector("resource_id", U2.upper()), True, TWO),
        ([SYSTEM, ONE], Selector("client_id", "c-sys"), True, SYSTEM),
    ],
)
def test_choose(
    identities: list[HostIdentity], selector: Selector | None, sole_default: bool, expected: HostIdentity
) -> None:
    assert choose(identities, selector, sole_default) == expected


@pytest.mark.parametrize(
    ("identities", "selector", "sole_default", "code"),
    [
        ([], None, True, "not_found"),
        ([ONE, TWO], None, True, "ambiguous"),
        ([ONE], None, False, "ambiguous"),
        ([SYSTEM, ONE], Selector("client_id", "c-two"), True, "not_found"),
        # A host's own id is no user-assigned identity, so msi_res_id cannot name the system-assigned one.
        ([SYSTEM, ONE], Selector("resource_id", HOST), True, "not_found"),
    ],
)
def test_choose_refuses(
    identities: list[HostIdentity], selector: Selector | None, sole_default: bool, code: str
) -> None:
    with pytest.raises(IdentityError) as raised:
        choose(identities, selector, sole_default)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("query", "aliases", "expected"),
    [
        ({"resource": "x"}, imds.SELECTORS, None),
        ({"msi_res_id": U1}, imds.SELECTORS, Selector("resource_id", U1)),
        ({"mi_res_id": U1}, imds.SELECTORS, Selector("resource_id", U1)),
        ({"principal_id": "p"}, imds.SELECTORS, Selector("object_id", "p")),
        ({"mi_res_id": U1}, app_service.SELECTORS, Selector("resource_id", U1)),
        ({"object_id": "p"}, app_service.SELECTORS, Selector("object_id", "p")),
        ({"clientid": "c"}, app_service.LEGACY_SELECTORS, Selector("client_id", "c")),
    ],
)
def test_parse_selector(query: dict[str, str], aliases: dict[str, str], expected: Selector | None) -> None:
    assert parse_selector(query, aliases) == expected


@pytest.mark.parametrize(
    "query", [{"client_id": "a", "object_id": "b"}, {"msi_res_id": U1, "resource_id": U1}, {"client_id": " "}]
)
def test_parse_selector_refuses(query: dict[str, str]) -> None:
    with pytest.raises(IdentityError) as raised:
        parse_selector(query, imds.SELECTORS)
    assert raised.value.code == "selector"
