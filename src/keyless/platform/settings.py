"""Process settings, read once from flags and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    host: str = "127.0.0.1"
    # 0: every listener takes a free ephemeral port; N: listeners take N, N+1, ... in a fixed order.
    port: int = 0
    database_url: str | None = None
    admin_client_id: str | None = None
    admin_client_secret: str | None = None
    # Processes serving the gateway listeners (SO_REUSEPORT); the first is the keyless process itself.
    gateway_workers: int = 1
    # Redis for the gateway's rate-limit/quota counters and external cache, shared by every gateway process.
    redis_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'keyless.db'}"

    @classmethod
    def from_env(cls, data_dir: Path, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": os.environ.get("KEYLESS_DATABASE_URL") or None,
            "admin_client_id": os.environ.get("KEYLESS_ADMIN_CLIENT_ID") or None,
            "admin_client_secret": os.environ.get("KEYLESS_ADMIN_CLIENT_SECRET") or None,
            "redis_url": os.environ.get("KEYLESS_REDIS_URL") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(data_dir=Path(data_dir).resolve(), **values)  # type: ignore[arg-type]
