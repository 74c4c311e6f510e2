"""Hashing of API secrets and tokens, and sealing of stored credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LEGACY_VERSION = b"\x01"
_SEAL_VERSION = b"\x02"
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
    """AES-256-GCM sealing under a keyring; each sealed value carries its own random nonce
    and names the key that sealed it, so keys can be rotated.

    ``context`` is bound as associated data, so a value sealed for one account cannot be
    moved to another row and still open.

    A sealed value is ``0x02, len(key id), key id, nonce, ciphertext``. Values from before
    key ids (``0x01, nonce, ciphertext``) open under the ``legacy`` key, or, with none,
    under any key of the ring (GCM's tag tells the right one).
    """

    def __init__(
        self,
        key: bytes | None = None,
        *,
        keys: Mapping[str, bytes] | None = None,
        current: str | None = None,
        legacy: bytes | None = None,
    ) -> None:
        ring = dict(keys or {})
        if key is not None:
            ring.setdefault(key_id_for(key), key)
            current = current or key_id_for(key)
            legacy = legacy or key
        if not ring or current is None or current not in ring:
            raise ValueError("the sealing keyring needs a current key that it holds")
        for key_id, value in ring.items():
            if len(value) != 32:
                raise ValueError(f"sealing key {key_id!r} must be 32 bytes (AES-256)")
            if not key_id or len(key_id.encode()) > 64 or not key_id.isascii():
                raise ValueError(f"sealing key id {key_id!r} must be 1-64 ASCII characters")
        self._aeads = {key_id: AESGCM(value) for key_id, value in ring.items()}
        self._keys = ring
        self._legacy = AESGCM(legacy) if legacy is not None else None
        self.current_key_id = current

    @property
    def key_ids(self) -> list[str]:
        return list(self._aeads)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self.current_key_id.encode()
        sealed = self._aeads[self.current_key_id].encrypt(nonce, plaintext, context.encode())
        return _SEAL_VERSION + bytes([len(key_id)]) + key_id + nonce + sealed

    def open(self, sealed: bytes, context: str) -> bytes:
        version = sealed[:1]
        if version == _LEGACY_VERSION:
            nonce = sealed[1 : 1 + _NONCE_BYTES]
            body = sealed[1 + _NONCE_BYTES :]
            candidates: list[AESGCM] = (
                [self._legacy] if self._legacy is not None else list(self._aeads.values())
            )
            for candidate in candidates:
                try:
                    return candidate.decrypt(nonce, body, context.encode())
                except InvalidTag:
                    continue
            raise InvalidTag()
        if version != _SEAL_VERSION:
            raise ValueError("unknown sealed-value version")
        key_id = sealed_key_id(sealed)
        aead = self._aeads.get(key_id or "")
        if aead is None:
            raise ValueError(f"sealed under key {key_id!r}, which is not in the keyring")
        start = 2 + sealed[1]
        nonce = sealed[start : start + _NONCE_BYTES]
        return aead.decrypt(nonce, sealed[start + _NONCE_BYTES :], context.encode())

    def derived_key(self, purpose: str, key_id: str | None = None) -> bytes:
        """A key for ``purpose`` (signing download URLs, say) derived from a key of the
        ring (the current one by default): one secret to keep, and a leaked derived key
        opens no sealed value."""
        source = self._keys[key_id or self.current_key_id]
        return hmac.new(source, b"sahod-derived-key:" + purpose.encode(), hashlib.sha256).digest()

    def is_current(self, sealed: bytes) -> bool:
        return sealed_key_id(sealed) == self.current_key_id


def sealed_key_id(sealed: bytes) -> str | None:
    """The id of the key a value was sealed under; None for a value from before key ids."""
    if sealed[:1] != _SEAL_VERSION or len(sealed) < 2:
        return None
    return sealed[2 : 2 + sealed[1]].decode("ascii", errors="replace")


def key_id_for(key: bytes) -> str:
    """A single key's id: its fingerprint, so the same key always has the same id."""
    return "k" + hashlib.sha256(b"sahod-sealing-key:" + key).hexdigest()[:12]


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
