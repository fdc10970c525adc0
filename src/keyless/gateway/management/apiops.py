"""Reads an APIOps extractor folder into the ARM PUTs that recreate it (no HTTP here; `keyless apim import`
sends them). Kinds keyless does not serve are listed as skipped, each by name, never dropped silently."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Folder -> why it is not imported (apim.md §7 layout).
SKIPPED_KINDS = {
    "tags": "tags are not served by keyless",
    "loggers": "loggers are not served by keyless",
    "diagnostics": "diagnostics are not served by keyless",
    "gateways": "self-hosted gateways are not served by keyless",
    "groups": "developer groups are not served by keyless",
    "workspaces": "workspaces are not served by keyless",
}
API_SKIPPED = {
    "diagnostics": "API diagnostics are not served by keyless",
    "releases": "API releases are not served by keyless",
    "schemas": "API schemas are not imported by `keyless apim import` yet (PUT them through ARM: apis/{api}/schemas)",
    "tags": "API tags are not served by keyless",
    "wikis": "API wikis are not served by keyless",
}
PRODUCT_SKIPPED = {
    "groups": "product groups are not served by keyless",
    "tags": "product tags are not served by keyless",
    "wikis": "product wikis are not served by keyless",
}
KNOWN = {
    "policy.xml",
    "apis",
    "products",
    "subscriptions",
    "named values",
    "backends",
    "version sets",
    "policy fragments",
}
# Specification file suffix -> the import `format` (JSON is told apart by its `swagger` key).
SPEC_FORMATS = {".yaml": "openapi", ".yml": "openapi"}


@dataclass
class Put:
    """One ARM PUT, relative to the service id (`/apis/orders`), and what to call it in the summary."""

    kind: str
    path: str
    body: dict[str, Any]


@dataclass
class Plan:
    puts: list[Put] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def _policy(kind: str, path: str, file: Path) -> Put:
    return Put(kind, path, {"properties": {"format": "rawxml", "value": file.read_text(encoding="utf-8")}})


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _spec(api_dir: Path, plan: Plan) -> dict[str, Any]:
    """`format`/`value` for the API's specification file, when keyless can import it."""
    for spec in sorted(api_dir.glob("specification.*")):
        text = spec.read_text(encoding="utf-8")
        if spec.suffix in SPEC_FORMATS:
            return {"format": SPEC_FORMATS[spec.suffix], "value": text}
        if spec.suffix == ".json":
            return {"format": "swagger-json" if '"swagger"' in text[:200] else "openapi+json", "value": text}
        plan.skipped.append(f"{api_dir.name}/{spec.name}: {spec.suffix[1:]} specifications are not imported")
    return {}


def _apis(root: Path, plan: Plan) -> None:
    # Current revisions first: a `name;rev=N` folder is a revision of `name`.
    api_dirs = sorted(_dirs(root / "apis"), key=lambda p: (";rev=" in p.name, p.name))
    for api_dir in api_dirs:
        info = api_dir / "apiInformation.json"
        if not info.is_file():
            plan.skipped.append(f"apis/{api_dir.name}: no apiInformation.json")
            continue
        body = _json(info)
        body.setdefault("properties", {}).update(_spec(api_dir, plan))
        api_type = str(body["properties"].get("type") or "http").lower()
        if api_type != "http":
            plan.skipped.append(f"apis/{api_dir.name}: a {api_type} API is stored; the gateway serves HTTP operations")
        plan.puts.append(Put("api", f"/apis/{api_dir.name}", body))
        if (api_dir / "policy.xml").is_file():
            plan.puts.append(_policy("api policy", f"/apis/{api_dir.name}/policies/policy", api_dir / "policy.xml"))
        for op_dir in _dirs(api_dir / "operations"):
            if (op_dir / "policy.xml").is_file():
                path = f"/apis/{api_dir.name}/operations/{op_dir.name}/policies/policy"
                plan.puts.append(_policy("operation policy", path, op_dir / "policy.xml"))
        for sub, why in API_SKIPPED.items():
            if (api_dir / sub).is_dir():
                plan.skipped.append(f"apis/{api_dir.name}/{sub}: {why}")


def _products(root: Path, plan: Plan) -> None:
    for product_dir in _dirs(root / "products"):
        info = product_dir / "productInformation.json"
        if not info.is_file():
            plan.skipped.append(f"products/{product_dir.name}: no productInformation.json")
            continue
        plan.puts.append(Put("product", f"/products/{product_dir.name}", _json(info)))
        if (product_dir / "policy.xml").is_file():
            path = f"/products/{product_dir.name}/policies/policy"
            plan.puts.append(_policy("product policy", path, product_dir / "policy.xml"))
        for api_dir in _dirs(product_dir / "apis"):
            plan.puts.append(Put("product api", f"/products/{product_dir.name}/apis/{api_dir.name}", {}))
        for sub, why in PRODUCT_SKIPPED.items():
            if (product_dir / sub).is_dir():
                plan.skipped.append(f"products/{product_dir.name}/{sub}: {why}")


def _simple(root: Path, plan: Plan, folder: str, info_name: str, kind: str, arm_type: str) -> None:
    for item in _dirs(root / folder):
        info = item / info_name
        if info.is_file():
            plan.puts.append(Put(kind, f"/{arm_type}/{item.name}", _json(info)))
        else:
            plan.skipped.append(f"{folder}/{item.name}: no {info_name}")


def _fragments(root: Path, plan: Plan) -> None:
    for item in _dirs(root / "policy fragments"):
        body = (
            _json(item / "policyFragmentInformation.json")
            if (item / "policyFragmentInformation.json").is_file()
            else {}
        )
        props = body.setdefault("properties", {})
        if (item / "policy.xml").is_file():
            props.update(format="rawxml", value=(item / "policy.xml").read_text(encoding="utf-8"))
        plan.puts.append(Put("policy fragment", f"/policyFragments/{item.name}", body))


def read(root: Path) -> Plan:
    """The PUTs in dependency order: named values, backends, version sets, fragments, the service policy, APIs
    (then their policies), products (policies, APIs), subscriptions."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    plan = Plan()
    _simple(root, plan, "named values", "namedValueInformation.json", "named value", "namedValues")
    _simple(root, plan, "backends", "backendInformation.json", "backend", "backends")
    _simple(root, plan, "version sets", "versionSetInformation.json", "version set", "apiVersionSets")
    _fragments(root, plan)
    if (root / "policy.xml").is_file():
        plan.puts.append(_policy("service policy", "/policies/policy", root / "policy.xml"))
    _apis(root, plan)
    _products(root, plan)
    _simple(root, plan, "subscriptions", "subscriptionInformation.json", "subscription", "subscriptions")
    for folder, why in SKIPPED_KINDS.items():
        for item in _dirs(root / folder):
            plan.skipped.append(f"{folder}/{item.name}: {why}")
    for entry in sorted(root.iterdir()):
        if entry.name not in KNOWN and entry.name not in SKIPPED_KINDS:
            plan.skipped.append(f"{entry.name}: not part of the extractor layout keyless reads")
    return plan
