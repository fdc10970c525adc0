"""Directory objects in Microsoft Graph's JSON shape: defaults, app role rules, service principal names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from keyless.platform.errors import KeylessError


class DirectoryError(KeylessError):
    """A Graph-shaped failure: `code` is Graph's (`Request_ResourceNotFound`, `Request_BadRequest`...)."""


def graph_timestamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def application_defaults(app_id: str, object_id: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "deletedDateTime": None,
        "appId": app_id,
        "applicationTemplateId": None,
        "disabledByMicrosoftStatus": None,
        "createdDateTime": graph_timestamp(datetime.now(UTC)),
        "displayName": None,
        "description": None,
        "groupMembershipClaims": None,
        "identifierUris": [],
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": None,
        "notes": None,
        "publisherDomain": None,
        "serviceManagementReference": None,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": None,
        "uniqueName": None,
        "defaultRedirectUri": None,
        "optionalClaims": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": None,
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": [],
        },
        "appRoles": [],
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [],
            "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
            "redirectUriSettings": [],
        },
        "spa": {"redirectUris": []},
    }


def service_principal_defaults(object_id: str, app_id: str, display_name: str, sp_type: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "alternativeNames": [],
        "appDisplayName": display_name if sp_type == "Application" else None,
        "appDescription": None,
        "appId": app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": None,
        "appRoleAssignmentRequired": False,
        "createdDateTime": graph_timestamp(datetime.now(UTC)),
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": display_name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": sp_type,
        "signInAudience": "AzureADMyOrg" if sp_type == "Application" else None,
        "tags": [],
        "tokenEncryptionKeyId": None,
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "addIns": [],
        "appRoles": [],
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
    }


def sp_app_roles(app_roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service principal's copy of its application's roles carries `origin: Application`."""
    return [{**role, "origin": "Application"} for role in app_roles]


def normalize_app_roles(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every appRole property present, `isEnabled` true unless given (Graph's default)."""
    out = []
    for role in roles:
        full = {
            "allowedMemberTypes": [],
            "description": None,
            "displayName": None,
            "id": None,
            "isEnabled": True,
            "origin": "Application",
            "value": None,
        }
        full.update({k: v for k, v in role.items() if v is not None or k not in ("isEnabled", "origin")})
        out.append(full)
    return out


def check_app_role_changes(old_roles: list[dict[str, Any]], new_roles: list[dict[str, Any]]) -> None:
    """Entra refuses to drop an enabled role (or scope) or change its value: it must be disabled (isEnabled false)
    first."""
    new_by_id = {r.get("id"): r for r in new_roles}
    for old in old_roles:
        if old.get("isEnabled", True) is False:
            continue
        new = new_by_id.get(old.get("id"))
        if new is None or new.get("value") != old.get("value"):
            what = "removed" if new is None else f"given value '{new.get('value')}'"
            raise DirectoryError(
                "Permission (scope or role) cannot be deleted or updated unless disabled first. (keyless: enabled "
                f"role or scope {old.get('id')} ('{old.get('value')}') was {what}; disable it first.)",
                code="CannotDeleteOrUpdateEnabledEntitlement",
            )


def service_principal_names(app: dict[str, Any]) -> list[str]:
    return [app["appId"], *[u for u in app.get("identifierUris") or [] if u != app["appId"]]]
