"""Request bodies checked against Graph's property types; unknown properties and `@odata.*` are dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from keyless.identity.graph import errors
from keyless.platform.ids import is_guid

Kind = Any  # "Edm.String" | "Edm.Boolean" | "Edm.Int32" | "Edm.Guid" | "Edm.DateTimeOffset" | "Json" | Complex | list


@dataclass(frozen=True)
class Complex:
    """An OData complex or entity type: its name (for messages) and its properties."""

    name: str
    props: dict[str, Kind] = field(default_factory=dict)
    read_only: frozenset[str] = frozenset()


def _type_name(kind: Kind) -> str:
    if isinstance(kind, list):
        return f"Collection({_type_name(kind[0])})"
    if isinstance(kind, Complex):
        return f"microsoft.graph.{kind.name}"
    return "Edm.Untyped" if kind == "Json" else str(kind)


def _node(value: Any) -> str:
    if isinstance(value, list):
        return "StartArray"
    if isinstance(value, dict):
        return "StartObject"
    return "PrimitiveValue"


def _expected_node(kind: Kind) -> str:
    if isinstance(kind, list):
        return "StartArray"
    if isinstance(kind, Complex):
        return "StartObject"
    return "PrimitiveValue"


def _where(path: str) -> str:
    return f" (keyless: at '{path}')"


def _literal(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def check(value: Any, kind: Kind, path: str) -> Any:
    """The value with unknown members dropped, or Graph's 400 for the first property of the wrong JSON type."""
    if kind == "Json":
        return value
    if value is None:
        if not path:
            raise errors.bad_request(
                "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node "
                "was expected."
            )
        if isinstance(kind, list):
            tn = _type_name(kind)
            raise errors.bad_request(
                f"A null value was found for the property named '{path.rsplit('.', 1)[-1]}', which has the expected "
                f"type '{tn}[Nullable=False]'. The expected type '{tn}[Nullable=False]' does not allow null values."
                + _where(path)
            )
        return None
    expected = _expected_node(kind)
    if _node(value) != expected:
        raise errors.bad_request(
            f"An unexpected '{_node(value)}' node was found when reading from the JSON reader. A '{expected}' node was "
            "expected." + _where(path)
        )
    if isinstance(kind, list):
        return [
            check(item, kind[0], f"{path}[{i}]") if item is not None else _null_item(kind, path)
            for i, item in enumerate(value)
        ]
    if isinstance(kind, Complex):
        return {k: check(v, kind.props[k], f"{path}.{k}" if path else k) for k, v in value.items() if k in kind.props}
    return _primitive(value, kind, path)


def _null_item(kind: list[Any], path: str) -> Any:
    raise errors.bad_request(
        f"A null value was found in a collection of type '{_type_name(kind)}'; null items are not allowed."
        + _where(path)
    )


def _convert_error(value: Any, kind: str, path: str) -> errors.GraphError:
    return errors.bad_request(
        f"Cannot convert the literal '{_literal(value)}' to the expected type '{kind}'." + _where(path)
    )


def _primitive(value: Any, kind: str, path: str) -> Any:
    if kind == "Edm.String":
        if not isinstance(value, str):
            raise _convert_error(value, kind, path)
        return value
    if kind == "Edm.Boolean":
        # OData reads the strings "true" and "false" as booleans too.
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise _convert_error(value, kind, path)
        return value
    if kind == "Edm.Int32":
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
            raise _convert_error(value, kind, path)
        return value
    if kind == "Edm.Guid":
        if not isinstance(value, str) or not is_guid(value):
            raise _convert_error(value, kind, path)
        return value.lower()
    if kind == "Edm.DateTimeOffset":
        if not isinstance(value, str):
            raise _convert_error(value, kind, path)
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _convert_error(value, kind, path) from exc
        return value
    raise AssertionError(f"unknown kind {kind}")


S, B, I32, G, DT = "Edm.String", "Edm.Boolean", "Edm.Int32", "Edm.Guid", "Edm.DateTimeOffset"

