"""Hashing of API secrets and tokens, and sealing of stored credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret.

    API secrets and widget tokens are 256-bit random strings, so a fast hash is enough:
    slow password hashes only help against guessable inputs, and every API call checks one.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, expected_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), expected_hash)


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class Sealer:
    """AES-256-GCM sealing; each sealed value carries its own random nonce.

    ``context`` is bound as associated data, so a value sealed for one account cannot be
    moved to another row and still open.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the sealing key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _SEAL_VERSION + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, sealed: bytes, context: str) -> bytes:
        if sealed[:1] != _SEAL_VERSION:
            raise ValueError("unknown sealed-value version")
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        return self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], context.encode())


def load_or_create_key_file(path: Path) -> bytes:
    """The embedded default's sealing key: created once with mode 0600, then reused."""
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode())
    return key


def decode_key(value: str) -> bytes:
    return base64.b64decode(value)
