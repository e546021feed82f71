"""The inactivity rule's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.core.models import SiteSettings


class InactivityForm(forms.Form):
    inactivity_enabled = forms.BooleanField(
        label=_("Apply the inactivity rule"),
        required=False,
        help_text=_("Off: nothing happens; the preview below still shows what the rule would do."),
    )
    inactivity_days = forms.IntegerField(
        label=_("Warn members not seen for (days)"),
        min_value=7,
        max_value=3650,
        help_text=_("Someone who never watched counts from the day they joined."),
    )
    inactivity_grace_days = forms.IntegerField(
        label=_("Then remove them after (days)"),
        min_value=1,
        max_value=365,
        help_text=_("Counted from the warning; watching anything in between keeps their access."),
    )

    FIELDS = ("inactivity_enabled", "inactivity_days", "inactivity_grace_days")

    @classmethod
    def initial_from(cls, site: SiteSettings) -> dict[str, Any]:
        return {name: getattr(site, name) for name in cls.FIELDS}

    def site_changes(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
