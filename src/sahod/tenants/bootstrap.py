"""The embedded default's sandbox tenant: created on first start, the same keys after.

The API secret is stored in the database only as a hash, so the embedded default keeps
the one it printed in a 0600 file beside the database, to print it again at each start.
A server deployment creates tenants with `sahod tenants create` and never writes this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from sahod.kit.clock import Clock
from sahod.tenants.repository import find_active_key
from sahod.tenants.schemas import IssuedKeys, TenantMode
from sahod.tenants.service import create_tenant

SANDBOX_TENANT_NAME = "sandbox"


def _keys_file(data_dir: Path) -> Path:
    return data_dir / "sandbox-tenant.json"


async def ensure_sandbox_tenant(session: AsyncSession, data_dir: Path, clock: Clock) -> IssuedKeys:
    path = _keys_file(data_dir)
    if path.exists():
        saved = json.loads(path.read_text())
        if await find_active_key(session, saved["apiKey"]) is not None:
            return IssuedKeys(
                tenant_id=saved["tenantId"],
                api_key=saved["apiKey"],
                api_secret=saved["apiSecret"],
                mode=TenantMode.SANDBOX,
            )
    keys = await create_tenant(session, SANDBOX_TENANT_NAME, TenantMode.SANDBOX, clock.now())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys.as_json(), handle)
    tmp.replace(path)
    return keys
