"""Strangers asking for an invite (issue 22), and the owner's settings for the page they ask on.

The settings live here rather than on ``core.SiteSettings``: the request page is this app's
alone, and the owner's other settings keep their own table.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.db import models


def new_request_uid() -> str:
    return secrets.token_urlsafe(18)


class RequestSettings(models.Model):
    """The request page's switch and the owner's own questions (one row, pk=1)."""

    enabled = models.BooleanField(default=False)
    # Up to MAX_QUESTIONS short questions, each answered in a field of its own.
    questions = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "invite request settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> RequestSettings:
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)


class InviteRequest(models.Model):
    """One person's request. The e-mail address is only what they typed: nothing proves it is theirs."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DECLINED = "declined"

    # The status link names the request by this random id (signed), never by its number.
    uid = models.CharField(max_length=40, unique=True, default=new_request_uid)
    name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, db_index=True)
    message = models.TextField(blank=True)
    # [{"question", "answer"}]: the owner's questions as they were asked.
    answers = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, default="en")
    client_ip = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decision_message = models.TextField(blank=True)
    invite = models.ForeignKey(
        "invites.Invite", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    mailed = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created_at"], name="invite_request_status_idx"),
        ]

    def __str__(self) -> str:
        return f"invite request {self.pk}"
