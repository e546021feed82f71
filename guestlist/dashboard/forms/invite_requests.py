"""The owner's forms for invite requests: deciding one, and the request page's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.invite_requests.services import MAX_MESSAGE, MAX_QUESTION, MAX_QUESTIONS
from guestlist.invites.models import InviteTemplate


class ApproveForm(forms.Form):
    template = forms.TypedChoiceField(label=_("Invite template"), coerce=int, empty_value=None, required=False)
    send_mail = forms.BooleanField(label=_("Send the invite by e-mail"), required=False, initial=True)

    def __init__(self, *args: Any, mail_ready: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[Any, Any]] = [("", _("The default invite (your defaults, single use)"))]
        choices += [(template.pk, template.name) for template in InviteTemplate.objects.all()]
        field = self.fields["template"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared above
        field.choices = choices
        field.help_text = _("The invite takes the template's settings and admits one person.")
        if not mail_ready:
            self.fields["send_mail"].disabled = True
            self.fields["send_mail"].initial = False
            self.fields["send_mail"].help_text = _("Set up the SMTP server in Settings → Notifications to mail it.")


class DeclineForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the person (optional)"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_mail = forms.BooleanField(label=_("Tell them by e-mail"), required=False, initial=True)


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
