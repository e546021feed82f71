"""The request forms: the public one (its fields follow the owner's questions), and deciding one
(the dashboard and the member area share them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.invite_requests.services import MAX_ANSWER, MAX_EMAIL, MAX_MESSAGE, MAX_NAME
from guestlist.invites.models import InviteTemplate
from guestlist.plex.models import MediaServer

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


class ApproveForm(forms.Form):
    template = forms.TypedChoiceField(label=_("Invite template"), coerce=int, empty_value=None, required=False)
    # Shown only with several servers connected; required unless the chosen template names
    # its servers (issue 20), which the approval then uses.
    servers = forms.ModelMultipleChoiceField(
        label=_("Servers"),
        queryset=MediaServer.objects.order_by("pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick several to give access to each of them with one invite."),
    )
    send_mail = forms.BooleanField(label=_("Send the invite by e-mail"), required=False, initial=True)

    def __init__(self, *args: Any, mail_ready: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if MediaServer.objects.count() < 2:
            del self.fields["servers"]
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        template_id = data.get("template")
        names_servers = template_id is not None and bool(
            InviteTemplate.objects.filter(pk=template_id).values_list("servers", flat=True).first()
        )
        if "servers" in self.fields and not data.get("servers") and not names_servers:
            self.add_error("servers", _("Choose the server (or servers) the invite shares."))
        return data

    def server_ids(self) -> list[int] | None:
        """The ticked servers' ids, or None when only one server is connected (the service takes it)."""
        if "servers" not in self.fields:
            return None
        return sorted(server.pk for server in self.cleaned_data.get("servers") or [])

    def problem(self) -> str:
        """One sentence for the message shown after the redirect."""
        if "servers" in self.errors:
            return str(self.errors["servers"][0])
        return str(_("Pick one of the templates."))


class DeclineForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the person (optional)"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_mail = forms.BooleanField(label=_("Tell them by e-mail"), required=False, initial=True)
