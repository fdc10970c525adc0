"""validate-odata-request: check an OData request's version, size and system query options (APIM's policy)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from keyless.gateway import schema_validation as sv
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec

NAME = "validate-odata-request"
VERSIONS = ("4.0", "4.01")  # the OData versions the OData-Version header may carry
# OData 4.0/4.01 system query options (OData URL conventions §5); 4.01 lets them be written without `$`
# and in any case.
SYSTEM_OPTIONS = frozenset(
    {
        "$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$count", "$search", "$format", "$compute",
        "$index", "$schemaversion", "$skiptoken", "$deltatoken", "$apply", "$levels", "$id",
    }
)  # fmt: skip
V401_ONLY = frozenset({"$compute", "$index", "$schemaversion"})
_VERSION = re.compile(r"^\d+\.\d+$")


@dataclass(frozen=True)
class Config:
    variable: str | None
    default: str
    minimum: str | None
    maximum: str | None
    max_size: int | None


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    # "4.01" > "4.0": compare the minor part as written after the dot, as OData numbers its versions.
    return int(major), int(minor.ljust(2, "0"))


def _version(element: Element, ctx: CompileContext, name: str) -> str | None:
    raw = element.attrs.get(name)
    if raw is None:
        return None
    if t.is_expression(raw):
        raise ctx.error(element, f"Policy expressions are not allowed in the '{name}' attribute.", name)
    if raw.strip() not in VERSIONS:
        raise ctx.error(element, f"The '{name}' value '{raw}' is not an OData version ({', '.join(VERSIONS)}).", name)
    return raw.strip()


def compile(element: Element, ctx: CompileContext) -> Config:
    names = ("error-variable-name", "default-odata-version", "min-odata-version", "max-odata-version", "max-size")
    t.check_attributes(element, ctx, names)
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    default = _version(element, ctx, "default-odata-version") or "4.0"
    minimum = _version(element, ctx, "min-odata-version")
    maximum = _version(element, ctx, "max-odata-version")
    if minimum and maximum and _key(minimum) > _key(maximum):
        raise ctx.error(element, "'min-odata-version' is greater than 'max-odata-version'.", "min-odata-version")
    max_size = None
    raw = element.attrs.get("max-size")
    if raw is not None:
        if t.is_expression(raw) or not raw.strip().isdigit():
            raise ctx.error(element, f"The 'max-size' value '{raw}' is not a non-negative integer.", "max-size")
        max_size = int(raw.strip())
    return Config(sv.variable_name(element, ctx, "error-variable-name"), default, minimum, maximum, max_size)


async def run(cfg: Config, state: Any) -> None:
    findings = sv.Findings(NAME)
    request = state.request

    def refuse(name: str, type_: str, details: str) -> None:
        findings.add("prevent", name, type_, "IncorrectMessage", details)

    header = request.headers.get("OData-Version")
    version = cfg.default
    if header is not None:
        text = header.strip()
        if not _VERSION.match(text) or text not in VERSIONS:
            refuse("OData-Version", "RequestHeader", f"The OData-Version header value '{header}' is not supported.")
            findings.conclude(state, cfg.variable)
            return
        version = text
    if cfg.minimum and _key(version) < _key(cfg.minimum):
        refuse("OData-Version", "RequestHeader", f"OData version {version} is lower than the minimum {cfg.minimum}.")
    if cfg.maximum and _key(version) > _key(cfg.maximum):
        refuse("OData-Version", "RequestHeader", f"OData version {version} is higher than the maximum {cfg.maximum}.")
    body = request.body or b""
    declared = request.headers.get("Content-Length")
    size = max(len(body), int(declared) if declared and declared.strip().isdigit() else 0)
    if cfg.max_size is not None and size > cfg.max_size:
        details = f"Request's body is {size} bytes long and it exceeds the limit of {cfg.max_size} bytes."
        findings.add("prevent", "", "RequestBody", "SizeLimit", details)
    _query_options(findings, request.original_url.query, version)
    findings.conclude(state, cfg.variable)


def _query_options(findings: sv.Findings, query: dict[str, list[str]], version: str) -> None:
    v401 = _key(version) >= _key("4.01")
    seen: set[str] = set()
    for raw_name, values in query.items():
        name = raw_name.lower() if v401 else raw_name
        if v401 and not name.startswith("$") and f"${name}" in SYSTEM_OPTIONS:
            name = f"${name}"  # 4.01: system query options may omit the `$`
        if not name.startswith("$"):
            continue  # a custom query option or parameter alias
        if name not in SYSTEM_OPTIONS or (name in V401_ONLY and not v401):
            _bad(findings, raw_name, f"The query option {raw_name} is not a system query option of OData {version}.")
            continue
        if name in seen or len(values) > 1:
            _bad(findings, raw_name, f"The system query option {raw_name} is specified more than once.")
            continue
        seen.add(name)
        value = values[0]
        if name in ("$top", "$skip") and not value.isdigit():
            _bad(findings, raw_name, f"The value '{value}' of {raw_name} is not a non-negative integer.")
        elif name == "$count" and value.lower() not in ("true", "false"):
            _bad(findings, raw_name, f"The value '{value}' of {raw_name} is not true or false.")
        elif not value.strip() and name not in ("$search",):
            _bad(findings, raw_name, f"The system query option {raw_name} has an empty value.")


def _bad(findings: sv.Findings, name: str, details: str) -> None:
    findings.add("prevent", name, "QueryParameter", "IncorrectMessage", details)


SPEC = PolicySpec(
    NAME, frozenset({"inbound"}), compile, run, scopes=frozenset({"global", "workspace", "product", "api"}), once=True
)
