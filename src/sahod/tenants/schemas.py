from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TenantMode(StrEnum):
    SANDBOX = "SANDBOX"
    PRODUCTION = "PRODUCTION"


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who is calling: every repository query is scoped by ``id``."""

    id: str
    mode: TenantMode


@dataclass(frozen=True, slots=True)
class IssuedKeys:
    """Shown once, at creation: the secret is stored only as a hash."""

    tenant_id: str
    api_key: str
    api_secret: str
    mode: TenantMode

    def as_json(self) -> dict[str, str]:
        return {
            "tenantId": self.tenant_id,
            "apiKey": self.api_key,
            "apiSecret": self.api_secret,
            "mode": self.mode.value.lower(),
        }
