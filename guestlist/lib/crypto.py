"""Encryption at rest for Plex tokens.

The key is derived from Django's SECRET_KEY, so a copy of the database alone does not
reveal the tokens; backups therefore carry the secret key too (see ``guestlist backup``).
"""

from __future__ import annotations

import base64
import functools
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


class DecryptionError(Exception):
    """Stored ciphertext that the current secret key cannot open."""


@functools.cache
def _fernet(secret_key: str) -> Fernet:
    # cryptography's OpenSSL bindings are loaded by the first token opened, not by every
    # process that imports a model with an encrypted field.
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"guestlist-token-encryption",
        info=b"plex-tokens-v1",
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(plaintext: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    from cryptography.fernet import InvalidToken  # on first use, as in _fernet

    try:
        return _fernet(settings.SECRET_KEY).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored Plex token cannot be decrypted: the secret key changed since it was saved."
        ) from exc


def opens_with(secret_key: str, ciphertext: str) -> bool:
    """Whether ``ciphertext`` was encrypted under ``secret_key`` (checking a backup's key)."""
    from cryptography.fernet import InvalidToken  # on first use, as in _fernet

    try:
        _fernet(secret_key).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
