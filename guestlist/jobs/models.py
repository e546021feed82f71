from __future__ import annotations

from django.db import models


class JobLease(models.Model):
    """The right to run background jobs, held by one runner at a time across all instances."""

    name = models.CharField(max_length=32, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'}"


class JobStatus(models.Model):
    """The last run of each scheduled job, for the dashboard."""

    name = models.CharField(max_length=64, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True, blank=True)
    last_summary = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    # Which runner ran it last: with several instances, the one holding the lease.
    last_holder = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name
