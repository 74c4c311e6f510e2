"""What an account keeps sealed: the user's credentials, and the portal's state."""

from __future__ import annotations

from typing import Any

import orjson

from sahod.kit.crypto import Sealer
from sahod.providers.base import Credentials


def sealing_context(kind: str, account_id: str) -> str:
    # Bound as associated data: a sealed value moved to another account or field won't open.
    return f"{kind}:{account_id}"


def seal_credentials(sealer: Sealer, account_id: str, credentials: Credentials) -> bytes:
    plain = orjson.dumps({"username": credentials.username, "password": credentials.password})
    return sealer.seal(plain, sealing_context("credentials", account_id))


def open_credentials(sealer: Sealer, account_id: str, sealed: bytes) -> Credentials:
    data = orjson.loads(sealer.open(sealed, sealing_context("credentials", account_id)))
    return Credentials(username=data["username"], password=data["password"])


def seal_state(sealer: Sealer, account_id: str, state: dict[str, Any]) -> bytes:
    return sealer.seal(orjson.dumps(state), sealing_context("portal", account_id))


def open_state(sealer: Sealer, account_id: str, sealed: bytes | None) -> dict[str, Any]:
    if sealed is None:
        return {}
    state: dict[str, Any] = orjson.loads(sealer.open(sealed, sealing_context("portal", account_id)))
    return state


def seal_code(sealer: Sealer, account_id: str, code: str) -> bytes:
    return sealer.seal(code.encode(), sealing_context("mfa-code", account_id))


def open_code(sealer: Sealer, account_id: str, sealed: bytes) -> str:
    return sealer.open(sealed, sealing_context("mfa-code", account_id)).decode()
