"""set-backend-service: another base URL or a backend entity, keeping the operation path and the query."""

from __future__ import annotations

import pytest
from tests.gateway.policies._transform_doubles import (
    Api,
    CompileRefusal,
    Ctx,
    compile_real,
    parse,
    real_state,
    request,
    run,
    run_real,
    state,
)

from keyless.gateway.http_types import Url
from keyless.gateway.policies import set_backend_service
from keyless.gateway.policy import PolicyError

SPEC = set_backend_service.SPEC
API = Api(Url.parse("http://contoso.com/api/10.4/"))


class Snap:
    backends = {
        "backend1": {"name": "backend1", "properties": {"url": "http://127.0.0.1:9001/svc", "protocol": "http"}}
    }


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<set-backend-service />", "Exactly one of"),
        ('<set-backend-service base-url="http://a" backend-id="b" />', "Exactly one of"),
        ('<set-backend-service base-url="" />', "not an absolute http(s) URL"),
        ('<set-backend-service base-url="/relative" />', "not an absolute http(s) URL"),
        ('<set-backend-service backend-id="b" sf-resolve-condition="true" />', "Service Fabric / Dapr"),
        ('<set-backend-service dapr-app-id="a" dapr-method="m" />', "'dapr-app-id' attribute"),
        ('<set-backend-service base-url="http://a" timeout="3" />', "'timeout' attribute is not declared"),
    ],
)
def test_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        SPEC.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_base_url_keeps_the_operation_part_and_the_query() -> None:
    # apim.md §7: serviceUrl http://contoso.com/api/10.4/ + partners/15?version=...&subscription-key=...
    incoming = "http://contoso.com/api/10.4/partners/15?version=2013-05&subscription-key=abcdef"
    st = state(request=request(incoming), api=API)
    await run(SPEC, '<set-backend-service base-url="https://contoso-us.com:8443/v2/" />', st)
    assert str(st.request.url) == "https://contoso-us.com:8443/v2/partners/15?version=2013-05&subscription-key=abcdef"
    assert st.backend == "https://contoso-us.com:8443/v2/"


async def test_a_base_url_with_a_query_and_a_second_switch() -> None:
    st = state(request=request("http://contoso.com/api/10.4/messages?x=1"), api=API)
    await run(SPEC, '<set-backend-service base-url="https://ns.servicebus.windows.net/q?api-version=2015-01" />', st)
    assert str(st.request.url) == "https://ns.servicebus.windows.net/q/messages?api-version=2015-01&x=1"
    await run(SPEC, '<set-backend-service base-url="http://hello-weu.azurewebsites.net" />', st)
    assert st.request.url.host == "hello-weu.azurewebsites.net"
    assert st.request.url.path == "/messages"


async def test_backend_id_uses_the_backend_entity_url() -> None:
    st = state(request=request("http://contoso.com/api/10.4/partners/15"), api=API, snapshot=Snap())
    await run(SPEC, '<set-backend-service backend-id="backend1" />', st)
    assert str(st.request.url) == "http://127.0.0.1:9001/svc/partners/15"
    assert st.backend == "backend1"


async def test_unknown_backend_id_fails_the_request() -> None:
    st = state(request=request("http://contoso.com/api/10.4/x"), api=API, snapshot=Snap())
    with pytest.raises(PolicyError) as err:
        await run(SPEC, '<set-backend-service backend-id="nope" />', st)
    assert err.value.reason == "BackendNotFound"


async def test_an_expression_base_url_that_is_not_absolute_fails() -> None:
    st = state(request=request("http://contoso.com/api/10.4/x"), api=API)
    with pytest.raises(PolicyError):
        await run(SPEC, '<set-backend-service base-url="@(u)" />', st, expressions={"@(u)": lambda s: "nowhere"})


async def test_through_the_compiler_with_an_interpolated_expression() -> None:
    plan = compile_real(
        "inbound",
        '<set-variable name="Backend-Endpoint" value="eu.example.test" />'
        "<set-backend-service "
        'base-url="@($&quot;https://{context.Variables[&quot;Backend-Endpoint&quot;]}/api/v1&quot;)" />',
    )
    st = real_state(request("http://contoso.com/api/10.4/orders/7?q=1"), api=API)
    response = await run_real(plan, st)
    assert response.headers.get("X-Echo-Url") == "https://eu.example.test/api/v1/orders/7?q=1"
