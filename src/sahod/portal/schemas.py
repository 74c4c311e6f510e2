from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sahod.tenants.schemas import TenantContext


class Role(StrEnum):
    """What a member may do: viewers read; developers also manage keys and webhooks;
    owners also manage the members."""

    OWNER = "owner"
    DEVELOPER = "developer"
    VIEWER = "viewer"

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.DEVELOPER: 1, Role.OWNER: 2}


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who opened the page: every read is scoped by ``tenant.id``."""

    member_id: str
    email: str
    role: Role
    tenant: TenantContext
    tenant_name: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class NewSession:
    """The cookie value (shown to the browser only) and the session's CSRF token."""

    token: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class IssuedMember:
    """A member just created: the password is shown this once."""

    member_id: str
    tenant_id: str
    email: str
    role: Role
    password: str
