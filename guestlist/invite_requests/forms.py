"""The public request form: its fields follow the owner's questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.invite_requests.services import MAX_ANSWER, MAX_EMAIL, MAX_MESSAGE, MAX_NAME

# A field people never see (hidden by the stylesheet, skipped by keyboards and screen readers)
# and bots that fill every input do: a request that fills it is answered as if it was received.
HONEYPOT = "website"


class RequestForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=MAX_NAME)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=MAX_EMAIL,
        help_text=_("The answer, and the invite if there is one, go to this address."),
    )
    message = forms.CharField(
        label=_("A message to the owner (optional)"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, questions: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, question in enumerate(questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=question, max_length=MAX_ANSWER, widget=forms.Textarea(attrs={"rows": 2})
            )
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "inputmode": "email"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
