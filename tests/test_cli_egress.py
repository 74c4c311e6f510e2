"""Only the embedded defaults let sandbox webhooks reach loopback (for the demo receiver)."""

from __future__ import annotations

from sahod.cli import _allows_local_receivers
from sahod.config import Settings


def test_only_the_embedded_defaults_open_loopback_to_sandbox_webhooks() -> None:
    assert _allows_local_receivers(Settings(database_url=None))
    assert not _allows_local_receivers(Settings(database_url="postgresql://db/sahod"))
    chosen = Settings(webhook_sandbox_allowed_networks=[])
    assert not _allows_local_receivers(chosen)
