"""The management plane in-process: `Services` built on the test's loop, its ARM app driven through httpx's ASGI
transport, tokens minted by the same token service the login endpoints use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from keyless.arm.registry import ResourceType
from keyless.platform.settings import Settings
from keyless.services import Services

ARM = "https://management.azure.com/"


class LocalArm:
    def __init__(self, services: Services) -> None:
        self.svc = services
        app = Starlette(routes=services.management.routes())
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://management.local")
        self._admin_token: str | None = None

    @classmethod
    async def open(cls, data_dir: Path) -> LocalArm:
        return cls(await Services.open(Settings(data_dir=data_dir)))

    async def close(self) -> None:
        await self.http.aclose()
        await self.svc.close()

    def register(self, resource_type: ResourceType) -> None:
        self.svc.registry.register(resource_type)

    @property
    def rg_path(self) -> str:
        inst = self.svc.instance
        return f"/subscriptions/{inst.subscription_id}/resourceGroups/{inst.resource_group}"

    @property
    def sub_path(self) -> str:
        return f"/subscriptions/{self.svc.instance.subscription_id}"

    async def token_for(self, sp: dict[str, Any], resource: str = ARM) -> str:
        issued = await self.svc.tokens.issue(sp, resource, lifetime=3600, appidacr="1")
        return issued.access_token

    async def admin_token(self) -> str:
        if self._admin_token is None:
            admin = await self.svc.directory.find_service_principal_by_app_id(self.svc.instance.admin_app_id)
            assert admin is not None
            self._admin_token = await self.token_for(admin)
        return self._admin_token

    async def arm(
        self, method: str, path: str, api_version: str | None, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or await self.admin_token()}", **kwargs.pop("headers", {})}
        params = {"api-version": api_version} if api_version else {}
        return await self.http.request(method, path, params=params, headers=headers, **kwargs)
