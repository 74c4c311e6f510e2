"""A key revoked in the developer portal stops working in every API process of
`sahod serve --workers 2` at once, though each had the key's sign-in cached."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import add_member_with_cli, running_server


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.slow
def test_a_revoked_key_stops_in_every_api_process_at_once(
    database_url: str, tmp_path: Path
) -> None:
    with running_server(
        database_url, tmp_path, "Revoking Tenant", args=("serve", "--workers", "2")
    ) as server:
        email = "dev@revoking.test"
        password = add_member_with_cli(database_url, tmp_path, server.tenant_id, email, "developer")
        auth = (server.api_key, server.api_secret)
        with httpx.Client(base_url=server.base_url, timeout=10) as portal:
            form = portal.get("/portal/sign-in").text
            signed_in = portal.post(
                "/portal/sign-in",
                data={"email": email, "password": password, "csrf": csrf_of(form)},
            )
            assert signed_in.status_code == 303
            # The last active key cannot be revoked: another one first.
            keys_page = portal.get("/portal/keys").text
            created = portal.post("/portal/keys", data={"csrf": csrf_of(keys_page)})
            assert created.status_code == 201
            # A new connection each time, so that both processes take requests, and each
            # caches the sign-in.
            for _ in range(40):
                answer = httpx.get(f"{server.base_url}/v1/providers", auth=auth, timeout=10)
                assert answer.status_code == 200
            revoked = portal.post(
                f"/portal/keys/{server.api_key}/revoke",
                data={"csrf": csrf_of(portal.get("/portal/keys").text)},
            )
            assert revoked.status_code == 303
            # The notice reaches the other process as the revocation commits; give it a
            # moment to be read, far less than the cache's 30 s.
            time.sleep(0.5)
            statuses = [
                httpx.get(f"{server.base_url}/v1/providers", auth=auth, timeout=10).status_code
                for _ in range(40)
            ]
            assert set(statuses) == {401}, statuses
