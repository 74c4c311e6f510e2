"""`sahod serve` with nothing configured: the embedded PostgreSQL, a real process, real HTTP."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import create_tenant_with_cli, run_cli
from tests.e2e.server import embedded_data_dir, start_sahod


def signs_in_to_the_portal(base_url: str, email: str, password: str) -> bool:
    with httpx.Client(base_url=base_url, timeout=10) as http:
        form = http.get("/portal/sign-in").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token is not None
        answer = http.post(
            "/portal/sign-in",
            data={"email": email, "password": password, "csrf": token.group(1)},
        )
        return answer.status_code == 303 and http.get("/portal/").status_code == 200


@pytest.mark.xdist_group("embedded-serve")
def test_serve_with_embedded_defaults_keeps_its_keys_and_data() -> None:
    with embedded_data_dir() as data_dir:
        _serve_twice_on(data_dir)


def _serve_twice_on(data_dir: Path) -> None:
    first = start_sahod(["serve"], env={}, ready=r"API secret:\s+\S+", data_dir=data_dir)
    try:
        key = first.printed(r"API key:\s+(\S+)")
        assert "make demo" in "".join(first.output)  # where a newcomer goes next
        secret = first.printed(r"API secret:\s+(\S+)")
        # The sandbox member's portal sign-in, beside the keys, and it signs in.
        email = first.printed(r"Portal sign-in: (\S+) / ")
        password = first.printed(r"Portal sign-in: \S+ / (\S+)")
        assert signs_in_to_the_portal(first.base_url, email, password)
        with httpx.Client(base_url=first.base_url, auth=(key, secret), timeout=10) as http:
            providers = http.get("/v1/providers").json()["data"]["items"]
            assert [p["id"] for p in providers] == ["sss", "gsis", "philhealth", "pagibig"]
            created = http.post("/v1/users", json={"externalMetadata": {"ref": "e2e"}})
            assert created.status_code == 201
            user_id = created.json()["data"]["user"]["id"]
            assert http.get("/v1/users", auth=(key, "wrong")).status_code == 401
    finally:
        assert first.stop() == 0
    assert (data_dir / "pgdata" / "PG_VERSION").exists()
    # A clean stop stops the embedded PostgreSQL too.
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert oct((data_dir / "sealing.key").stat().st_mode & 0o777) == "0o600"

    second = start_sahod(["serve"], env={}, ready=r"API secret:\s+\S+", data_dir=data_dir)
    try:
        assert second.printed(r"API key:\s+(\S+)") == key
        assert second.printed(r"API secret:\s+(\S+)") == secret
        assert second.printed(r"Portal sign-in: \S+ / (\S+)") == password
        with httpx.Client(base_url=second.base_url, auth=(key, secret), timeout=10) as http:
            user = http.get(f"/v1/users/{user_id}").json()["data"]
            assert user["externalMetadata"] == {"ref": "e2e"}
    finally:
        assert second.stop() == 0
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


def test_tenants_create_prints_the_keys_once_as_json(tmp_path: Path, database_url: str) -> None:
    done = run_cli(
        database_url,
        tmp_path,
        "tenants",
        "create",
        "Bayad Lending",
        "--mode",
        "production",
        "--json",
        timeout=60,
    )
    keys = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(keys) == {"tenantId", "apiKey", "apiSecret", "mode"}
    assert keys["mode"] == "production"
    assert keys["tenantId"].startswith("bayadlending")
    assert keys["apiKey"].startswith("sk_live_")


def test_tenants_add_member_prints_a_password_once_and_refuses_what_it_cannot_do(
    tmp_path: Path, database_url: str
) -> None:
    tenant_id = create_tenant_with_cli(database_url, tmp_path, "Member Lending")["tenantId"]
    email = f"owner@{tenant_id}.example"

    def add(tenant: str) -> subprocess.CompletedProcess[str]:
        return run_cli(
            database_url,
            tmp_path,
            "tenants",
            "add-member",
            tenant,
            email,
            "--role",
            "developer",
            timeout=60,
            check=False,
        )

    done = add(tenant_id)
    assert done.returncode == 0, done.stderr
    assert f"member {email} (developer) of tenant {tenant_id}" in done.stdout
    assert re.search(r"Password: \S{12,}", done.stdout) and "only this once" in done.stdout
    again = add(tenant_id)
    assert again.returncode != 0 and "already a portal member" in again.stderr
    nowhere = add("no-such-tenant")
    assert nowhere.returncode != 0 and "there is no tenant no-such-tenant" in nowhere.stderr
