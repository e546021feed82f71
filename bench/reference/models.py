from __future__ import annotations

from typing import ClassVar

from django.db import models


class Item(models.Model):
    """Stands in for an invite: a code, a few flags and dates, a description."""

    code = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    used_count = models.PositiveIntegerField(default=0)
    usage_limit = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True)
    # Spelled out: mypy's Django plugin reads Guestlist's settings, which do not install this app.
    objects: ClassVar[models.Manager[Item]] = models.Manager()

    class Meta:
        app_label = "reference"
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code
