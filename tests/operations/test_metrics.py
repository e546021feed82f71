"""Opt-in Prometheus metrics at /metrics: behind an API key or the metrics token; counts of
redemptions, Plex calls (with latencies) and job runs; the outbox read from the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from guestlist.lib import metrics
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation

TOKEN = "a-metrics-token-for-prometheus"


@pytest.fixture
def metrics_on(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GUESTLIST_METRICS", "on")
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = TOKEN
    metrics.enabled.cache_clear()
    yield
    metrics.enabled.cache_clear()


def scrape(client: Client | None = None, **headers: str) -> str:
    answer = (client or Client()).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/plain")
    return answer.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` (labels may be a subset), 0 when it is absent."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            total += float(match.group(3))
    return total


def test_metrics_are_not_there_unless_turned_on(db: None) -> None:
    assert Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_metrics_need_the_token_or_an_api_key(metrics_on: None, api_key: str) -> None:
    assert Client().get("/metrics").status_code == 401
    wrong = Client().get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert "guestlist_outbox_depth" in scrape()
    by_key = Client().get("/metrics", headers={"X-Api-Key": api_key})
    assert by_key.status_code == 200


def test_redemptions_and_plex_calls_are_counted_by_outcome_and_route(
    metrics_on: None, server: MediaServer, api: Client, sim: PlexSimulator
) -> None:
    before = scrape()
    invite = api.post("/api/invites/", data={"usage_limit": 1}, content_type="application/json").json()
    redeem = {"code": invite["code"], "email": "counted@example.org"}
    assert Client().post("/api/invites/redeem", data=redeem, content_type="application/json").status_code in (
        201,
        202,
    )
    again = {"code": invite["code"], "email": "second@example.org"}
    assert Client().post("/api/invites/redeem", data=again, content_type="application/json").status_code == 410
    after = scrape()
    created = value(after, "guestlist_redemptions_total", outcome="created") + value(
        after, "guestlist_redemptions_total", outcome="pending"
    )
    assert created - value(before, "guestlist_redemptions_total", outcome="created") >= 1
    assert (
        value(after, "guestlist_redemptions_total", outcome="used_up")
        - value(before, "guestlist_redemptions_total", outcome="used_up")
        == 1
    )
    # The share went to the (simulated) server's plex.tv side; its route has no ids in it.
    shares = [line for line in after.splitlines() if "shared_servers" in line and "_total{" in line]
    assert shares, after
    assert all("/{id}/" in line and not re.search(r"/\d+/", line) for line in shares)
    assert value(after, "guestlist_plex_request_seconds_count", target="plex.tv") > value(
        before, "guestlist_plex_request_seconds_count", target="plex.tv"
    )


def test_the_outbox_depth_and_oldest_age_come_from_the_database(
    metrics_on: None, server: MediaServer, api: Client, sim: PlexSimulator
) -> None:
    sim.inject_fault("POST", "/api/servers/*/shared_servers", status=503, times=None)
    invite = api.post("/api/invites/", data={}, content_type="application/json").json()
    Client().post(
        "/api/invites/redeem",
        data={"code": invite["code"], "email": "owed@example.org"},
        content_type="application/json",
    )
    assert PlexOperation.objects.filter(state=PlexOperation.State.QUEUED).count() == 1
    text = scrape()
    assert value(text, "guestlist_outbox_depth") == 1
    assert value(text, "guestlist_outbox_oldest_age_seconds") >= 0
    assert value(text, "guestlist_plex_operations", state="queued") == 1
    assert "# TYPE guestlist_notification_deliveries gauge" in text


def test_job_runs_of_separate_worker_processes_add_up_in_one_set_of_files(tmp_path: Path) -> None:
    env = {**os.environ, "GUESTLIST_METRICS": "on", metrics.MULTIPROC_ENV: str(tmp_path)}
    worker_run = "from guestlist.lib import metrics; metrics.set_role('worker'); metrics.observe_job('sync', True, 0.2)"
    for _ in range(3):  # three workers, one after the other, as the runner starts them
        subprocess.run([sys.executable, "-c", worker_run], env=env, check=True, timeout=60)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_worker.db", "histogram_worker.db"]
    scrape_code = "from guestlist.lib import metrics; print(metrics.exposition()[0].decode())"
    done = subprocess.run(
        [sys.executable, "-c", scrape_code], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    assert value(done.stdout, "guestlist_job_runs_total", job="sync", outcome="ok") == 3
    assert value(done.stdout, "guestlist_job_seconds_count", job="sync") == 3


def test_prometheus_client_stays_out_of_an_idle_web_process_when_metrics_are_off(tmp_path: Path) -> None:
    code = (
        "import os, sys, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'guestlist.settings'\n"
        "django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.test import Client\n"
        "assert Client().get('/healthz').status_code == 200\n"
        "assert Client().get('/metrics').status_code == 404\n"
        "print('prometheus_client' in sys.modules)\n"
    )
    env = {**os.environ, "GUESTLIST_DATA_DIR": str(tmp_path), "GUESTLIST_METRICS": "off"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
