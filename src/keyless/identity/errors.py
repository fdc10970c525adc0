"""AADSTS errors as the Entra token endpoint returns them (reference/identity.md §5)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from keyless.platform.errors import KeylessError


class AadstsError(KeylessError):
    """`{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}`."""

    def __init__(self, number: int, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, status=status, code=error)
        self.number = number

    def body(self, correlation_id: str | None = None) -> dict[str, Any]:
        trace_id = str(uuid.uuid4())
        correlation_id = correlation_id or str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.code,
            "error_description": (
                f"AADSTS{self.number}: {self.message}\r\nTrace ID: {trace_id}\r\n"
                f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}"
            ),
            "error_codes": [self.number],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.number}",
        }


def tenant_not_found(tenant: str) -> AadstsError:
    return AadstsError(
        90002,
        "invalid_request",
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
        "into the correct cloud. Check with your subscription administrator, this may happen if there are "
        "no active subscriptions for the tenant.",
    )


def application_not_found(client_id: str, tenant: str) -> AadstsError:
    return AadstsError(
        700016,
        "unauthorized_client",
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
    )


def invalid_client_secret(client_id: str) -> AadstsError:
    return AadstsError(
        7000215,
        "invalid_client",
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
        f"value, not the client secret ID, for a secret added to app '{client_id}'.",
        status=401,
    )


def expired_client_secret(client_id: str) -> AadstsError:
    return AadstsError(
        7000222,
        "invalid_client",
        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to "
        "create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
        "credentials for added security: https://aka.ms/certCreds.",
        status=401,
    )


def invalid_client_assertion(reason: str) -> AadstsError:
    return AadstsError(700027, "invalid_client", f"Client assertion failed signature validation. {reason}", 401)


def missing_client_credential() -> AadstsError:
    return AadstsError(
        7000218,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        status=401,
    )


def resource_not_found(resource: str, tenant: str) -> AadstsError:
    return AadstsError(
        500011,
        "invalid_resource",
        f"The resource principal named {resource} was not found in the tenant named {tenant}. This can "
        "happen if the application has not been installed by the administrator of the tenant or consented "
        "to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
    )


def scope_needs_default(scope: str) -> AadstsError:
    return AadstsError(
        1002012,
        "invalid_scope",
        f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
        "value with /.default suffixed to the resource identifier (application ID URI).",
    )


def invalid_scope(scope: str) -> AadstsError:
    return AadstsError(
        70011,
        "invalid_scope",
        f"The provided value for the input parameter 'scope' isn't valid. The scope {scope} isn't valid.",
    )


def not_assigned(client_app_id: str, client_name: str, resource_app_id: str, resource_name: str) -> AadstsError:
    return AadstsError(
        501051,
        "invalid_grant",
        f"Application '{client_app_id}'({client_name}) is not assigned to a role for the application "
        f"'{resource_app_id}'({resource_name}).",
    )


def missing_parameter(name: str) -> AadstsError:
    return AadstsError(900144, "invalid_request", f"The request body must contain the following parameter: '{name}'.")


def unsupported_grant_type(grant_type: str) -> AadstsError:
    return AadstsError(70003, "unsupported_grant_type", f"The app requested an unsupported grant type '{grant_type}'.")


def disabled_principal(client_id: str) -> AadstsError:
    return AadstsError(
        7000112,
        "unauthorized_client",
        f"Application '{client_id}' is disabled.",
    )