APP_ROLE = Complex(
    "appRole",
    {"allowedMemberTypes": [S], "description": S, "displayName": S, "id": G, "isEnabled": B, "origin": S, "value": S},
)
PERMISSION_SCOPE = Complex(
    "permissionScope",
    {
        "adminConsentDescription": S,
        "adminConsentDisplayName": S,
        "id": G,
        "isEnabled": B,
        "origin": S,
        "type": S,
        "userConsentDescription": S,
        "userConsentDisplayName": S,
        "value": S,
    },
)
KEY_CREDENTIAL = Complex(
    "keyCredential",
    {
        "customKeyIdentifier": S,
        "displayName": S,
        "endDateTime": DT,
        "key": S,
        "keyId": G,
        "startDateTime": DT,
        "type": S,
        "usage": S,
    },
)
PASSWORD_CREDENTIAL = Complex(
    "passwordCredential",
    {
        "customKeyIdentifier": S,
        "displayName": S,
        "endDateTime": DT,
        "hint": S,
        "keyId": G,
        "secretText": S,
        "startDateTime": DT,
    },
)
INFO = Complex(
    "informationalUrl",
    {"logoUrl": S, "marketingUrl": S, "privacyStatementUrl": S, "supportUrl": S, "termsOfServiceUrl": S},
)
API = Complex(
    "apiApplication",
    {
        "acceptMappedClaims": B,
        "knownClientApplications": [G],
        "oauth2PermissionScopes": [PERMISSION_SCOPE],
        "preAuthorizedApplications": [Complex("preAuthorizedApplication", {"appId": S, "delegatedPermissionIds": [S]})],
        "requestedAccessTokenVersion": I32,
    },
)
APPLICATION = Complex(
    "application",
    {
        "id": S,
        "appId": S,
        "createdDateTime": DT,
        "deletedDateTime": DT,
        "publisherDomain": S,
        "addIns": ["Json"],
        "api": API,
        "appRoles": [APP_ROLE],
        "defaultRedirectUri": S,
        "description": S,
        "disabledByMicrosoftStatus": S,
        "displayName": S,
        "groupMembershipClaims": S,
        "identifierUris": [S],
        "info": INFO,
        "isDeviceOnlyAuthSupported": B,
        "isFallbackPublicClient": B,
        "keyCredentials": [KEY_CREDENTIAL],
        "notes": S,
        "optionalClaims": "Json",
        "parentalControlSettings": Complex(
            "parentalControlSettings", {"countriesBlockedForMinors": [S], "legalAgeGroupRule": S}
        ),
        "passwordCredentials": [PASSWORD_CREDENTIAL],
        "publicClient": Complex("publicClientApplication", {"redirectUris": [S]}),
        "requiredResourceAccess": [
            Complex(
                "requiredResourceAccess",
                {"resourceAppId": S, "resourceAccess": [Complex("resourceAccess", {"id": G, "type": S})]},
            )
        ],
        "serviceManagementReference": S,
        "signInAudience": S,
        "spa": Complex("spaApplication", {"redirectUris": [S]}),
        "tags": [S],
        "tokenEncryptionKeyId": G,
        "web": Complex(
            "webApplication",
            {
                "homePageUrl": S,
                "logoutUrl": S,
                "redirectUris": [S],
                "implicitGrantSettings": Complex(
                    "implicitGrantSettings", {"enableAccessTokenIssuance": B, "enableIdTokenIssuance": B}
                ),
                "redirectUriSettings": ["Json"],
            },
        ),
    },
    read_only=frozenset({"id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain"}),
)
SERVICE_PRINCIPAL = Complex(
    "servicePrincipal",
    {
        "id": S,
        "appId": S,
        "createdDateTime": DT,
        "deletedDateTime": DT,
        "servicePrincipalType": S,
        "appOwnerOrganizationId": G,
        "appDisplayName": S,
        "signInAudience": S,
        "servicePrincipalNames": [S],
        "appRoles": [APP_ROLE],
        "oauth2PermissionScopes": [PERMISSION_SCOPE],
        "keyCredentials": [KEY_CREDENTIAL],
        "passwordCredentials": [PASSWORD_CREDENTIAL],
        "accountEnabled": B,
        "alternativeNames": [S],
        "appDescription": S,
        "appRoleAssignmentRequired": B,
        "description": S,
        "displayName": S,
        "homepage": S,
        "info": INFO,
        "loginUrl": S,
        "logoutUrl": S,
        "notes": S,
        "notificationEmailAddresses": [S],
        "preferredSingleSignOnMode": S,
        "replyUrls": [S],
        "tags": [S],
        "tokenEncryptionKeyId": G,
    },
    read_only=frozenset(
        {
            "id",
            "createdDateTime",
            "deletedDateTime",
            "servicePrincipalType",
            "appOwnerOrganizationId",
            "appDisplayName",
            "signInAudience",
        }
    ),
)
# What keyless refuses to take on a service principal, and why (Graph accepts them; keyless does not model them).
SP_UNSUPPORTED = {
    "servicePrincipalNames": "keyless derives servicePrincipalNames from the application's appId and identifierUris",
    "appRoles": "a service principal's appRoles are its application's; PATCH the application instead",
    "oauth2PermissionScopes": "a service principal's scopes are its application's; PATCH the application instead",
    "keyCredentials": "keyless authenticates clients with the application's credentials; set them on the application",
    "passwordCredentials": "keyless authenticates clients with the application's credentials; use addPassword",
}
APP_ROLE_ASSIGNMENT = Complex(
    "appRoleAssignment",
    {
        "appRoleId": G,
        "principalId": G,
        "resourceId": G,
        "principalType": S,
        "principalDisplayName": S,
        "resourceDisplayName": S,
        "createdDateTime": DT,
        "id": S,
        "deletedDateTime": DT,
    },
)
ADD_PASSWORD = Complex("addPassword", {"passwordCredential": PASSWORD_CREDENTIAL})
REMOVE_PASSWORD = Complex("removePassword", {"keyId": G})
ADD_KEY = Complex("addKey", {"keyCredential": KEY_CREDENTIAL, "passwordCredential": PASSWORD_CREDENTIAL, "proof": S})
REMOVE_KEY = Complex("removeKey", {"keyId": G, "proof": S})


