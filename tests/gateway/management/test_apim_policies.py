"""Policy documents at every scope and policy fragments: compiled at PUT, stored verbatim, refusals change nothing."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    NamedValueCreateContract,
    OperationContract,
    PolicyContract,
    PolicyFragmentContract,
    ProductContract,
)
from tests.conftest import Keyless
from tests.gateway.management.conftest import API, new_service, service_path


def doc(inbound: str) -> str:
    return (
        "<policies>\n\t<inbound>\n\t\t<base />\n"
        f"\t\t{inbound}\n"
        "\t</inbound>\n\t<backend>\n\t\t<base />\n\t</backend>\n\t<outbound>\n\t\t<base />\n\t</outbound>\n"
        "\t<on-error>\n\t\t<base />\n\t</on-error>\n</policies>"
    )


GOOD = doc(
    '<set-header name="X-Id" exists-action="override"><value>@(context.RequestId.ToString())</value></set-header>'
)
OTHER = doc('<set-header name="X-Other" exists-action="override"><value>b</value></set-header>')


@pytest.fixture(scope="module")
def scoped(keyless: Keyless, apim: ApiManagementClient, service: str) -> str:
    rg = keyless.e["resource_group"]
    apim.api.begin_create_or_update(
        rg, service, "p-api", ApiCreateOrUpdateParameter(display_name="P", path="p")
    ).result()
    apim.api_operation.create_or_update(
        rg, service, "p-api", "op", OperationContract(display_name="Op", method="GET", url_template="/op")
    )
    apim.product.create_or_update(rg, service, "p-product", ProductContract(display_name="PP"))
    return service


def _detail(exc: HttpResponseError) -> tuple[str, str, str]:
    assert exc.error is not None
    detail = exc.error.details[0]
    return exc.error.code, detail.target, detail.message


def test_every_scope_stores_and_returns_the_text(keyless: Keyless, apim: ApiManagementClient, scoped: str) -> None:
    rg, s = keyless.e["resource_group"], scoped
    raw = PolicyContract(value=GOOD, format="rawxml")
    assert apim.policy.create_or_update(rg, s, "policy", raw).value == GOOD
    assert apim.policy.get(rg, s, "policy", format="rawxml").value == GOOD
    apim.product_policy.create_or_update(rg, s, "p-product", "policy", raw)
    assert apim.product_policy.get(rg, s, "p-product", "policy").value == GOOD
    apim.api_policy.create_or_update(rg, s, "p-api", "policy", PolicyContract(value=OTHER, format="xml"))
    got = apim.api_policy.get(rg, s, "p-api", "policy")
    assert (got.value, got.format) == (OTHER, "xml")
    apim.api_operation_policy.create_or_update(rg, s, "p-api", "op", "policy", raw)
    assert apim.api_operation_policy.get(rg, s, "p-api", "op", "policy").value == GOOD
    assert got.type == "Microsoft.ApiManagement/service/apis/policies"


def test_a_refused_document_leaves_the_previous_one(keyless: Keyless, apim: ApiManagementClient, scoped: str) -> None:
    rg, s = keyless.e["resource_group"], scoped
    apim.api_policy.create_or_update(rg, s, "p-api", "policy", PolicyContract(value=GOOD, format="rawxml"))
    broken = GOOD.replace("</set-header>", "")
    with pytest.raises(HttpResponseError) as info:
        apim.api_policy.create_or_update(rg, s, "p-api", "policy", PolicyContract(value=broken, format="rawxml"))
    code, target, message = _detail(info.value)
    assert (info.value.status_code, code, target) == (400, "ValidationError", "representation")
    assert "line " in message and "column " in message
    assert apim.api_policy.get(rg, s, "p-api", "policy").value == GOOD

    unknown = doc('<no-such-policy name="x" />')
    r = keyless.arm(
        "PUT", f"{service_path(keyless, s)}/apis/p-api/policies/policy", API, json={"properties": {"value": unknown}}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["message"] == "One or more fields contain incorrect values:"
    assert error["details"][0]["message"].startswith("Error in element 'no-such-policy' on line 4, column 3:")
    assert apim.api_policy.get(rg, s, "p-api", "policy").value == GOOD


def test_link_formats_are_refused(keyless: Keyless, scoped: str) -> None:
    path = f"{service_path(keyless, scoped)}/policies/policy"
    for fmt in ("xml-link", "rawxml-link"):
        r = keyless.arm("PUT", path, API, json={"properties": {"value": "https://x/p.xml", "format": fmt}})
        assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "format"


def test_named_values_are_checked_both_ways(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    s = new_service(apim, rg)
    uses = doc('<set-header name="X-Env" exists-action="override"><value>{{env-name}}</value></set-header>')
    with pytest.raises(HttpResponseError):
        apim.policy.create_or_update(rg, s, "policy", PolicyContract(value=uses, format="rawxml"))
    apim.named_value.begin_create_or_update(
        rg, s, "env-name", NamedValueCreateContract(display_name="env-name", value="dev")
    ).result()
    apim.policy.create_or_update(rg, s, "policy", PolicyContract(value=uses, format="rawxml"))
    # a named value a document uses cannot be deleted
    r = keyless.arm("DELETE", f"{service_path(keyless, s)}/namedValues/env-name", API)
    assert r.status_code == 400 and r.json()["error"]["code"] == "ValidationError"
    assert apim.named_value.get(rg, s, "env-name").value == "dev"
    # the whole service goes, documents and named values together
    apim.api_management_service.begin_delete(rg, s).result()


def test_fragments(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    s = new_service(apim, rg)
    fragment = (
        '<fragment>\n\t<set-header name="X-F" exists-action="override"><value>f</value></set-header>\n</fragment>'
    )
    made = apim.policy_fragment.begin_create_or_update(
        rg, s, "frag1", PolicyFragmentContract(value=fragment, format="rawxml", description="d")
    ).result()
    assert (made.value, made.description) == (fragment, "d")
    assert apim.policy_fragment.get(rg, s, "frag1", format="rawxml").value == fragment
    with pytest.raises(HttpResponseError) as info:
        apim.policy_fragment.begin_create_or_update(
            rg, s, "frag2", PolicyFragmentContract(value=GOOD, format="rawxml")
        ).result()
    assert _detail(info.value)[1] == "representation"
    with pytest.raises(HttpResponseError):
        apim.policy.create_or_update(
            rg, s, "policy", PolicyContract(value=doc('<include-fragment fragment-id="nope" />'), format="rawxml")
        )
    apim.policy.create_or_update(
        rg, s, "policy", PolicyContract(value=doc('<include-fragment fragment-id="frag1" />'), format="rawxml")
    )
    r = keyless.arm("DELETE", f"{service_path(keyless, s)}/policyFragments/frag1", API)
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "ValidationError",
        "message": "The Policy Fragment 'frag1' is used by the following entities:\r\n/policies/policy\r\n",
    }
    assert apim.policy_fragment.get(rg, s, "frag1").value == fragment
    # a fragment change that breaks nothing is taken
    changed = fragment.replace(">f<", ">g<")
    apim.policy_fragment.begin_create_or_update(
        rg, s, "frag1", PolicyFragmentContract(value=changed, format="rawxml")
    ).result()
    assert apim.policy_fragment.get(rg, s, "frag1").value == changed
    # deleting the document first frees the fragment
    apim.policy.delete(rg, s, "policy", if_match="*")
    assert keyless.arm("DELETE", f"{service_path(keyless, s)}/policyFragments/frag1", API).status_code == 200
    apim.api_management_service.begin_delete(rg, s).result()


EXPRESSIVE_RAW = doc(
    '<set-header name="X-Who" exists-action="override">'
    '<value>@(context.Request.Headers.GetValueOrDefault("a", "") != "" && 1 < 2 ? "y" : "n")</value></set-header>'
)
EXPRESSIVE_XML = doc(
    '<set-header name="X-Who" exists-action="override">'
    "<value>@(context.Request.Headers.GetValueOrDefault(&quot;a&quot;, &quot;&quot;) != &quot;&quot; &amp;&amp; "
    "1 &lt; 2 ? &quot;y&quot; : &quot;n&quot;)</value></set-header>"
)


def test_get_answers_in_the_format_asked_for(keyless: Keyless, apim: ApiManagementClient, scoped: str) -> None:
    """APIM's Policy Export Format: `xml` (the default) escapes expression bodies, `rawxml` does not."""
    rg, s = keyless.e["resource_group"], scoped
    apim.api_policy.create_or_update(rg, s, "p-api", "policy", PolicyContract(value=EXPRESSIVE_RAW, format="rawxml"))
    as_xml = apim.api_policy.get(rg, s, "p-api", "policy")  # the SDK asks for xml unless told otherwise
    assert (as_xml.value, as_xml.format) == (EXPRESSIVE_XML, "xml")
    as_raw = apim.api_policy.get(rg, s, "p-api", "policy", format="rawxml")
    assert (as_raw.value, as_raw.format) == (EXPRESSIVE_RAW, "rawxml")

    apim.api_policy.create_or_update(rg, s, "p-api", "policy", PolicyContract(value=EXPRESSIVE_XML, format="xml"))
    assert apim.api_policy.get(rg, s, "p-api", "policy", format="rawxml").value == EXPRESSIVE_RAW
    assert apim.api_policy.get(rg, s, "p-api", "policy").value == EXPRESSIVE_XML
    listed = keyless.arm("GET", f"{service_path(keyless, s)}/apis/p-api/policies", API, params={"format": "rawxml"})
    assert [p["properties"]["value"] for p in listed.json()["value"]] == [EXPRESSIVE_RAW]

    link = keyless.arm(
        "GET", f"{service_path(keyless, s)}/apis/p-api/policies/policy", API, params={"format": "xml-link"}
    )
    assert link.status_code == 400 and link.json()["error"]["details"][0]["target"] == "format"
