"""Prometheus metrics, opt-in (``GUESTLIST_METRICS=on``), served at ``/metrics``.

``prometheus_client`` is imported on first use, never while metrics are off, so an idle
install does not carry it.

Counters and histograms are counted where things happen: redemptions in the web process,
Plex calls in whichever process makes them (the web app, or a job worker), job runs in the
worker. Workers are short-lived processes, so their counts would die with them; ``guestlist
serve`` therefore runs the client library's multiprocess mode in ``<data dir>/metrics``
(emptied at every start), and every worker writes into the same files under the fixed
identity "worker" (the runner starts one worker at a time), so the files do not pile up
with one set per worker. ``/metrics`` adds up those files. What the database knows (the
outbox's depth and oldest item, members, the jobs' last results) is read from it at scrape
time instead (``guestlist.api.metrics``).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guestlist.lib.env import env_bool

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; Plex answers in tens of milliseconds on a LAN and up to GUESTLIST_PLEX_TIMEOUT.
PLEX_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)

_role = "web"
_lock = threading.Lock()
_metrics: Metrics | None = None


@functools.cache
def enabled() -> bool:
    return env_bool("GUESTLIST_METRICS", False)


def set_role(role: str) -> None:
    """Which file set this process writes in multiprocess mode ("web" or "worker")."""
    global _role
    _role = role


def prepare_directory(path: Path) -> None:
    """Start the multiprocess files afresh and tell this process and its children where
    they are (``serve`` calls this before it starts the job runner)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


@dataclass(frozen=True)
class Metrics:
    redemptions: Any
    plex_requests: Any
    plex_seconds: Any
    job_runs: Any
    job_seconds: Any


def _get() -> Metrics:
    global _metrics
    with _lock:
        if _metrics is None:
            # Imported here, not at the top: only installs with metrics on pay for it.
            from prometheus_client import Counter, Histogram, values

            if multiprocess():
                # prometheus_client leaves this factory unannotated.
                values.ValueClass = values.MultiProcessValue(  # type: ignore[no-untyped-call]
                    process_identifier=lambda: _role
                )
            _metrics = Metrics(
                redemptions=Counter(
                    "guestlist_redemptions",
                    "Redemption attempts by outcome (created, pending, existing, or the refusal code).",
                    ["outcome"],
                ),
                plex_requests=Counter(
                    "guestlist_plex_requests",
                    "Requests to plex.tv and Plex servers by target, route and outcome.",
                    ["target", "route", "outcome"],
                ),
                plex_seconds=Histogram(
                    "guestlist_plex_request_seconds",
                    "How long Plex took to answer, by target and route.",
                    ["target", "route"],
                    buckets=PLEX_BUCKETS,
                ),
                job_runs=Counter(
                    "guestlist_job_runs", "Background job runs by job and outcome (ok, failed).", ["job", "outcome"]
                ),
                job_seconds=Histogram(
                    "guestlist_job_seconds", "How long background jobs ran.", ["job"], buckets=JOB_BUCKETS
                ),
            )
        return _metrics


def count_redemption(outcome: str) -> None:
    if enabled():
        _get().redemptions.labels(outcome).inc()


def observe_plex(target: str, route: str, outcome: str, seconds: float) -> None:
    if enabled():
        metrics = _get()
        metrics.plex_requests.labels(target, route, outcome).inc()
        metrics.plex_seconds.labels(target, route).observe(seconds)


def observe_job(job: str, ok: bool, seconds: float) -> None:
    if enabled():
        metrics = _get()
        metrics.job_runs.labels(job, "ok" if ok else "failed").inc()
        metrics.job_seconds.labels(job).observe(seconds)


def exposition(*extra: Any) -> tuple[bytes, str]:
    """The text format of every counted metric plus the ``extra`` collectors."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    _get()  # every family shows, at zero, before anything happened
    if multiprocess():
        from prometheus_client.multiprocess import MultiProcessCollector

        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]  # unannotated in prometheus_client
    else:
        counted = REGISTRY
    scraped = CollectorRegistry()
    for collector in extra:
        scraped.register(collector)
    return generate_latest(counted) + generate_latest(scraped), CONTENT_TYPE_LATEST
