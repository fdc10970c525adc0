"""The immutable configuration one APIM service's gateway serves; rebuilt and swapped whole on every change.

`build_snapshot` takes plain ARM bodies (`{"name": ..., "properties": {...}}`) so the management layer can
hand over what it stores without the gateway importing it. Plans (effective policies) are spliced lazily
per (operation, product) and cached in the snapshot; a new snapshot starts with an empty cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keyless.gateway.compiler import (
    CompiledDocument,
    CompiledFragment,
    Plan,
    compile_document,
    compile_fragment,
    effective,
)
from keyless.gateway.http_types import Url
from keyless.gateway.routing import Router
from keyless.gateway.subscriptions import SubscriptionIndex, SubscriptionRecord, subscription_record

DEFAULT_GLOBAL_POLICY = "<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>"
DEFAULT_HEADER = "Ocp-Apim-Subscription-Key"
DEFAULT_QUERY = "subscription-key"

# Keys of `policies`: ("global",), ("product", p), ("api", a), ("operation", a, o).
PolicyKey = tuple[str, ...]


def _props(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body.get("properties") or {}


def _bool(value: Any, default: bool) -> bool:
    return default if value is None else bool(value)


@dataclass(frozen=True)
class ApiRecord:
    """An API as the gateway routes it (`context.Api`)."""

    name: str
    display_name: str
    path: str  # without leading/trailing slashes; may be ""
    service_url: Url | None
    protocols: tuple[str, ...] = ("https",)
    subscription_required: bool = True
    header_name: str = DEFAULT_HEADER
    query_name: str = DEFAULT_QUERY
    revision: str = "1"
    is_current: bool = True
    version: str | None = None
    # From the API's version set: Segment | Header | Query (None: not versioned), and the names it reads.
    version_scheme: str | None = None
    version_header_name: str | None = None
    version_query_name: str | None = None

    def members(self) -> dict[str, Any]:
        from keyless.gateway.context import IUrl, _Record

        names = _Record({"Header": self.header_name, "Query": self.query_name})
        return {
            "Id": self.name,
            "Name": self.display_name,
            "Path": self.path,
            "Protocols": list(self.protocols),
            "ServiceUrl": IUrl(self.service_url) if self.service_url is not None else None,
            "SubscriptionKeyParameterNames": names,
            "SubscriptionRequired": self.subscription_required,
            "IsCurrentRevision": self.is_current,
            "Revision": self.revision,
            "Version": self.version,
        }


@dataclass(frozen=True)
class OperationRecord:
    """An operation (`context.Operation`)."""

    api: str
    name: str
    display_name: str
    method: str
    url_template: str
    # The operation contract (ARM `templateParameters`, `request`, `responses`) the validation policies check.
    template_parameters: tuple[Mapping[str, Any], ...] = ()
    request: Mapping[str, Any] = field(default_factory=dict)
    responses: tuple[Mapping[str, Any], ...] = ()

    def members(self) -> dict[str, Any]:
        return {"Id": self.name, "Name": self.display_name, "Method": self.method, "UrlTemplate": self.url_template}


@dataclass(frozen=True)
class ProductRecord:
    """A product (`context.Product`)."""

    name: str
    display_name: str
    state: str = "notPublished"
    subscription_required: bool = True
    approval_required: bool = False
    subscriptions_limit: int | None = None
    apis: tuple[str, ...] = ()

    def members(self) -> dict[str, Any]:
        return {
            "Id": self.name,
            "Name": self.display_name,
            "State": "Published" if self.state == "published" else "NotPublished",
            "SubscriptionRequired": self.subscription_required,
            "ApprovalRequired": self.approval_required,
            "SubscriptionLimit": self.subscriptions_limit,
            "Apis": list(self.apis),
            "Groups": [],
        }


@dataclass
class Snapshot:
    """Everything a request of one APIM service needs; never mutated after `build_snapshot` except `_plans`."""

    service_name: str
    region: str
    service_id: str
    apis: dict[str, ApiRecord]
    operations: dict[tuple[str, str], OperationRecord]
    products: dict[str, ProductRecord]
    products_of_api: dict[str, tuple[str, ...]]
    subscriptions: SubscriptionIndex
    named_values: dict[str, str]
    backends: dict[str, Mapping[str, Any]]
    fragments: dict[str, CompiledFragment]
    documents: dict[PolicyKey, CompiledDocument]
    router: Router
    secrets: frozenset[str] = frozenset()  # values of secret named values: masked in traces
    # Schemas the validation policies read: (api, schema id) -> properties; service schema id -> properties.
    api_schemas: dict[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    global_schemas: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    _plans: dict[tuple[str | None, str | None, str | None], Plan] = field(default_factory=dict)

    def plan(self, api: ApiRecord | None, operation: OperationRecord | None, product: ProductRecord | None) -> Plan:
        """The effective policy for this API/operation in this product context (cached)."""
        key = (api.name if api else None, operation.name if operation else None, product.name if product else None)
        found = self._plans.get(key)
        if found is None:
            d = self.documents
            found = effective(
                d.get(("global",)),
                d.get(("product", product.name)) if product is not None else None,
                d.get(("api", api.name)) if api is not None else None,
                d.get(("operation", api.name, operation.name)) if api is not None and operation is not None else None,
            )
            self._plans[key] = found
        return found

    def open_product(self, api: str) -> ProductRecord | None:
        """The product containing `api` that requires no subscription (at most one per API) [INF: state ignored]."""
        for name in self.products_of_api.get(api, ()):
            product = self.products.get(name)
            if product is not None and not product.subscription_required:
                return product
        return None


def api_record(body: Mapping[str, Any], version_sets: Mapping[str, Mapping[str, Any]] | None = None) -> ApiRecord:
    p = _props(body)
    set_id = str(p.get("apiVersionSetId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
    version_set = (version_sets or {}).get(set_id) or p.get("apiVersionSet") or {}
    names = p.get("subscriptionKeyParameterNames") or {}
    service_url = p.get("serviceUrl")
    return ApiRecord(
        name=str(body["name"]),
        display_name=str(p.get("displayName") or body["name"]),
        path=str(p.get("path") or "").strip("/"),
        service_url=Url.parse(service_url) if service_url else None,
        protocols=tuple(p.get("protocols") or ("https",)),
        subscription_required=_bool(p.get("subscriptionRequired"), True),
        header_name=str(names.get("header") or DEFAULT_HEADER),
        query_name=str(names.get("query") or DEFAULT_QUERY),
        revision=str(p.get("apiRevision") or "1"),
        is_current=_bool(p.get("isCurrent"), True),
        version=p.get("apiVersion") or None,
        version_scheme=version_set.get("versioningScheme") if set_id or version_set else None,
        version_header_name=version_set.get("versionHeaderName"),
        version_query_name=version_set.get("versionQueryName"),
    )


def operation_record(api: str, body: Mapping[str, Any]) -> OperationRecord:
    p = _props(body)
    return OperationRecord(
        api=api,
        name=str(body["name"]),
        display_name=str(p.get("displayName") or body["name"]),
        method=str(p.get("method") or "GET").upper(),
        url_template=str(p.get("urlTemplate") or "/"),
        template_parameters=tuple(x for x in p.get("templateParameters") or () if isinstance(x, Mapping)),
        request=p.get("request") if isinstance(p.get("request"), Mapping) else {},
        responses=tuple(x for x in p.get("responses") or () if isinstance(x, Mapping)),
    )


def product_record(body: Mapping[str, Any], apis: Iterable[str]) -> ProductRecord:
    p = _props(body)
    return ProductRecord(
        name=str(body["name"]),
        display_name=str(p.get("displayName") or body["name"]),
        state=str(p.get("state") or "notPublished"),
        subscription_required=_bool(p.get("subscriptionRequired"), True),
        approval_required=_bool(p.get("approvalRequired"), False),
        subscriptions_limit=p.get("subscriptionsLimit"),
        apis=tuple(apis),
    )


_FRAGMENT_ROOT = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?<fragment\b")


def build_snapshot(
    service_body: Mapping[str, Any],
    apis: Iterable[Mapping[str, Any]] = (),
    operations: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    products: Iterable[Mapping[str, Any]] = (),
    product_apis: Mapping[str, Iterable[str]] | None = None,
    subscriptions: Iterable[Mapping[str, Any]] = (),
    named_values: Iterable[Mapping[str, Any]] = (),
    backends: Iterable[Mapping[str, Any]] = (),
    fragments: Mapping[str, CompiledFragment | Mapping[str, Any] | str] | None = None,
    policies: Mapping[PolicyKey, CompiledDocument | str] | None = None,
    version_sets: Iterable[Mapping[str, Any]] = (),
    api_schemas: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    global_schemas: Iterable[Mapping[str, Any]] = (),
) -> Snapshot:
    """Build one service's snapshot from ARM bodies.

    - `service_body`: the service (`name`, `location`).
    - `apis`, `products`, `subscriptions`, `named_values`, `backends`: lists of ARM bodies. Subscriptions carry
      `properties.primaryKey`/`secondaryKey`; named values `properties.displayName`/`value`.
    - `operations`: API name -> its operations' ARM bodies. `product_apis`: product name -> API names.
    - `fragments`: fragment name -> CompiledFragment, an ARM body (`properties.value`) or the raw text.
    - `policies`: ("global",) | ("product", p) | ("api", a) | ("operation", a, o) -> CompiledDocument or raw
      text (compiled here with these named values and fragments; a ValidationError propagates).
      Without a global document the service default (`<forward-request/>` in backend) applies.
    - `version_sets`: ARM bodies of apiVersionSets (an API's `apiVersionSetId` names one: Segment, Header or
      Query versioning). Revisions are APIs named `name;rev=N` with `isCurrent` false, reached at `path;rev=N`.
    - `api_schemas`: API name -> ARM bodies of `apis/{api}/schemas`; `global_schemas`: bodies of `schemas`
      (`properties.document`): what validate-content and validate-parameters validate against.
    """
    named_values = list(named_values)
    nv = {str(_props(b).get("displayName") or b["name"]): str(_props(b).get("value") or "") for b in named_values}
    compiled_fragments: dict[str, CompiledFragment] = {}
    for name, fragment in (fragments or {}).items():
        if isinstance(fragment, CompiledFragment):
            compiled_fragments[name] = fragment
        else:
            raw = fragment if isinstance(fragment, str) else str(_props(fragment).get("value") or "")
            compiled_fragments[name] = compile_fragment(raw, named_values=nv)
    documents: dict[PolicyKey, CompiledDocument] = {}
    for key, doc in (policies or {}).items():
        if isinstance(doc, CompiledDocument):
            documents[key] = doc
        else:
            documents[key] = compile_document(doc, scope=key[0], named_values=nv, fragments=compiled_fragments)
    if ("global",) not in documents:
        documents[("global",)] = compile_document(DEFAULT_GLOBAL_POLICY, scope="global")
    sets = {str(b["name"]).lower(): _props(b) for b in version_sets}
    api_records = {r.name: r for r in (api_record(b, sets) for b in apis)}
    op_records: dict[tuple[str, str], OperationRecord] = {}
    for api_name, bodies in (operations or {}).items():
        for body in bodies:
            op = operation_record(api_name, body)
            op_records[(api_name, op.name)] = op
    links = {p: tuple(a) for p, a in (product_apis or {}).items()}
    product_records = {str(b["name"]): product_record(b, links.get(str(b["name"]), ())) for b in products}
    products_of_api: dict[str, tuple[str, ...]] = {}
    for product, api_names in links.items():
        for api_name in api_names:
            products_of_api[api_name] = (*products_of_api.get(api_name, ()), product)
    records: list[SubscriptionRecord] = [subscription_record(b) for b in subscriptions]
    by_api: dict[str, list[OperationRecord]] = {}
    for op in op_records.values():
        by_api.setdefault(op.api, []).append(op)
    return Snapshot(
        service_name=str(service_body.get("name") or ""),
        service_id=str(service_body.get("id") or ""),
        region=str(service_body.get("location") or ""),
        apis=api_records,
        operations=op_records,
        products=product_records,
        products_of_api=products_of_api,
        subscriptions=SubscriptionIndex(records),
        named_values=nv,
        backends={str(b["name"]): _props(b) for b in backends},
        fragments=compiled_fragments,
        documents=documents,
        router=Router(list(api_records.values()), by_api),
        secrets=frozenset(
            str(_props(b).get("value") or "")
            for b in named_values
            if _props(b).get("secret") and _props(b).get("value")
        ),
        api_schemas={
            (api_name.lower(), str(b["name"]).lower()): _props(b)
            for api_name, bodies in (api_schemas or {}).items()
            for b in bodies
        },
        global_schemas={str(b["name"]).lower(): _props(b) for b in global_schemas},
    )
