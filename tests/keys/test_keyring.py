"""Where a server may take its sealing key from, and sealed values that name their key."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sahod.config import Settings
from sahod.keys.keyring import SealingKeyError, load_sealer
from sahod.kit.crypto import Sealer, key_id_for, sealed_key_id

SERVER = "postgresql://db.example/sahod"


def _key() -> tuple[bytes, str]:
    key = os.urandom(32)
    return key, base64.b64encode(key).decode()


def test_a_server_without_a_sealing_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SealingKeyError, match="SAHOD_SEALING_KEY"):
        load_sealer(Settings(database_url=SERVER, data_dir=tmp_path))
    assert not (tmp_path / "sealing.key").exists()


def test_a_server_refuses_a_key_file_inside_the_data_directory(tmp_path: Path) -> None:
    _, encoded = _key()
    inside = tmp_path / "keys" / "sealing.key"
    inside.parent.mkdir()
    inside.write_text(encoded)
    with pytest.raises(SealingKeyError, match="inside the data directory"):
        load_sealer(Settings(database_url=SERVER, data_dir=tmp_path, sealing_key_file=inside))


def test_a_server_takes_a_key_file_outside_the_data_directory(tmp_path: Path) -> None:
    key, encoded = _key()
    (tmp_path / "secrets").mkdir()
    outside = tmp_path / "secrets" / "sealing.key"
    outside.write_text(encoded + "\n")
    sealer = load_sealer(
        Settings(database_url=SERVER, data_dir=tmp_path / "data", sealing_key_file=outside)
    )
    assert Sealer(key).open(sealer.seal(b"pw", "ctx"), "ctx") == b"pw"


def test_a_short_key_is_refused_with_its_setting_named(tmp_path: Path) -> None:
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(SealingKeyError, match="SAHOD_SEALING_KEY must be 32 bytes"):
        load_sealer(Settings(database_url=SERVER, sealing_key=short))


def test_the_embedded_default_keeps_its_key_file_in_the_data_directory(tmp_path: Path) -> None:
    first = load_sealer(Settings(data_dir=tmp_path))
    sealed = first.seal(b"pw", "ctx")
    assert (tmp_path / "sealing.key").exists()
    assert load_sealer(Settings(data_dir=tmp_path)).open(sealed, "ctx") == b"pw"


def test_each_sealed_value_names_its_key_and_opens_under_it_in_a_ring() -> None:
    old, old_encoded = _key()
    new, new_encoded = _key()
    before = Sealer(old).seal(b"pw", "ctx")
    assert sealed_key_id(before) == key_id_for(old)

    ring = load_sealer(
        Settings(
            database_url=SERVER,
            sealing_key=old_encoded,
            sealing_keys={"2026-12": new_encoded},
            sealing_key_id="2026-12",
        )
    )
    after = ring.seal(b"pw", "ctx")
    assert sealed_key_id(after) == "2026-12"
    assert ring.open(before, "ctx") == ring.open(after, "ctx") == b"pw"
    assert not ring.is_current(before) and ring.is_current(after)

    only_new = Sealer(keys={"2026-12": new}, current="2026-12")
    assert only_new.open(after, "ctx") == b"pw"
    with pytest.raises(ValueError, match="not in the keyring"):
        only_new.open(before, "ctx")


def test_a_value_from_before_key_ids_opens_under_the_legacy_key() -> None:
    key = os.urandom(32)
    nonce = os.urandom(12)
    legacy = b"\x01" + nonce + AESGCM(key).encrypt(nonce, b"old", b"ctx")
    assert sealed_key_id(legacy) is None
    assert Sealer(key).open(legacy, "ctx") == b"old"
    assert Sealer(keys={"k2": key}, current="k2").open(legacy, "ctx") == b"old"
    with pytest.raises(InvalidTag):
        Sealer(os.urandom(32)).open(legacy, "ctx")
    with pytest.raises(InvalidTag):
        Sealer(key).open(legacy, "another-row")


def test_a_ring_without_its_current_key_is_refused() -> None:
    _, encoded = _key()
    with pytest.raises(SealingKeyError, match="SAHOD_SEALING_KEY_ID"):
        load_sealer(Settings(database_url=SERVER, sealing_keys={"a": encoded}))
    with pytest.raises(SealingKeyError, match="'b' is not a key"):
        load_sealer(Settings(database_url=SERVER, sealing_keys={"a": encoded}, sealing_key_id="b"))
