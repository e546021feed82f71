from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Choices known only at request time (libraries, creators, statuses)."""
    cast(forms.ChoiceField, form.fields[name]).choices = list(choices)
