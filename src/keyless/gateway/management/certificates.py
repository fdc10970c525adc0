"""Microsoft.ApiManagement/service/certificates: uploaded client certificates (PFX); GET never shows data or password.

Also wires what the gateway reads at request time: the service's certificates for authentication-certificate,
and keyless's own read-only admin call for the custom metrics policies emit,
`GET {management}/keyless/apim/metrics[?service=name]`.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.gateway.management._base import child_type
from keyless.gateway.management._common import SERVICE, refuse_unsupported, string, validation_error
from keyless.gateway.management.config import T
from keyless.gateway.management.publish import Catalog
from keyless.gateway.metrics import metrics_store
from keyless.gateway.policies.authentication_certificate import STORE_KEY, CertificateError, StoredCertificate, load_pfx

if TYPE_CHECKING:
    from keyless.identity.bearer import Caller
    from keyless.services import Services

TYPE = f"{SERVICE}/certificates"
CERTIFICATES = f"{T}/certificates"
METRICS_PATH = "/keyless/apim/metrics"


def resource_type(catalog: Catalog) -> ResourceType:
    async def build(ctx: PutContext, props: dict[str, Any]) -> dict[str, Any]:
        if props.get("keyVault") is not None:
            raise refuse_unsupported(
                "keyVault", "keyVault", "Key Vault certificates cannot be fetched locally; upload 'data' instead"
            )
        data = string(props, "data", required=True)
        password = string(props, "password")
        try:
            pfx = base64.b64decode(data or "", validate=True)
        except (binascii.Error, ValueError):
            raise validation_error("data", "'data' must be the base64 of a PFX (PKCS#12) file.") from None
        try:
            cert = load_pfx(pfx, password)
        except CertificateError as exc:
            raise validation_error("data", f"{exc} Check 'data' and 'password'.") from None
        return {
            "properties": {"subject": cert.subject, "thumbprint": cert.thumbprint, "expirationDate": cert.not_after},
            # `_` keys are never shown (GET, list): the PFX and its password stay on this side.
            "_data": data,
            "_password": password,
        }

    return child_type(catalog, TYPE, build)


def certificate_source(catalog: Catalog) -> Any:
    """The gateway's view of a service's certificates, read from the stored entities."""

    async def certificates(service_id: str) -> list[StoredCertificate]:
        config = await catalog.config(service_id)
        out = []
        for body in config.of(CERTIFICATES):
            data = body.get("_data")
            if not data:
                continue
            out.append(
                StoredCertificate(
                    str(body["name"]),
                    str(body["properties"]["thumbprint"]),
                    base64.b64decode(data),
                    body.get("_password"),
                )
            )
        return out

    return certificates


def register(services: Services, catalog: Catalog) -> None:
    """The certificates type, the gateway's certificate source, and the metrics admin call."""
    services.registry.register(resource_type(catalog))
    gateway_services = services.gateways.services
    gateway_services.extra[STORE_KEY] = certificate_source(catalog)

    async def metrics(request: Request, _caller: Caller) -> Response:
        store = metrics_store(gateway_services)
        wanted = request.query_params.get("service")
        names = [wanted] if wanted else store.services()
        return JSONResponse({"value": [store.describe(name) for name in names]})

    services.management.extend("GET", METRICS_PATH, metrics)