def entity_body(body: Any, kind: Complex, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A POST/PATCH body checked by type; read-only properties may only repeat their current value."""
    cleaned: dict[str, Any] = check(body, kind, "")
    for prop in kind.read_only & cleaned.keys():
        if current is None or cleaned[prop] != current.get(prop):
            raise errors.bad_request(f"Property '{prop}' is read-only and cannot be set.")
        del cleaned[prop]
    return cleaned


SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
MEMBER_TYPES = ("User", "Application")


def application_rules(fields: dict[str, Any]) -> None:
    """Graph's checks on an application's own values (the ones needing no other object)."""
    if "signInAudience" in fields and fields["signInAudience"] not in SIGN_IN_AUDIENCES:
        raise errors.invalid_value("signInAudience", "Application", f"Allowed values: {', '.join(SIGN_IN_AUDIENCES)}.")
    api = fields.get("api") or {}
    if api.get("requestedAccessTokenVersion") not in (None, 1, 2):
        raise errors.invalid_value(
            "requestedAccessTokenVersion", "ApiApplication", "Allowed values are 1, 2 or null (null means 1)."
        )
    if fields.get("signInAudience") == "AzureADandPersonalMicrosoftAccount" and api.get(
        "requestedAccessTokenVersion"
    ) not in (None, 2):
        raise errors.invalid_value(
            "requestedAccessTokenVersion", "ApiApplication", "Personal Microsoft account audiences need version 2."
        )
    for uri in fields.get("identifierUris") or []:
        parts = urlsplit(uri)
        if not parts.scheme or not (parts.netloc or parts.path) or any(c.isspace() for c in uri) or "*" in uri:
            raise errors.invalid_value(
                "identifierUris", "Application", f"'{uri}' is not an absolute URI without wildcards or spaces."
            )
    if len({u.lower() for u in fields.get("identifierUris") or []}) != len(fields.get("identifierUris") or []):
        raise errors.invalid_value("identifierUris", "Application", "The list repeats a value.")
    scopes = (fields.get("api") or {}).get("oauth2PermissionScopes") or []
    permission_scopes(scopes)
    app_roles(fields.get("appRoles") or [], scopes)


def permission_scopes(scopes: list[dict[str, Any]]) -> None:
    ids: set[str] = set()
    values: set[str] = set()
    for scope in scopes:
        if not scope.get("id") or scope["id"] in ids:
            raise errors.invalid_value("id", "PermissionScope", "Every scope needs its own id (a GUID).")
        ids.add(scope["id"])
        value = scope.get("value")
        if not value or any(c.isspace() for c in value) or value in values:
            raise errors.invalid_value("value", "PermissionScope", f"'{value}' must be non-empty, unique, spaceless.")
        values.add(value)
        if scope.get("type") not in (None, "User", "Admin"):
            raise errors.invalid_value("type", "PermissionScope", "Allowed values: User, Admin.")


def app_roles(roles: list[dict[str, Any]], scopes: list[dict[str, Any]]) -> None:
    ids: set[str] = set()
    values: set[str] = {s["value"] for s in scopes if s.get("value")}
    for role in roles:
        if not role.get("id"):
            raise errors.invalid_value("id", "AppRole", "Every app role needs an id (a GUID).")
        if role["id"] in ids:
            raise errors.invalid_value("id", "AppRole", f"The id {role['id']} is used by two app roles.")
        ids.add(role["id"])
        members = role.get("allowedMemberTypes")
        if not members or any(m not in MEMBER_TYPES for m in members):
            raise errors.invalid_value(
                "allowedMemberTypes", "AppRole", f"Role {role['id']}: give one or both of {', '.join(MEMBER_TYPES)}."
            )
        value = role.get("value")
        if value is not None:
            if not value or any(c.isspace() for c in value) or value.startswith("."):
                raise errors.invalid_value(
                    "value", "AppRole", f"'{value}' may not be empty, contain spaces or start with a dot."
                )
            if value in values:
                raise errors.invalid_value(
                    "value",
                    "AppRole",
                    f"'{value}' is used by another app role or permission scope of this application.",
                )
            values.add(value)
