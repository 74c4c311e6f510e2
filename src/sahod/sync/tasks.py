"""The pipeline's procrastinate tasks (linking, one-time codes, syncs)."""

from __future__ import annotations

import procrastinate


def register(app: procrastinate.App) -> None:
    """Add the pipeline's tasks to ``app``."""
