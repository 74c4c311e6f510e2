"""The sealer a process runs with, from the settings, and what a server refuses.

In server mode (``SAHOD_DATABASE_URL`` set) the key must come from the environment
(``SAHOD_SEALING_KEY`` or the ``SAHOD_SEALING_KEYS`` ring) or from a key file outside the
data directory (``SAHOD_SEALING_KEY_FILE``): a copy of the data directory must never be
enough to open the stored passwords. Only the embedded default keeps a key file there.
"""

from __future__ import annotations

from pathlib import Path

from sahod.config import Settings
from sahod.kit.crypto import Sealer, decode_key, load_or_create_key_file

EMBEDDED_KEY_FILE = "sealing.key"


class SealingKeyError(RuntimeError):
    """The sealing key settings a process must not start with; the message says why."""


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _decoded(name: str, value: str) -> bytes:
    try:
        key = decode_key(value)
    except ValueError as error:
        raise SealingKeyError(f"{name} is not valid base64") from error
    if len(key) != 32:
        raise SealingKeyError(f"{name} must be 32 bytes (AES-256), base64-encoded")
    return key


def _single_key(settings: Settings) -> bytes | None:
    server = not settings.uses_embedded_database()
    if settings.sealing_key:
        return _decoded("SAHOD_SEALING_KEY", settings.sealing_key)
    if settings.sealing_key_file is not None:
        path = settings.sealing_key_file
        if server and _inside(path, settings.data_dir):
            raise SealingKeyError(
                f"SAHOD_SEALING_KEY_FILE ({path}) lies inside the data directory "
                f"({settings.data_dir}): one copy of that directory would open every stored "
                "password. Keep the key file elsewhere."
            )
        try:
            return _decoded("SAHOD_SEALING_KEY_FILE", path.read_text().strip())
        except OSError as error:
            raise SealingKeyError(
                f"cannot read SAHOD_SEALING_KEY_FILE ({path}): {error}"
            ) from error
    if settings.sealing_keys:
        return None
    if server:
        raise SealingKeyError(
            "Sahod refuses to start: with SAHOD_DATABASE_URL set, the sealing key must come "
            "from SAHOD_SEALING_KEY (base64, 32 bytes), SAHOD_SEALING_KEYS with "
            "SAHOD_SEALING_KEY_ID, or SAHOD_SEALING_KEY_FILE outside the data directory. "
            "Generate one with: python -c 'import base64,os;"
            "print(base64.b64encode(os.urandom(32)).decode())'"
        )
    return load_or_create_key_file(settings.data_dir / EMBEDDED_KEY_FILE)


def load_sealer(settings: Settings) -> Sealer:
    single = _single_key(settings)
    ring = {
        key_id: _decoded(f"SAHOD_SEALING_KEYS[{key_id!r}]", value)
        for key_id, value in settings.sealing_keys.items()
    }
    current = settings.sealing_key_id
    if ring and current is None:
        raise SealingKeyError("SAHOD_SEALING_KEYS needs SAHOD_SEALING_KEY_ID, the current key")
    if current is not None and current not in ring:
        raise SealingKeyError(
            f"SAHOD_SEALING_KEY_ID {current!r} is not a key of SAHOD_SEALING_KEYS"
        )
    try:
        # The single key (env or file) stays readable, and opens values from before key ids.
        return Sealer(single, keys=ring, current=current, legacy=single)
    except ValueError as error:
        raise SealingKeyError(str(error)) from error
