"""Member forms: the list's filters, expiry changes (one member or a selection), access changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.core.labels import ACCESS_END_CHOICES
from guestlist.dashboard.forms import server_time_help, set_choices
from guestlist.dashboard.forms.limits import add_limit_fields, limit_groups, limits_data
from guestlist.lib.dates import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR
from guestlist.members.models import Member
from guestlist.plex import content_options
from guestlist.plex.libraries import ALL, DEFAULT
from guestlist.plex.models import Library, MediaServer

# name: (label, days); a month is 30 days and a year 365 everywhere (lib/dates.py)
EXTENSIONS: dict[str, tuple[Any, int]] = {
    "1w": (_("+1 week"), DAYS_PER_WEEK),
    "1m": (_("+1 month"), DAYS_PER_MONTH),
    "3m": (_("+3 months"), 3 * DAYS_PER_MONTH),
    "1y": (_("+1 year"), DAYS_PER_YEAR),
}

BULK_ACTIONS = [
    *((f"extend_{name}", label) for name, (label, _days) in EXTENSIONS.items()),
    ("clear_expiry", _("Clear expiry")),
    ("access", _("Change libraries and permissions…")),
    ("remove", _("Remove access")),
]

KEEP = "keep"
FLAG_FIELDS = ("allow_sync", "allow_channels", "allow_camera_upload")
FLAG_LABELS = {"allow_sync": _("Downloads"), "allow_channels": _("Live TV"), "allow_camera_upload": _("Camera upload")}


class AccessForm(forms.Form):
    """A member's share: libraries, the three permissions, content limits. With ``bulk`` (a
    selection of members) everything may also be left as each member has it."""

    libraries_mode = forms.ChoiceField(label=_("Libraries"), widget=forms.RadioSelect)
    libraries = forms.MultipleChoiceField(
        label=_("Libraries to share"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used when “Only these libraries” is chosen."),
    )

    def __init__(
        self,
        *args: Any,
        server: MediaServer,
        member: Member | None = None,
        bulk: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.bulk = bulk
        modes = [
            (ALL, _("All libraries")),
            (DEFAULT, _("The server's default libraries")),
            ("specific", _("Only these libraries")),
        ]
        set_choices(self, "libraries_mode", [(KEEP, _("Leave as they are")), *modes] if bulk else modes)
        set_choices(
            self,
            "libraries",
            [
                (str(key), title)
                for key, title in Library.objects.filter(server=server, is_present=True).values_list("key", "title")
            ],
        )
        for flag in FLAG_FIELDS:
            if bulk:
                self.fields[flag] = forms.ChoiceField(
                    label=FLAG_LABELS[flag],
                    choices=[(KEEP, _("Leave as it is")), ("on", _("Allow")), ("off", _("Do not allow"))],
                )
                self.initial.setdefault(flag, KEEP)
            else:
                self.fields[flag] = forms.BooleanField(label=FLAG_LABELS[flag], required=False)
        if bulk:
            self.fields["change_limits"] = forms.BooleanField(
                label=_("Set these content limits for all of them"), required=False
            )
            self.initial.setdefault("libraries_mode", KEEP)
        elif member is not None:
            keys = [str(key) for key in (member.library_keys or [])]
            self.initial.setdefault("libraries_mode", "specific" if keys else ALL)
            self.initial.setdefault("libraries", keys)
            for flag in FLAG_FIELDS:
                self.initial.setdefault(flag, getattr(member, flag))
        options = content_options.read(server)
        self.content_error = options.error
        add_limit_fields(self, options, (member.content_limits if member is not None else None) or {})

    @property
    def limit_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return limit_groups(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("libraries_mode") == "specific" and not data.get("libraries"):
            self.add_error("libraries", _("Tick at least one library."))
        return data

    def changes(self) -> dict[str, Any]:
        """What to change, as ``members.access`` takes it."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        mode = data["libraries_mode"]
        if mode == "specific":
            changes["libraries"] = [int(key) for key in data["libraries"]]
        elif mode != KEEP:
            changes["libraries"] = mode
        for flag in FLAG_FIELDS:
            value = data.get(flag)
            if not self.bulk:
                changes[flag] = bool(value)
            elif value in ("on", "off"):
                changes[flag] = value == "on"
        if not self.bulk or data.get("change_limits"):
            changes["content_limits"] = limits_data(data)
        return changes


class MemberFilterForm(forms.Form):
    status = forms.ChoiceField(required=False)
    search = forms.CharField(label=_("Search"), required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1)
    not_seen = forms.IntegerField(label=_("Not seen for (days)"), required=False, min_value=0, max_value=36500)
    sort = forms.ChoiceField(
        required=False, choices=[(name, name) for name in ("-created_at", "created_at", "last_seen", "-last_seen")]
    )

    def __init__(self, *args: Any, statuses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "status", [(name, name) for name in statuses])


class ExpiryForm(forms.Form):
    """One form, several buttons: set the date, clear it, or push it out."""

    expires_at = forms.DateTimeField(
        label=_("Access ends"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    action = forms.ChoiceField(
        choices=[("set", "set"), ("clear", "clear"), *((f"extend_{name}", name) for name in EXTENSIONS)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].help_text = server_time_help()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "set" and not data.get("expires_at"):
            self.add_error("expires_at", _("Pick a date, or use “Clear” for no expiry."))
        return data


class AccessEndForm(forms.Form):
    """What ending one member's access does: the owner's setting, or their own choice."""

    access_end = forms.ChoiceField(
        label=_("When their access ends"),
        required=False,
        choices=[("", _("As in the settings")), *ACCESS_END_CHOICES.items()],
    )


class BulkMemberForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    action = forms.ChoiceField(label=_("With the selected members"), choices=BULK_ACTIONS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id may be posted; the view only acts on members that exist.
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        set_choices(self, "ids", [(value, value) for value in raw])
        self.fields["ids"].error_messages["required"] = _("Select at least one member.")


def extension(action: str) -> int | None:
    """The days an ``extend_*`` action adds, else None."""
    if not action.startswith("extend_"):
        return None
    found = EXTENSIONS.get(action.removeprefix("extend_"))
    return found[1] if found else None
