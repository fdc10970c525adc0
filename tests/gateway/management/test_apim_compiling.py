"""compile_service: a write recompiles only what it touches; a refusal names the document it breaks."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.arm.errors import ArmError
from keyless.gateway.management.compiling import compile_service
from keyless.gateway.management.config import ServiceConfig

SID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc"


def body(path: str, type_: str, **props: Any) -> dict[str, Any]:
    return {"id": f"{SID}{path}", "name": path.rsplit("/", 1)[1], "type": type_, "properties": props}


def config(nv: str = "v", fragment: str = "a") -> ServiceConfig:
    t = "Microsoft.ApiManagement/service"
    model = {
        SID.lower(): {"id": SID, "name": "svc", "type": t},
        "nv": body("/namedValues/nv", f"{t}/namedValues", displayName="nv", value=nv),
        "f": body(
            "/policyFragments/f",
            f"{t}/policyFragments",
            value=f'<fragment><set-variable name="x" value="{fragment}" /></fragment>',
        ),
        "g": body(
            "/policies/policy",
            f"{t}/policies",
            value='<policies><inbound><include-fragment fragment-id="f" /></inbound></policies>',
        ),
        "a": body(
            "/apis/a/policies/policy",
            f"{t}/apis/policies",
            value='<policies><inbound><set-variable name="y" value="{{nv}}" /></inbound></policies>',
        ),
    }
    return ServiceConfig.from_model(SID, model)


def test_unchanged_documents_are_reused() -> None:
    first = compile_service(config())
    same = compile_service(config(), previous=first)
    assert same.documents == first.documents and all(same.documents[k] is first.documents[k] for k in first.documents)
    # a changed fragment recompiles the documents that include it, and only those
    changed = compile_service(config(fragment="b"), previous=first)
    g, a = (f"{SID}/policies/policy".lower(), f"{SID}/apis/a/policies/policy".lower())
    assert changed.documents[g] is not first.documents[g]
    assert changed.documents[a] is first.documents[a]
    # a changed named value recompiles everything
    renamed = compile_service(config(nv="w"), previous=first)
    assert renamed.documents[a] is not first.documents[a]


def test_a_dependent_that_breaks_is_named() -> None:
    broken = config(fragment='"/><nonsense')
    with pytest.raises(ArmError) as info:
        compile_service(broken, f"{SID}/policyFragments/f")
    assert info.value.details[0]["target"] == "representation"
    with pytest.raises(ArmError) as info:
        compile_service(broken, f"{SID}/namedValues/nv")
    assert info.value.details[0]["target"] == "/policyFragments/f"
