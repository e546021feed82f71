"""What the job runner does, and how often. Each job is a plain function tests can call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    target: str  # "module:function"; imported on first run so an idle runner stays small
    every_seconds: int
    first_after_seconds: int = 5


JOBS: tuple[Job, ...] = (
    Job("housekeeping", "guestlist.jobs.housekeeping:run", every_seconds=3600, first_after_seconds=30),
)
