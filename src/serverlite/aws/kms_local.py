"""Encryption at rest for SecureString parameters and secret values.

AWS encrypts these with a KMS key; serverlite encrypts them with one locally
generated 256-bit key kept in the state directory (mode 0600, made on first use),
AES-256-GCM with a fresh 96-bit nonce per value. Every value is bound to where it
belongs (``context``, e.g. the parameter name and version) as associated data, so
a blob copied onto another record does not decrypt. Nothing secret is stored in
clear: not the values, and not the fingerprints serverlite keeps to notice that a
template changed (those are HMACs under a key derived from the same key).

serverlite has one key; a ``KmsKeyId`` a caller names is recorded and echoed back,
but every value is encrypted with the local key.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from serverlite.errors import ConfigError, ServerliteError

KEY_FILE = "kms-local.key"
_KEY_BYTES = 32
_NONCE_BYTES = 12
_FORMAT = b"\x01"  # the blob layout: format byte, nonce, ciphertext and tag


if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DecryptionError(ServerliteError):
    """A stored value does not decrypt with the local key (another key, or tampered)."""


class LocalKey:
    """The state directory's key: ``encrypt``/``decrypt`` values, ``fingerprint`` data."""

    def __init__(self, path: Path, stores: tuple[Path, ...] = ()) -> None:
        self.path = path
        self._key = _load_or_create(path, stores)  # read (or made) now: a lost key fails start

    # cryptography is imported when a value is first encrypted, decrypted or fingerprinted:
    # not at every start.
    @cached_property
    def _aead(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._key)

    @cached_property
    def _mac_key(self) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"serverlite fingerprint"
        ).derive(self._key)

    @classmethod
    def in_state_dir(cls, state_dir: Path, *stores: str) -> LocalKey:
        """The state directory's key. ``stores`` name the databases whose values it
        encrypts: ask before opening them, since one that exists without the key means
        the key was lost, and a new key would leave every stored value unreadable."""
        return cls(state_dir / KEY_FILE, tuple(state_dir / store for store in stores))

    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def decrypt(self, blob: bytes, context: str) -> bytes:
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _FORMAT:
            raise DecryptionError(f"not a serverlite ciphertext ({context})")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag as exc:
            raise DecryptionError(
                f"a stored value ({context}) does not decrypt with {self.path}"
            ) from exc

    def fingerprint(self, data: bytes) -> str:
        """A keyed digest: equal data gives equal fingerprints, and reveals nothing."""
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()


def _load_or_create(path: Path, stores: tuple[Path, ...] = ()) -> bytes:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        held = [store for store in stores if store.exists()]
        if held:
            names = " and ".join(str(store) for store in held)
            raise ConfigError(
                f"{path} is missing while {names} holds values encrypted with it. Nothing "
                f"was changed. Restore {path.name} from a backup, or delete {names} to "
                "start with no parameters or secrets."
            ) from None
        key = _create(path)
    if len(key) != _KEY_BYTES:
        raise DecryptionError(f"{path} is not a serverlite key ({len(key)} bytes, want 32)")
    return key


def _create(path: Path) -> bytes:
    """Write a new key atomically: it appears whole, 0600, or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(_KEY_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process made the key first: use theirs
    except FileExistsError:
        return path.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(path.parent)
    return key


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
