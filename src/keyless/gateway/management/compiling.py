"""Compile a service's policy documents and fragments with the gateway's compiler, as a PUT or DELETE would
leave them; a refusal is APIM's 400 ValidationError naming the element, line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keyless.arm.errors import ArmError
from keyless.gateway.management._common import relative, validation_error
from keyless.gateway.management.config import FRAGMENTS, ServiceConfig


@dataclass
class Compiled:
    """Compiled documents of one service, keyed by lower-case resource id."""

    fragments: dict[str, Any] = field(default_factory=dict)  # fragment id (name) -> CompiledFragment
    documents: dict[str, Any] = field(default_factory=dict)  # policy resource id -> CompiledDocument


def policy_message(exc: Exception) -> str:
    """APIM's wording: "Error in element 'set-header' on line 19, column 7: ..."."""
    message = getattr(exc, "message", None) or str(exc)
    element = getattr(exc, "element", None)
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    where = f"Error in element '{element}'" if element else "Error"
    if line:
        where += f" on line {line}, column {column or 0}"
    return f"{where}: {message}"


def _refusal(exc: Exception, resource_id: str, written_id: str | None) -> ArmError:
    """The written document's own error targets `representation`; a dependent's names the dependent."""
    if written_id is not None and resource_id.lower() == written_id.lower():
        return validation_error("representation", policy_message(exc))
    return ArmError(
        400,
        "ValidationError",
        "One or more fields contain incorrect values:",
        details=[
            {
                "code": "ValidationError",
                "target": relative(resource_id),
                "message": f"The policy at '{relative(resource_id)}' would no longer compile: {policy_message(exc)}",
            }
        ],
    )


def compile_service(config: ServiceConfig, written_id: str | None = None) -> Compiled:
    """Every fragment, then every policy document; the first refusal raises (nothing is swapped then)."""
    out = Compiled()
    if not config.of(FRAGMENTS) and not config.policies():
        return out
    try:
        from keyless.gateway.compiler import ValidationError, compile_document, compile_fragment
    except ImportError as exc:
        raise ArmError(
            501, "NotImplemented", "keyless's policy compiler (keyless.gateway.compiler) is not available."
        ) from exc
    named_values = config.named_values()
    for fragment in config.of(FRAGMENTS):
        try:
            out.fragments[fragment["name"]] = compile_fragment(
                fragment["properties"]["value"], named_values=named_values
            )
        except ValidationError as exc:
            raise _refusal(exc, fragment["id"], written_id) from exc
    for policy, scope in config.policies():
        try:
            out.documents[policy["id"].lower()] = compile_document(
                policy["properties"]["value"], scope=scope, named_values=named_values, fragments=out.fragments
            )
        except ValidationError as exc:
            raise _refusal(exc, policy["id"], written_id) from exc
    return out
