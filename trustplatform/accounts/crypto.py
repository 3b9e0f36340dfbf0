"""TOTP secrets encrypted at rest with Fernet keys from the environment (TOTP_ENCRYPTION_KEY).

A copy of the database alone does not give anyone's second factor. Several keys may be set for
rotation: the first encrypts, any of them decrypts (docs/security.md).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.TOTP_ENCRYPTION_KEYS])


def secret_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode() if token else ""


def secret_rotate(token: str) -> str:
    """The same secret under the first key (after a new key was put first)."""
    return _fernet().rotate(token.encode()).decode() if token else ""
