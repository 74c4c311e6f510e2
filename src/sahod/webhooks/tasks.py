"""Webhook delivery tasks."""

from __future__ import annotations

import procrastinate


def register(app: procrastinate.App) -> None:
    """Add the webhook tasks to ``app``."""
