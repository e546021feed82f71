"""Admins' second factors: an authenticator app (TOTP), recovery codes and passkeys.

Secrets are encrypted at rest (lib.crypto); recovery codes are kept as Argon2 hashes and
shown once. pyotp, segno and argon2 are imported inside the functions that use them, so the
idle web process never loads them. Removing a factor ends the admin's other sessions (``sessions.end_others``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from guestlist.accounts import sessions
from guestlist.accounts.models import Passkey, RecoveryCode, SignInSettings, TotpDevice
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, NotFound
from guestlist.lib import crypto

ISSUER = "Guestlist"
RECOVERY_CODE_COUNT = 10
# Codes like "k7qd-m2xa-9fhe": 60 bits, easy to read aloud and type from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOTP_STEP = 30
# One step either side: phones whose clock is a little off still work.
TOTP_WINDOW = 1


def has_totp(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def has_second_factor(user: User) -> bool:
    return has_totp(user) or Passkey.objects.filter(user=user).exists()


def second_factor_required() -> bool:
    return SignInSettings.load().require_second_factor


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str

    def qr_svg(self) -> str:
        import segno  # only on the enrolment page

        return str(segno.make(self.uri, error="m").svg_inline(scale=4, dark="#111", light="#fff"))


def start_totp(user: User) -> TotpEnrolment:
    """A fresh secret for an admin without a confirmed app (a new one each time they start)."""
    if has_totp(user):
        raise Conflict("An authenticator app is already set up; remove it first.", code="totp_exists")
    import pyotp  # pyotp is imported only where codes are made or checked (idle memory)

    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": crypto.encrypt(secret), "confirmed_at": None, "last_step": 0}
    )
    enrolment = pending_totp(user)
    assert enrolment is not None  # noqa: S101 - just stored
    return enrolment


def pending_totp(user: User) -> TotpEnrolment | None:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        return None
    import pyotp

    secret = crypto.decrypt(device.secret)
    uri = pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)
    return TotpEnrolment(secret, uri)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step ``code`` belongs to, within the window, else None."""
    import pyotp

    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = int(now // TOTP_STEP)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def confirm_totp(user: User, code: str, *, actor: Actor) -> list[str]:
    """Turn on the app once it shows a right code; returns new recovery codes (shown once)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if device is None:
        raise NotFound("Start setting up the authenticator app first.", code="totp_not_started")
    step = _matching_step(crypto.decrypt(device.secret), code, time.time())
    if step is None:
        raise Invalid("That code is not right; check the app's clock and type the code it shows now.", code="bad_code")
    with transaction.atomic():
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now(), last_step=step)
        codes = _replace_recovery_codes(user)
        audit.record(actor, "admin.totp_added", user)
    return codes


def verify_totp(user: User, code: str, *, now: float | None = None) -> bool:
    """A right code of a confirmed app, used at most once (a replayed code is refused)."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    step = _matching_step(crypto.decrypt(device.secret), code, time.time() if now is None else now)
    if step is None:
        return False
    # One conditional UPDATE claims the step: two requests with the same code cannot both win.
    return bool(TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step))


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normalise_recovery_code(code: str) -> str:
    raw = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else ""


def _code_hasher() -> Any:
    from argon2 import PasswordHasher

    # Argon2id at OWASP's minimum (19 MiB, 2 passes): the codes carry 60 random bits, so
    # the password hasher's 100 MiB per check would only slow sign-ins down.
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def _replace_recovery_codes(user: User) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    hasher = _code_hasher()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, lookup=code[:4], code_hash=hasher.hash(code)) for code in codes
    )
    return codes


def regenerate_recovery_codes(user: User, *, actor: Actor) -> list[str]:
    if not has_second_factor(user):
        raise Conflict("Set up an authenticator app or a passkey first.", code="no_second_factor")
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(actor, "admin.recovery_codes_renewed", user)
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def use_recovery_code(user: User, code: str) -> bool:
    """A right, unused code is spent (each works once)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    normalised = _normalise_recovery_code(code)
    if not normalised:
        return False
    hasher = _code_hasher()
    for stored in RecoveryCode.objects.filter(user=user, used_at__isnull=True, lookup=normalised[:4]):
        try:
            hasher.verify(stored.code_hash, normalised)
        except (VerificationError, InvalidHashError):
            continue
        # Claimed with a conditional UPDATE: two sign-ins with one code cannot both pass.
        return bool(RecoveryCode.objects.filter(pk=stored.pk, used_at__isnull=True).update(used_at=timezone.now()))
    return False


def verify_code(user: User, code: str) -> str | None:
    """A TOTP code or a recovery code: which one worked ("totp", "recovery_code"), else None."""
    if verify_totp(user, code):
        return "totp"
    if use_recovery_code(user, code):
        return "recovery_code"
    return None


def remove_totp(user: User, *, actor: Actor, keep_session: str | None = None) -> None:
    with transaction.atomic():
        deleted, _ = TotpDevice.objects.filter(user=user).delete()
        if not deleted:
            raise NotFound("No authenticator app is set up.", code="not_found")
        if not Passkey.objects.filter(user=user).exists():
            RecoveryCode.objects.filter(user=user).delete()
        audit.record(actor, "admin.totp_removed", user)
    sessions.end_others(user, keep=keep_session)


def remove_passkey(user: User, passkey_id: int, *, actor: Actor, keep_session: str | None = None) -> None:
    with transaction.atomic():
        passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
        if passkey is None:
            raise NotFound("This passkey is not yours or is gone.", code="not_found")
        passkey.delete()
        if not has_second_factor(user):
            RecoveryCode.objects.filter(user=user).delete()
        audit.record(actor, "admin.passkey_removed", user, name=passkey.name)
    sessions.end_others(user, keep=keep_session)


def reset_second_factors(user: User, *, actor: Actor) -> int:
    """Every factor of ``user`` gone (the CLI's reset-2fa); every session ended."""
    with transaction.atomic():
        removed = (
            TotpDevice.objects.filter(user=user).delete()[0]
            + Passkey.objects.filter(user=user).delete()[0]
            + RecoveryCode.objects.filter(user=user).delete()[0]
        )
        audit.record(actor, "admin.second_factor_reset", user)
    sessions.end_others(user, keep=None)
    return removed
