"""The owner's form for the request page's settings (deciding forms are shared with the member area)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.invite_requests.forms import ApproveForm, DeclineForm
from guestlist.invite_requests.services import MAX_QUESTION, MAX_QUESTIONS

__all__ = ["ApproveForm", "DeclineForm", "RequestSettingsForm"]


class RequestSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Let people ask for an invite at /request"),
        required=False,
        help_text=_("The page is linked from /join while this is on."),
    )
    questions = forms.CharField(
        label=_("Your own questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One question a line, at most %(count)s; each must be answered.") % {"count": MAX_QUESTIONS},
    )

    def question_list(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["questions"].splitlines()]
        return [line[: MAX_QUESTION + 1] for line in lines if line]
