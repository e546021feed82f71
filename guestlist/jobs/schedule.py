"""What the job runner does, and how often. Each job is a plain function tests can call."""

from __future__ import annotations

from dataclasses import dataclass

from guestlist.lib.daily import last_due, parse_clock

__all__ = ["JOBS", "Job", "last_due", "parse_clock"]


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function"; imported on first run so an idle runner stays small
    every_seconds: int
    first_after_seconds: int = 5


JOBS: tuple[Job, ...] = (
    # Plex work owed (shares, accepts, removals) that failed or was cut off; cheap when idle.
    Job("plex_operations", "guestlist.plexwork.outbox:process_due", every_seconds=15, first_after_seconds=2),
    # Expiries are enforced within a minute of falling due.
    # Webhooks, Apprise messages and mails; sent only here, never by the web process.
    Job("deliveries", "guestlist.notifications.delivery:process_due", every_seconds=10, first_after_seconds=3),
    Job("expiry", "guestlist.members.expiry:run", every_seconds=60, first_after_seconds=10),
    # Ended trials get their outcome (promote or deactivate). The issue asks for a daily job;
    # hourly costs nothing while no trial has ended (the runner asks the database first) and
    # keeps "your trial ends on the 5th" from meaning "some time on the 6th".
    Job("trials", "guestlist.members.trials:run", every_seconds=3600, first_after_seconds=90),
    Job("sync", "guestlist.members.sync:sync_job", every_seconds=15 * 60, first_after_seconds=60),
    # Members of Discord-gated invites still in the owner's Discord server (members.discord_check).
    Job("discord", "guestlist.members.discord_check:run", every_seconds=30 * 60, first_after_seconds=120),
    # Only while the owner has the inactivity rule on (the runner asks the settings first);
    # hourly is plenty for a rule counted in days, and it runs after the sync has read last seen.
    Job("inactivity", "guestlist.members.inactivity:job", every_seconds=3600, first_after_seconds=120),
    Job("housekeeping", "guestlist.jobs.housekeeping:run", every_seconds=3600, first_after_seconds=30),
    # The owner's scheduled backup: the runner asks once a minute whether today's time has
    # passed without a run (``last_due``); the backup itself happens in a worker.
    Job("backup", "guestlist.core.scheduled_backup:run", every_seconds=60, first_after_seconds=45),
)
