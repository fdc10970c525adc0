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
    sources: dict[str, str] = field(default_factory=dict)  # resource id -> the text compiled
    named_values: dict[str, str] = field(default_factory=dict)  # the named values they were compiled with


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


def compile_service(config: ServiceConfig, written_id: str | None = None, previous: Compiled | None = None) -> Compiled:
    """Every fragment, then every policy document; the first refusal raises (nothing is swapped then).

    With `previous` (the service's last compilation), a document or fragment whose text, named values and
    included fragments are unchanged is reused, so a write costs one compile, not one per document.
    """
    named_values = config.named_values()
    out = Compiled(named_values=named_values)
    if not config.of(FRAGMENTS) and not config.policies():
        return out
    try:
        from keyless.gateway.compiler import ValidationError, compile_document, compile_fragment
    except ImportError as exc:
        raise ArmError(
            501, "NotImplemented", "keyless's policy compiler (keyless.gateway.compiler) is not available."
        ) from exc
    reusable = previous if previous is not None and previous.named_values == named_values else None
    changed: set[str] = set()
    for fragment in config.of(FRAGMENTS):
        key, raw, name = fragment["id"].lower(), fragment["properties"]["value"], fragment["name"]
        out.sources[key] = raw
        old = reusable.fragments.get(name) if reusable else None
        if old is not None and reusable is not None and reusable.sources.get(key) == raw:
            out.fragments[name] = old
            continue
        changed.add(name)
        try:
            out.fragments[name] = compile_fragment(raw, named_values=named_values)
        except ValidationError as exc:
            raise _refusal(exc, fragment["id"], written_id) from exc
    if reusable is not None:
        changed |= set(reusable.fragments) - set(out.fragments)
    for policy, scope in config.policies():
        key, raw = policy["id"].lower(), policy["properties"]["value"]
        out.sources[key] = raw
        old_doc = reusable.documents.get(key) if reusable else None
        if (
            old_doc is not None
            and reusable is not None
            and reusable.sources.get(key) == raw
            and not old_doc.fragments & changed
        ):
            out.documents[key] = old_doc
            continue
        try:
            out.documents[key] = compile_document(raw, scope=scope, named_values=named_values, fragments=out.fragments)
        except ValidationError as exc:
            raise _refusal(exc, policy["id"], written_id) from exc
    return out
