"""The Graph layer's HTTP-free parts: `$filter` parsing, property type checks, and directory rules."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from keyless.identity.directory import Directory, DirectoryError, check_app_role_changes
from keyless.identity.graph import errors, odata, validation
from keyless.platform.store import Store

SPEC = odata.FilterSpec(
    "Application",
    eq=frozenset({"appId", "displayName", "accountEnabled"}),
    startswith=frozenset({"displayName"}),
    any_of=frozenset({"identifierUris"}),
)
APPS = [
    {"appId": "a1", "displayName": "Orders API", "identifierUris": ["api://orders"], "accountEnabled": True},
    {"appId": "a2", "displayName": "O'Brien tool", "identifierUris": [], "accountEnabled": False},
    {"appId": "a3", "displayName": "billing", "identifierUris": ["api://bill", "api://b2"], "accountEnabled": True},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("appId eq 'a1'", ["a1"]),
        ("displayName eq 'ORDERS api'", ["a1"]),
        ("displayName eq 'O''Brien tool'", ["a2"]),
        ("startswith(displayName,'o')", ["a1", "a2"]),
        ("identifierUris/any(u:u eq 'api://b2')", ["a3"]),
        ("accountEnabled eq false", ["a2"]),
        ("appId eq 'a1' or appId eq 'a3'", ["a1", "a3"]),
        ("startswith(displayName,'o') and accountEnabled eq true", ["a1"]),
        ("not (accountEnabled eq true)", ["a2"]),
        ("appId in ('a2','a3')", ["a2", "a3"]),
    ],
)
def test_filter_selects(text: str, expected: list[str]) -> None:
    predicate = odata.parse_filter(text, SPEC)
    assert [a["appId"] for a in APPS if predicate(a)] == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("appId eq", "BadRequest"),
        ("appId eq 'a1' and", "BadRequest"),
        ("appId 'a1'", "BadRequest"),
        ("(appId eq 'a1'", "BadRequest"),
        ("identifierUris/any(u:v eq 'x')", "BadRequest"),
        ("notes eq 'x'", "Request_UnsupportedQuery"),
        ("startswith(appId,'a')", "Request_UnsupportedQuery"),
        ("displayName gt 'a'", "Request_UnsupportedQuery"),
        ("appId eq 'a1' # 1", "BadRequest"),
    ],
)
def test_filter_refuses(text: str, code: str) -> None:
    with pytest.raises(errors.GraphError) as caught:
        odata.parse_filter(text, SPEC)
    assert caught.value.code == code and caught.value.status == 400


def test_check_drops_unknown_members_and_converts() -> None:
    body = {
        "@odata.type": "#microsoft.graph.application",
        "displayName": "x",
        "isFallbackPublicClient": "TRUE",
        "api": {"requestedAccessTokenVersion": 2, "bogus": 1},
        "appRoles": [{"id": str(uuid.uuid4()).upper(), "value": "V", "allowedMemberTypes": ["Application"], "x": 1}],
        "unknown": [1, 2],
    }
    cleaned = validation.check(body, validation.APPLICATION, "")
    assert set(cleaned) == {"displayName", "isFallbackPublicClient", "api", "appRoles"}
    assert cleaned["isFallbackPublicClient"] is True and cleaned["api"] == {"requestedAccessTokenVersion": 2}
    assert cleaned["appRoles"][0]["id"] == body["appRoles"][0]["id"].lower() and "x" not in cleaned["appRoles"][0]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"api": {"requestedAccessTokenVersion": True}}, "'Edm.Int32'"),
        ({"api": {"requestedAccessTokenVersion": 2**31}}, "'Edm.Int32'"),
        ({"tokenEncryptionKeyId": "nope"}, "'Edm.Guid'"),
        ({"appRoles": [None]}, "null items are not allowed"),
        ({"keyCredentials": [{"endDateTime": "soon"}]}, "'Edm.DateTimeOffset'"),
        ({"info": "x"}, "A 'StartObject' node was expected"),
    ],
)
def test_check_refuses_wrong_types(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(errors.GraphError) as caught:
        validation.check(body, validation.APPLICATION, "")
    assert fragment in caught.value.message and "(keyless: at '" in caught.value.message


def test_role_changes() -> None:
    role = {"id": "r1", "value": "A", "isEnabled": True}
    check_app_role_changes([role], [{**role, "displayName": "renamed"}])
    check_app_role_changes([role], [{**role, "isEnabled": False}])
    check_app_role_changes([{**role, "isEnabled": False}], [])
    for new in ([], [{**role, "value": "B"}]):
        with pytest.raises(DirectoryError) as caught:
            check_app_role_changes([role], new)
        assert caught.value.code == "CannotDeleteOrUpdateEnabledEntitlement"


async def test_changes_that_alter_claims_bump_the_generation(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'd.db'}")
    await store.migrate()
    try:
        d = Directory(store)
        await d.bootstrap()
        role = {"id": str(uuid.uuid4()), "value": "R", "allowedMemberTypes": ["Application"]}
        api = await d.create_application({"displayName": "api", "appRoles": [role]})
        api_sp = await d.create_service_principal({"appId": api["appId"]})
        client_sp = await d.create_service_principal({"appId": (await d.create_application({}))["appId"]})
        steps = [
            lambda: d.update_application(api["id"], {"api": {"requestedAccessTokenVersion": 2}}),
            lambda: d.update_service_principal(api_sp["id"], {"appRoleAssignmentRequired": True}),
            lambda: d.assign_app_role(client_sp["id"], api_sp["id"], role["id"]),
        ]
        for step in steps:
            before = d.generation
            await step()
            assert d.generation > before
        assignment = (await d.list_assignments(principal_id=client_sp["id"]))[0]
        before = d.generation
        await d.delete_assignment(assignment["id"], sp_id=api_sp["id"])
        assert d.generation > before

        with pytest.raises(DirectoryError):
            await d.update_application(api["id"], {"appRoles": []})
        assert (await d.get_application(api["id"]))["appRoles"][0]["value"] == "R"
    finally:
        await store.close()
