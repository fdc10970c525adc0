"""The policy registry: every module in `gateway/policies/` declares `SPEC`; checked when discovered.

Facts as data: `AZURE_POLICIES` lists the policy elements Azure API Management has (its policy reference,
apim.md §4), so a refusal can tell "keyless does not support the APIM policy 'x'" from an unknown element.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from functools import cache

from keyless.gateway.policy import SCOPES, SECTIONS, PolicySpec

# Every top-level policy element of Azure API Management's policy reference (2024-2026), by group.
AZURE_POLICIES: frozenset[str] = frozenset(
    {
        # rate limiting and quotas
        "rate-limit", "rate-limit-by-key", "quota", "quota-by-key", "limit-concurrency",
        "azure-openai-token-limit", "llm-token-limit",
        # authentication and authorization
        "authentication-basic", "authentication-certificate", "authentication-managed-identity",
        "get-authorization-context", "validate-jwt", "validate-azure-ad-token", "validate-client-certificate",
        "check-header", "ip-filter", "cors", "cross-domain",
        # content validation
        "validate-content", "validate-parameters", "validate-headers", "validate-status-code",
        "validate-graphql-request", "validate-odata-request", "llm-content-safety",
        # routing
        "forward-request", "set-backend-service", "proxy",
        # caching
        "cache-lookup", "cache-store", "cache-lookup-value", "cache-store-value", "cache-remove-value",
        "azure-openai-semantic-cache-lookup", "azure-openai-semantic-cache-store",
        "llm-semantic-cache-lookup", "llm-semantic-cache-store",
        # transformation
        "set-body", "set-header", "set-query-parameter", "set-method", "set-status", "rewrite-uri",
        "find-and-replace", "redirect-content-urls", "json-to-xml", "xml-to-json", "xsl-transform", "jsonp",
        "mock-response", "return-response",
        # integration and external communication
        "send-request", "send-one-way-request", "send-service-bus-message", "log-to-eventhub", "emit-metric",
        "azure-openai-emit-token-metric", "llm-emit-token-metric", "publish-to-dapr", "invoke-dapr-binding",
        "trace",
        # policy control and flow
        "choose", "retry", "wait", "include-fragment", "set-variable",
        # GraphQL resolvers
        "http-data-source", "cosmosdb-data-source", "sql-data-source", "publish-event", "set-graphql-resolver",
    }
)  # fmt: skip


class PolicyContractError(Exception):
    """A module in `gateway/policies/` does not keep the contract in `policy.py`."""


class PolicyRegistry:
    """Policy name -> spec, with the refusal message for names it lacks."""

    def __init__(self, specs: Iterable[PolicySpec] = ()) -> None:
        self._specs: dict[str, PolicySpec] = {}
        for spec in specs:
            check(spec)
            if spec.name in self._specs:
                raise PolicyContractError(f"policy '{spec.name}' is declared twice")
            self._specs[spec.name] = spec

    def get(self, name: str) -> PolicySpec | None:
        return self._specs.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._specs)

    def with_specs(self, *specs: PolicySpec) -> PolicyRegistry:
        """A registry with extra specs (tests add their own probe policies this way)."""
        return PolicyRegistry([*self._specs.values(), *specs])

    def refusal(self, name: str) -> str:
        """Why `name` cannot be compiled: an Azure policy keyless lacks, or no policy at all."""
        if name in AZURE_POLICIES:
            return f"keyless does not support the APIM policy '{name}'"
        return f"'{name}' is not a known policy"


def check(spec: object, module: str = "") -> PolicySpec:
    """Refuse a SPEC that breaks the contract, naming the module."""
    where = f" in {module}" if module else ""
    if not isinstance(spec, PolicySpec):
        raise PolicyContractError(f"SPEC{where} is not a PolicySpec")
    bad_sections = set(spec.sections) - set(SECTIONS)
    bad_scopes = set(spec.scopes) - set(SCOPES)
    if not spec.sections or bad_sections:
        raise PolicyContractError(f"policy '{spec.name}'{where} has invalid sections {sorted(bad_sections)}")
    if bad_scopes:
        raise PolicyContractError(f"policy '{spec.name}'{where} has invalid scopes {sorted(bad_scopes)}")
    if not callable(spec.compile) or not inspect.iscoroutinefunction(spec.run):
        raise PolicyContractError(f"policy '{spec.name}'{where}: compile must be callable and run a coroutine function")
    return spec


def discover() -> PolicyRegistry:
    """Import every module of `keyless.gateway.policies` and collect its SPEC."""
    import keyless.gateway.policies as package

    specs = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        qualified = f"{package.__name__}.{info.name}"
        module = importlib.import_module(qualified)
        spec = getattr(module, "SPEC", None)
        if spec is None:
            continue  # a helper module shared by policies (no SPEC of its own)
        check(spec, qualified)
        if spec.name.replace("-", "_") != info.name:
            raise PolicyContractError(f"{qualified} declares policy '{spec.name}'; the module must be named after it")
        specs.append(spec)
    return PolicyRegistry(specs)


@cache
def default_registry() -> PolicyRegistry:
    """The registry of the policies shipped in `gateway/policies/`, discovered once per process."""
    return discover()
