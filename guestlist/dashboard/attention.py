"""The overview's "Needs attention" panel: what is broken or stuck, and where to fix it.

Read-only: Plex health as the last check left it, Plex work still owed or given up, jobs
whose last run failed, and the sign-up switch (invites do nothing while it is off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guestlist.core.labels import EVENT_LABELS, JOB_NAMES, MAIL_KINDS, PLEX_OPERATIONS
from guestlist.core.models import SiteSettings
from guestlist.invite_requests.services import pending_count
from guestlist.jobs.models import JobStatus
from guestlist.members.models import Member
from guestlist.notifications.models import Delivery
from guestlist.plex.models import MediaServer
from guestlist.plexwork.models import PlexOperation

FAILED_SHOWN_FOR = timedelta(days=14)
HEALTH_STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Item:
    level: str  # "error", "warning" or "info"
    title: str
    detail: str = ""
    link: str = ""
    link_text: str = ""
    lines: list[str] = field(default_factory=list)


def _server_items(server: MediaServer) -> list[Item]:
    items = []
    settings_url = reverse("settings")
    if server.token_ok is False:
        items.append(
            Item(
                "error",
                _("Plex rejected the owner's token for %(server)s") % {"server": server},
                _("Invites and removals wait until you sign in with Plex again."),
                reverse("setup-plex"),
                _("Reconnect Plex"),
            )
        )
    if server.server_ok is False:
        items.append(
            Item(
                "error",
                _("%(server)s is not reachable") % {"server": server},
                server.last_health_error
                or _("Check that the server is running and that Guestlist can reach %(url)s.")
                % {"url": server.base_url},
                settings_url,
                _("Check the connection"),
            )
        )
    if server.last_health_check_at is None or server.last_health_check_at < timezone.now() - HEALTH_STALE_AFTER:
        items.append(
            Item(
                "info",
                _("The connection to %(server)s was not checked for a week") % {"server": server},
                link=settings_url,
                link_text=_("Check now"),
            )
        )
    return items


def _delivery_target(item: Delivery) -> str:
    return item.destination.name if item.destination is not None else item.recipient


def _delivery_what(item: Delivery) -> str:
    if item.event is not None:
        return str(EVENT_LABELS.get(item.event.type, item.event.type))
    return str(MAIL_KINDS.get(item.mail_kind, item.mail_kind))


def needs_attention() -> list[Item]:
    now = timezone.now()
    items: list[Item] = []
    servers = list(MediaServer.objects.all())
    if not servers:
        items.append(
            Item(
                "warning",
                _("No Plex server is connected"),
                _("Invites need a server to share."),
                reverse("setup-plex"),
                _("Connect Plex"),
            )
        )
    for server in servers:
        items.extend(_server_items(server))
    if not SiteSettings.load().signup_enabled:
        items.append(
            Item(
                "warning",
                _("Sign up is off"),
                _("Nobody can redeem an invite until you turn it on."),
                reverse("settings-invites"),
                _("Invite settings"),
            )
        )
    failed = list(
        PlexOperation.objects.filter(state=PlexOperation.State.FAILED, finished_at__gte=now - FAILED_SHOWN_FOR)
        .select_related("member")
        .order_by("-finished_at")[:5]
    )
    if failed:
        items.append(
            Item(
                "error",
                _("Plex work that failed for good in the last two weeks"),
                lines=[
                    f"{op.member or '—'}: {PLEX_OPERATIONS.get(op.kind, op.kind)} — {op.last_error}" for op in failed
                ],
                link=reverse("members") + "?status=all",
                link_text=_("Members"),
            )
        )
    queued = PlexOperation.objects.filter(state=PlexOperation.State.QUEUED).aggregate(
        oldest=Min("created_at"), count=Count("id")
    )
    if queued["count"]:
        last_error = (
            PlexOperation.objects.filter(state=PlexOperation.State.QUEUED)
            .exclude(last_error="")
            .values_list("last_error", flat=True)
            .first()
        )
        items.append(
            Item(
                "warning",
                ngettext(
                    "%(count)s Plex change is waiting to be retried",
                    "%(count)s Plex changes are waiting to be retried",
                    queued["count"],
                )
                % {"count": queued["count"]},
                (
                    _("Oldest since %(when)s.")
                    % {"when": date_format(timezone.localtime(queued["oldest"]), "DATETIME_FORMAT")}
                )
                + (f" {last_error}" if last_error else ""),
            )
        )
    removing = Member.objects.filter(status=Member.Status.REMOVING).count()
    if removing:
        items.append(
            Item(
                "warning",
                ngettext(
                    "%(count)s member is still being removed", "%(count)s members are still being removed", removing
                )
                % {"count": removing},
                _("Their access is taken away as soon as Plex answers."),
                reverse("members") + "?status=all",
                _("Members"),
            )
        )
    undelivered = list(
        Delivery.objects.filter(status=Delivery.Status.FAILED, finished_at__gte=now - timedelta(days=7))
        .select_related("destination", "event")
        .order_by("-finished_at")[:5]
    )
    if undelivered:
        items.append(
            Item(
                "error",
                _("Notifications or mails that could not be delivered in the last week"),
                lines=[f"{_delivery_target(item)}: {_delivery_what(item)} — {item.last_error}" for item in undelivered],
                link=reverse("settings-notifications") + "?status=failed",
                link_text=_("Delivery log"),
            )
        )
    waiting = pending_count()
    if waiting:
        items.append(
            Item(
                "info",
                ngettext(
                    "%(count)s invite request waits for an answer",
                    "%(count)s invite requests wait for an answer",
                    waiting,
                )
                % {"count": waiting},
                link=reverse("requests") + "?status=pending",
                link_text=_("Invite requests"),
            )
        )
    for job in JobStatus.objects.filter(last_ok=False).order_by("name"):
        name = JOB_NAMES.get(job.name, job.name)
        # A failed backup links to where its settings and folder are.
        link, link_text = (reverse("settings-backups"), _("Backups")) if job.name == "backup" else ("", "")
        items.append(
            Item("error", _("The job “%(job)s” failed") % {"job": name}, job.last_error[:300], link, link_text)
        )
    return items
