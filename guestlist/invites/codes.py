"""Invite codes: 8 characters of A–Z and 0–9 from the OS's cryptographic RNG."""

from __future__ import annotations

import re
import secrets
import string

CODE_ALPHABET = string.ascii_uppercase + string.digits
GENERATED_LENGTH = 8
CUSTOM_CODE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(GENERATED_LENGTH))


def normalize(code: str) -> str:
    """Codes are stored upper-cased, so a typed code matches in any case."""
    return code.strip().upper()


def is_valid_custom(code: str) -> bool:
    return bool(CUSTOM_CODE.match(code.strip()))


def looks_like_code(code: str) -> bool:
    return 1 <= len(code.strip()) <= 32 and bool(re.fullmatch(r"[A-Za-z0-9_-]+", code.strip()))
