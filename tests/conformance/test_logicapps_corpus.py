"""Conformance: compile every real workflow definition of ../shared/corpus/logicapps and count the accepted.

A file holds a bare definition, a Standard `workflow.json` (`{definition, kind}`), a `{definition, parameters}`
export, or an ARM template with `Microsoft.Logic/workflows` resources. Parameters without a default get a
placeholder of their type, as a deployment's parameters file would supply. Definitions still holding ARM
template expressions (`[parameters('x')]`) are counted apart: they are not deployable until ARM resolves them
(keyless.workflows.arm_template does that for whole templates when it exists).

Every refusal must be a DefinitionError (naming the unsupported type, or a real defect), never a crash.
Accepted files are a ratchet: `logicapps_accepted.txt` may grow, never shrink (KEYLESS_UPDATE_RATCHET=1
rewrites it).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from keyless.workflows.definition import compile_definition
from keyless.workflows.errors import DefinitionError
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "logicapps"
RATCHET = Path(__file__).with_name("logicapps_accepted.txt")
PLACEHOLDERS = {
    "int": 0,
    "float": 0.0,
    "string": "placeholder",
    "securestring": "placeholder",
    "bool": False,
    "array": [],
    "object": {},
    "secureobject": {},
}
_ARM_EXPRESSION = re.compile(r"^\[(?!\[).*\]$", re.DOTALL)

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the Logic Apps corpus is not at {CORPUS}")


def files() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


def _arm_resources(template: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The template's workflows with ARM expressions resolved by keyless.workflows.arm_template (when present;
    parameters take their defaults), or None when it cannot resolve them."""
    try:
        module = importlib.import_module("keyless.workflows.arm_template")
    except ImportError:
        return None
    deployment = module.Deployment("00000000-0000-0000-0000-000000000000", "corpus", "westeurope")
    try:
        return module.resolve_template(template, deployment)
    except module.TemplateError:
        return None


def _workflow_resources(template: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(resources: Any) -> None:
        for resource in resources if isinstance(resources, list) else []:
            if not isinstance(resource, dict):
                continue
            if str(resource.get("type", "")).lower() == "microsoft.logic/workflows":
                found.append(resource)
            walk(resource.get("resources"))
            nested = (
                resource.get("properties", {}).get("template") if isinstance(resource.get("properties"), dict) else None
            )
            if isinstance(nested, dict):
                walk(nested.get("resources"))

    walk(template.get("resources"))
    return found


def definitions(document: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(definition, supplied parameter values) pairs in one corpus file."""
    if not isinstance(document, dict):
        return []
    if "resources" in document and "$schema" in document and "deploymentTemplate" in str(document["$schema"]):
        resolved = _arm_resources(document)
        resources = resolved if resolved is not None else _workflow_resources(document)
        return [
            (r["properties"]["definition"], r["properties"].get("parameters") or {})
            for r in resources
            if str(r.get("type", "")).lower() == "microsoft.logic/workflows" and "definition" in r.get("properties", {})
        ]
    if "definition" in document and isinstance(document["definition"], dict):
        return [(document["definition"], document.get("parameters") or {})]
    if "properties" in document and isinstance(document["properties"], dict) and "definition" in document["properties"]:
        return [(document["properties"]["definition"], document["properties"].get("parameters") or {})]
    return [(document, {})]


def has_arm_expressions(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_ARM_EXPRESSION.match(value))
    if isinstance(value, dict):
        return any(has_arm_expressions(k) or has_arm_expressions(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_arm_expressions(v) for v in value)
    return False


def supplied_values(definition: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    values = {name: entry for name, entry in given.items() if isinstance(entry, dict) and "value" in entry}
    declared = definition.get("parameters") if isinstance(definition.get("parameters"), dict) else {}
    for name, spec in declared.items():
        if name in values or not isinstance(spec, dict) or "defaultValue" in spec or "value" in spec:
            continue
        placeholder = PLACEHOLDERS.get(str(spec.get("type", "")).lower())
        if placeholder is not None:
            values[name] = {"value": placeholder}
    return {name: entry for name, entry in values.items() if any(name.lower() == d.lower() for d in declared)}


def reason(error: DefinitionError) -> str:
    for label, pattern in (
        ("action", r"The action type '([^']+)'"),
        ("trigger", r"The trigger type '([^']+)'"),
        ("Request trigger kind", r"The Request trigger kind '([^']+)'"),
    ):
        match = re.search(pattern, error.detail)
        if match:
            return f"{label} {match.group(1)}"
    return re.sub(r"'[^']*'", "'…'", error.detail)[:120]


def test_corpus_definitions_compile() -> None:
    accepted: list[str] = []
    arm_unresolved: list[str] = []
    refusals: dict[str, str] = {}
    for path in files():
        document = json.loads(path.read_text())
        pairs = definitions(document)
        if any(has_arm_expressions(d) for d, _ in pairs):
            arm_unresolved.append(path.name)
            continue
        problems = []
        for definition, given in pairs:
            try:
                compile_definition(definition, parameters=supplied_values(definition, given))
            except DefinitionError as error:
                problems.append(error)
        if problems:
            refusals[path.name] = reason(problems[0])
        else:
            accepted.append(path.name)
    total = len(accepted) + len(refusals) + len(arm_unresolved)
    print(
        f"\nLogic Apps corpus: {len(accepted)} of {total} files accepted; {len(arm_unresolved)} hold unresolved ARM "
        "template expressions"
    )
    for why, count in Counter(refusals.values()).most_common():
        print(f"  {why}: {count}")
    before = set(RATCHET.read_text().split("\n")) - {""} if RATCHET.exists() else set()
    lost = sorted(before - set(accepted))
    assert not lost, f"definitions accepted before are refused now: {[(n, refusals.get(n)) for n in lost]}"
    if os.environ.get("KEYLESS_UPDATE_RATCHET"):
        RATCHET.write_text("\n".join(sorted(accepted)) + "\n")


def test_definitions_are_found_in_every_wrapper() -> None:
    bare = {"triggers": {}, "actions": {}}
    assert definitions(bare) == [(bare, {})]
    assert definitions({"definition": bare, "kind": "Stateful"}) == [(bare, {})]
    assert definitions({"definition": bare, "parameters": {"p": {"value": 1}}}) == [(bare, {"p": {"value": 1}})]
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"name": {"type": "string", "defaultValue": "wf"}},
        "resources": [
            {
                "type": "Microsoft.Logic/workflows",
                "name": "[parameters('name')]",
                "properties": {
                    "definition": {
                        "triggers": {},
                        "actions": {"A": {"type": "Compose", "inputs": "[concat('a', 'b')]"}},
                    }
                },
            }
        ],
    }
    (found, values), *_ = definitions(template)
    if importlib.util.find_spec("keyless.workflows.arm_template") is not None:
        assert found["actions"]["A"]["inputs"] == "ab"
        assert not has_arm_expressions(found)
    assert values == {}
