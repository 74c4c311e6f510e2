"""Prefixed object ids: ``<prefix>-<32 hex>``, as the Smile API shapes them."""

from __future__ import annotations

import secrets


def random_hex() -> str:
    return secrets.token_hex(16)


def new_id(prefix: str) -> str:
    return f"{prefix}-{random_hex()}"


ACCOUNT = "a"
ARCHIVE = "u"  # Smile's archive ids are its former uploads': ``u-…``
EVENT = "et"
TOKEN = "tk"  # noqa: S105 (an id prefix, not a secret)
TASK = "tsk"
WEBHOOK = "wh"
DELIVERY = "dlv"
