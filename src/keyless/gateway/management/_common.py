"""Helpers shared by the APIM resource types: api-versions, property checks, APIM's error bodies."""

from __future__ import annotations

import json
from typing import Any

from keyless.arm.errors import ArmError, bad_body
from keyless.arm.router import PutContext

NAMESPACE = "Microsoft.ApiManagement"
SERVICE = f"{NAMESPACE}/service"

# api-versions of Microsoft.ApiManagement from 2021-08-01 on (azure-rest-api-specs); azure-mgmt-apimanagement 5.0
# defaults to 2024-05-01, APIOps to 2022-08-01 or 2023-09-01-preview.
API_VERSIONS = (
    "2021-08-01",
    "2021-12-01-preview",
    "2022-04-01-preview",
    "2022-08-01",
    "2022-09-01-preview",
    "2023-03-01-preview",
    "2023-05-01-preview",
    "2023-09-01-preview",
    "2024-05-01",
    "2024-06-01-preview",
    "2024-10-01-preview",
    "2025-03-01-preview",
)


def validation_error(target: str, message: str) -> ArmError:
    """APIM's 400 for a field it refuses: ValidationError with one detail naming the field."""
    return ArmError(
        400,
        "ValidationError",
        "One or more fields contain incorrect values:",
        details=[{"code": "ValidationError", "target": target, "message": message}],
    )


def properties(ctx: PutContext) -> dict[str, Any]:
    """`properties` of the PUT body (absent means empty); anything but an object is ARM's deserialization error."""
    value = ctx.body.get("properties")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'Error converting value {json.dumps(value)} to type 'Properties'. Path 'properties'.'"
        )
    return value


def string(props: dict[str, Any], field: str, *, required: bool = False, max_length: int | None = None) -> str | None:
    """A string property, refused as APIM does when missing (if required), of another type, or too long."""
    value = props.get(field)
    if value is None or value == "":
        if required:
            raise validation_error(field, f"'{field}' must not be empty.")
        return None
    if not isinstance(value, str):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'Error converting value {json.dumps(value)} to type 'System.String'. Path 'properties.{field}'.'"
        )
    if max_length is not None and len(value) > max_length:
        raise validation_error(field, f"'{field}' must be {max_length} characters or less.")
    return value


def boolean(props: dict[str, Any], field: str, default: bool | None) -> bool | None:
    value = props.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_body(
            "The request content was invalid and could not be deserialized: "
            f"'Error converting value {json.dumps(value)} to type 'System.Boolean'. Path 'properties.{field}'.'"
        )
    return value


def choice(props: dict[str, Any], field: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    """An enum property; APIM accepts any case and answers with its own spelling."""
    value = props.get(field)
    if value is None:
        return default
    found = next((a for a in allowed if isinstance(value, str) and a.lower() == value.lower()), None)
    if found is None:
        raise validation_error(field, f"Value '{value}' of '{field}' is invalid. Allowed values: {', '.join(allowed)}.")
    return found


def refuse_unsupported(field: str, value: str, why: str) -> ArmError:
    """A feature Azure has that keyless does not: a 400 naming it, never a silent skip."""
    return validation_error(field, f"'{value}' is not supported by keyless: {why}")


def service_id(resource_id: str) -> str:
    """The id of the APIM service a resource id belongs to (`.../providers/Microsoft.ApiManagement/service/x`)."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    i = lowered.index("service", lowered.index("microsoft.apimanagement"))
    return "/".join(parts[: i + 2])


def name_of(resource_id: str) -> str:
    return resource_id.rstrip("/").split("/")[-1]


def relative(resource_id: str) -> str:
    """`/apis/x` from a full id inside a service (what APIOps writes and what scopes compare)."""
    sid = service_id(resource_id)
    return resource_id[len(sid) :] or "/"
