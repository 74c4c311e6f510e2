"""The embedded default's sandbox member: created on first start, the same sign-in after.

Like the sandbox tenant's API secret (sahod.tenants.bootstrap), the password is stored
in the database only as a hash, so the embedded default keeps the one it printed in a
0600 file beside the database, to print it again at each start. A server deployment adds
members with `sahod tenants add-member` and never writes this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import Clock
from sahod.portal import repository, service
from sahod.portal.schemas import Role

SANDBOX_MEMBER_EMAIL = "developer@sandbox.sahod.test"


def _member_file(data_dir: Path) -> Path:
    return data_dir / "sandbox-member.json"


async def ensure_sandbox_member(
    session: AsyncSession, data_dir: Path, tenant_id: str, clock: Clock
) -> tuple[str, str]:
    """The sandbox member's e-mail and password (an owner of the sandbox tenant)."""
    path = _member_file(data_dir)
    if path.exists():
        saved = json.loads(path.read_text())
        member = await repository.member_for_sign_in_across_tenants(session, saved["email"])
        if (
            member is not None
            and member.tenant_id == tenant_id
            and await service.password_matches(saved["password"], member.password_hash)
        ):
            return saved["email"], saved["password"]
    member = await repository.member_for_sign_in_across_tenants(session, SANDBOX_MEMBER_EMAIL)
    if member is not None:
        # The file was lost or the tenant was made anew: a fresh password for the address.
        await repository.delete_member(session, member.tenant_id, member.id)
    issued = await service.create_member(
        session, tenant_id, SANDBOX_MEMBER_EMAIL, Role.OWNER, clock.now()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"email": issued.email, "password": issued.password}, handle)
    tmp.replace(path)
    return issued.email, issued.password
