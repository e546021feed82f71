from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """A long-lived key for scripts. Only a hash of it is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_keys"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class SignInSettings(models.Model):
    """How admins get in: the second-factor rule and single sign-on (one row, pk=1).

    Kept apart from the site settings: these change who can reach the dashboard, so only
    the owner edits them (contract.md "Admins' sign-in").
    """

    require_second_factor = models.BooleanField(default=False)
    oidc_enabled = models.BooleanField(default=False)
    oidc_issuer = models.CharField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=255, blank=True)
    # Encrypted with lib.crypto; never shown again after saving.
    oidc_client_secret = models.TextField(blank=True)
    oidc_scopes = models.CharField(max_length=255, default="openid profile email groups")
    oidc_admin_claim = models.CharField(max_length=100, default="groups")
    oidc_admin_value = models.CharField(max_length=255, blank=True)
    oidc_create_admins = models.BooleanField(default=False)
    oidc_label = models.CharField(max_length=60, default="Single sign-on")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "sign-in settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> SignInSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @property
    def oidc_ready(self) -> bool:
        return bool(self.oidc_enabled and self.oidc_issuer and self.oidc_client_id)


class TotpDevice(models.Model):
    """An authenticator app. Unconfirmed until the admin types one of its codes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.TextField()  # encrypted (lib.crypto)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step accepted: a code is good once, even inside its window.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"authenticator app of {self.user_id}"


class RecoveryCode(models.Model):
    """One of ten single-use codes for a lost phone; only an Argon2 hash is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    # The code's first four characters (20 of its 60 bits): a typed code is checked against
    # one hash, not ten.
    lookup = models.CharField(max_length=8)
    code_hash = models.CharField(max_length=255)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class Passkey(models.Model):
    """A WebAuthn credential: a second factor, and a way to sign in without a password."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=100)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class OidcIdentity(models.Model):
    """Which admin an OpenID Connect account (issuer + subject) signs in as."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="oidc_identity_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.subject}@{self.issuer}"


class AdminSession(models.Model):
    """A signed-in browser of an admin, keyed by its session key.

    Django's session table cannot be searched by user without decoding every row; this
    small index can, on SQLite and PostgreSQL alike. The session row itself stays the
    truth: ending a session deletes both.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admin_sessions")
    method = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"session of {self.user_id}"


class SignInFailures(models.Model):
    """Failed password or second-factor attempts of one account or one address."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
