"""The sealing key settings a real `sahod` process refuses, and `sahod keys rotate`."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.server import E2E_SEALING_KEY


def _sahod(
    args: list[str], env: dict[str, str], data_dir: Path
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SAHOD_")}
    full.update({"SAHOD_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "sahod.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_with_a_database_and_no_sealing_key_refuses_to_start(
    database_url: str, tmp_path: Path
) -> None:
    done = _sahod(["serve"], {"SAHOD_DATABASE_URL": database_url}, tmp_path)
    assert done.returncode != 0
    assert "refuses to start" in done.stderr and "SAHOD_SEALING_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "sealing.key").exists()


def test_serve_refuses_a_production_portal_url_at_its_own_sandbox_mount(
    database_url: str, tmp_path: Path
) -> None:
    env = {
        "SAHOD_DATABASE_URL": database_url,
        "SAHOD_SEALING_KEY": E2E_SEALING_KEY,
        "SAHOD_PORT": "8123",
        "SAHOD_PORTAL_URLS": '{"sss": "http://127.0.0.1:8123/sandbox/portals"}',
    }
    done = _sahod(["serve"], env, tmp_path)
    assert done.returncode != 0
    assert "points at the sandbox portals" in done.stderr


def test_keys_rotate_reports_what_it_resealed(database_url: str, tmp_path: Path) -> None:
    new = base64.b64encode(os.urandom(32)).decode()
    env = {
        "SAHOD_DATABASE_URL": database_url,
        "SAHOD_SEALING_KEY": E2E_SEALING_KEY,
        "SAHOD_SEALING_KEYS": f'{{"next": "{new}"}}',
        "SAHOD_SEALING_KEY_ID": "next",
    }
    done = _sahod(["keys", "rotate", "--batch-size", "10"], env, tmp_path)
    assert "account credentials:" in done.stdout
    assert "under key next" in done.stdout
