from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Choices known only at request time (libraries, creators, statuses)."""
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)


def server_time_help() -> str:
    """Dates typed into a form are in the server's time zone, which may not be the owner's."""
    return _("In the server's time zone (%(zone)s).") % {"zone": timezone.get_current_timezone_name()}
