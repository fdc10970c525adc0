"""Microsoft's first-party service principals every tenant has, as far as keyless serves them."""

from __future__ import annotations

from dataclasses import dataclass

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

# Microsoft Graph application permissions (app roles) keyless checks; ids are Graph's own.
GRAPH_APP_ROLES = {
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
}


@dataclass(frozen=True)
class FirstPartyApp:
    app_id: str
    display_name: str
    service_principal_names: tuple[str, ...]
    app_roles: tuple[tuple[str, str], ...] = ()


FIRST_PARTY = (
    FirstPartyApp(
        GRAPH_APP_ID,
        "Microsoft Graph",
        (
            GRAPH_APP_ID,
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
            "https://canary.graph.microsoft.com",
            "https://graph.microsoft.us",
        ),
        tuple(GRAPH_APP_ROLES.items()),
    ),
    FirstPartyApp(
        ARM_APP_ID,
        "Windows Azure Service Management API",
        (
            ARM_APP_ID,
            "https://management.azure.com/",
            "https://management.core.windows.net/",
            "https://management.azure.com",
        ),
    ),
)

ARM_AUDIENCES = frozenset(
    {
        "https://management.azure.com",
        "https://management.azure.com/",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
        ARM_APP_ID,
    }
)
GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID})
