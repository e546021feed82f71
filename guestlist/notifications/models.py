"""Events, the destinations they go to, and the one delivery queue (contract.md "Notifications")."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q


def new_event_uid() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Destination(models.Model):
    """Where the owner wants events to go: an Apprise URL, a webhook, or an e-mail address."""

    class Kind(models.TextChoices):
        APPRISE = "apprise"
        WEBHOOK = "webhook"
        EMAIL = "email"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    events = models.JSONField(default=list, blank=True)
    # Settings that are not secret: a webhook's URL, an e-mail destination's address.
    url = models.CharField(max_length=2000, blank=True)
    email = models.CharField(max_length=254, blank=True)
    # The language of the short messages (Apprise, e-mail); webhooks carry JSON only.
    language = models.CharField(max_length=8, default="en")
    # Apprise URLs hold credentials and webhook secrets sign messages: both encrypted (lib.crypto).
    secret_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Event(models.Model):
    """Something that happened, with the payload every destination receives.

    ``key`` is set for events that must happen once per subject and date
    (``member.expiring_soon``): a second instance, or a restart, cannot announce it twice.
    """

    uid = models.CharField(max_length=40, unique=True, default=new_event_uid)
    type = models.CharField(max_length=48, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class Delivery(models.Model):
    """One message to send: an event to a destination, or a mail to a person.

    At most one per (event, destination); ``key`` makes person mails once-only where they
    must be (the expiry reminder per member and expiry date).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # A mail to a person (invite, welcome, reminder, ended): rendered when queued, in their language.
    mail_kind = models.CharField(max_length=32, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    mail = models.JSONField(default=dict, blank=True)
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    next_attempt_at = models.DateTimeField()
    # Retried until then, then failed: a day after it was queued (or sent again).
    give_up_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["event", "destination"],
                condition=Q(event__isnull=False, destination__isnull=False),
                name="delivery_once_per_event_and_destination",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at a delivery, for the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of delivery {self.delivery_id}"


class MailServer(models.Model):
    """The SMTP server Guestlist sends through (one row, pk=1)."""

    class Security(models.TextChoices):
        STARTTLS = "starttls"
        TLS = "tls"
        NONE = "none"

    host = models.CharField(max_length=255, blank=True)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.STARTTLS)
    username = models.CharField(max_length=255, blank=True)
    password_encrypted = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    # Which mails go to members (the invite mail is always sent when someone asks for it).
    send_welcome = models.BooleanField(default=True)
    send_reminders = models.BooleanField(default=True)
    send_ended = models.BooleanField(default=True)
    # The "your access ended" mail links to a page where they can ask to be invited again.
    allow_reinvite_requests = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_address)

    @classmethod
    def load(cls) -> MailServer:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Recipient(models.Model):
    """What we know about a person we write to: their language, and whether they opted out of reminders."""

    email = models.CharField(max_length=254, unique=True)
    language = models.CharField(max_length=8, default="en")
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email
