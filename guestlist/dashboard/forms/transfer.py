from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.plex.models import MediaServer

SOURCE_CHOICES = (
    ("wizarr", _("Wizarr (its database file, database.db)")),
    ("komandorr", _("Komandorr (its database file)")),
    ("guestlist", _("Guestlist (a file from guestlist export)")),
)


class ImportForm(forms.Form):
    source = forms.ChoiceField(label=_("Import from"), choices=SOURCE_CHOICES)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A copy of the database is enough; it is only read. Nothing happens before you confirm."),
    )
    server = forms.ModelChoiceField(label=_("Into server"), queryset=MediaServer.objects.none(), required=False)

    def __init__(self, *args: Any, servers: list[MediaServer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(servers) > 1:
            field = self.fields["server"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = MediaServer.objects.filter(pk__in=[server.pk for server in servers])
            field.required = True
        else:
            del self.fields["server"]


class EraseForm(forms.Form):
    confirm = forms.BooleanField(required=True)
