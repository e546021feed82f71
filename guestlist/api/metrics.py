"""``GET /metrics``: Prometheus' text format, when ``GUESTLIST_METRICS=on``.

Callers show an API key (``X-Api-Key`` or ``Authorization: Bearer``) or the bearer token
``GUESTLIST_METRICS_TOKEN``. Counters come from ``guestlist.lib.metrics``; what the database
knows is read at scrape time by ``DatabaseCollector``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from guestlist.accounts import services as accounts
from guestlist.api.auth import presented_key
from guestlist.jobs.models import JobStatus
from guestlist.lib import metrics
from guestlist.members.models import Member
from guestlist.notifications.models import Delivery
from guestlist.plexwork.models import PlexOperation


class DatabaseCollector:
    """Gauges read from the database at each scrape: true in whichever process asks."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        queued = PlexOperation.objects.filter(state=PlexOperation.State.QUEUED).aggregate(
            count=Count("id"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily(
            "guestlist_outbox_depth", "Plex operations queued (owed to Plex).", value=queued["count"]
        )
        age = (timezone.now() - queued["oldest"]).total_seconds() if queued["oldest"] else 0.0
        yield GaugeMetricFamily(
            "guestlist_outbox_oldest_age_seconds", "Age of the oldest queued Plex operation (0 when none).", value=age
        )
        operations = GaugeMetricFamily("guestlist_plex_operations", "Plex operations by state.", labels=["state"])
        for row in PlexOperation.objects.values("state").annotate(n=Count("id")):
            operations.add_metric([row["state"]], row["n"])
        yield operations
        members = GaugeMetricFamily("guestlist_members", "Members by status.", labels=["status"])
        for by_status in Member.objects.values("status").annotate(n=Count("id")):
            members.add_metric([by_status["status"]], by_status["n"])
        yield members
        deliveries = GaugeMetricFamily(
            "guestlist_notification_deliveries",
            "Notification deliveries (mails, webhooks, Apprise) by status.",
            labels=["status"],
        )
        for by_delivery in Delivery.objects.values("status").annotate(n=Count("id")):
            deliveries.add_metric([by_delivery["status"]], by_delivery["n"])
        yield deliveries
        last_ok = GaugeMetricFamily("guestlist_job_last_ok", "1 when the job's last run succeeded.", labels=["job"])
        finished = GaugeMetricFamily(
            "guestlist_job_last_finished_timestamp_seconds", "When the job last finished (Unix time).", labels=["job"]
        )
        for job in JobStatus.objects.exclude(last_finished_at=None):
            last_ok.add_metric([job.name], 1.0 if job.last_ok else 0.0)
            assert job.last_finished_at is not None  # noqa: S101 - excluded above; narrows the type
            finished.add_metric([job.name], job.last_finished_at.timestamp())
        yield last_ok
        yield finished


def _allowed(request: HttpRequest) -> bool:
    presented = presented_key(request)
    if not presented:
        return False
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(presented.encode(), token.encode()):
        return True
    return accounts.authenticate_api_key(presented) is not None


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        raise Http404
    if not _allowed(request):
        response = HttpResponse("An API key or the metrics token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="guestlist metrics"'
        return response
    body, content_type = metrics.exposition(DatabaseCollector())
    return HttpResponse(body, content_type=content_type)
