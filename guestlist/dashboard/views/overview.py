"""The overview: what needs attention, the Komandorr statistics, and who expires soon."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from guestlist.dashboard.attention import needs_attention
from guestlist.dashboard.charts import bar_chart
from guestlist.dashboard.views.common import dashboard_view
from guestlist.invites.models import Redemption
from guestlist.invites.stats import invite_stats
from guestlist.jobs.models import JobStatus
from guestlist.members.models import Member
from guestlist.members.services import status_q
from guestlist.plex.models import MediaServer

CHART_RANGES = (30, 90)


@dashboard_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    stats = invite_stats()
    days = int(request.GET["days"]) if request.GET.get("days") in ("30", "90") else CHART_RANGES[0]
    now = timezone.now()
    context = {
        "nav": "home",
        "stats": stats,
        "days": days,
        "chart_ranges": CHART_RANGES,
        "chart": bar_chart(stats["redemptions_per_day"][-days:], label_every=7 if days <= 30 else 14),
        "attention": needs_attention(),
        "expiring": list(
            Member.objects.filter(status_q("expiring", now)).select_related("invite").order_by("expires_at")[:10]
        ),
        "recent": list(Redemption.objects.select_related("member").order_by("-created_at")[:6]),
        "servers": list(MediaServer.objects.prefetch_related("libraries")),
        "jobs": list(JobStatus.objects.order_by("name")),
    }
    return render(request, "dashboard/overview.html", context)
