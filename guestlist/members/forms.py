"""Forms of the member area (``/me/``) and of acting on members there."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.core.durations import in_days, unit_choices
from guestlist.core.labels import PERMISSIONS
from guestlist.members import permissions
from guestlist.plex.models import Library

LIBRARY_MODES = (("default", _("Server default")), ("all", _("All libraries")), ("pick", _("These libraries")))
EXPIRY_UNITS = unit_choices(_("never"), never_first=True)
PERMISSION_LABELS = {perm: PERMISSIONS[perm] for perm in permissions.ALL}


class InviteForm(forms.Form):
    """The advanced form; the basic invite posts only a description."""

    description = forms.CharField(label=_("Note (only you see it)"), required=False, max_length=500)
    usage_limit = forms.IntegerField(
        label=_("Uses"), required=False, min_value=1, max_value=100, help_text=_("Empty: unlimited.")
    )
    expiry_count = forms.IntegerField(label=_("Expires after"), required=False, min_value=1, max_value=1000)
    expiry_unit = forms.ChoiceField(label=_("Unit"), choices=EXPIRY_UNITS, initial="never", required=False)
    library_mode = forms.ChoiceField(
        label=_("Libraries"), choices=LIBRARY_MODES, initial="default", widget=forms.RadioSelect, required=False
    )
    libraries = forms.MultipleChoiceField(
        label=_("Pick libraries"), required=False, widget=forms.CheckboxSelectMultiple
    )
    allow_sync = forms.BooleanField(label=_("Downloads"), required=False)
    allow_channels = forms.BooleanField(label=_("Live TV"), required=False)
    allow_camera_upload = forms.BooleanField(label=_("Camera upload"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["libraries"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - declared just above
        field.choices = [(str(lib.key), lib.title) for lib in Library.objects.filter(is_present=True).order_by("key")]

    def service_data(self, *, advanced: bool) -> dict[str, Any]:
        data = self.cleaned_data
        fields: dict[str, Any] = {}
        if data.get("description"):
            fields["description"] = data["description"]
        if not advanced:
            return fields
        fields["usage_limit"] = data.get("usage_limit")
        unit, count = data.get("expiry_unit") or "never", data.get("expiry_count")
        fields["expires_in_days"] = in_days(count, unit)
        mode = data.get("library_mode") or "default"
        fields["libraries"] = [int(key) for key in data.get("libraries") or []] if mode == "pick" else mode
        for name in ("allow_sync", "allow_channels", "allow_camera_upload"):
            fields[name] = bool(data.get(name))
        return fields


class ExtensionForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the owner"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PermissionsForm(forms.Form):
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        choices=list(PERMISSION_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )


class QuotaForm(forms.Form):
    limit = forms.IntegerField(
        label=_("Invites"), required=False, min_value=0, max_value=1000, help_text=_("Empty: the default.")
    )
    days = forms.IntegerField(
        label=_("Per days"),
        required=False,
        min_value=0,
        max_value=3650,
        help_text=_("0: lifetime. Empty: the default."),
    )


class TrialForm(forms.Form):
    action = forms.ChoiceField(choices=[(name, name) for name in ("extend", "end", "approve", "deny")])
    days = forms.IntegerField(required=False, min_value=1, max_value=365)
