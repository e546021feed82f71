"""Member forms: the list's filters, expiry changes (one member or a selection)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.core.labels import ACCESS_END_CHOICES
from guestlist.dashboard.forms import server_time_help, set_choices
from guestlist.lib.dates import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR

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
    ("remove", _("Remove access")),
]


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
