"""Forms of Settings → Notifications and of "Send by e-mail"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from guestlist.dashboard.forms import set_choices
from guestlist.notifications.events import EVENT_TYPES
from guestlist.notifications.models import Destination, MailServer

LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


def event_choices() -> list[tuple[str, str]]:
    from guestlist.core.labels import EVENT_LABELS

    return [(event, str(EVENT_LABELS.get(event, event))) for event in EVENT_TYPES]


class SmtpForm(forms.Form):
    host = forms.CharField(label=_("SMTP server"), max_length=255, required=False)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(
        label=_("Security"),
        choices=[("starttls", _("STARTTLS")), ("tls", _("TLS")), ("none", _("None"))],
    )
    username = forms.CharField(label=_("User name"), max_length=255, required=False)
    password = forms.CharField(
        label=_("Password"),
        max_length=1000,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the stored one."),
    )
    from_address = forms.EmailField(label=_("From address"), required=False)
    send_welcome = forms.BooleanField(label=_("Welcome mail when a member's share is confirmed"), required=False)
    send_reminders = forms.BooleanField(label=_("Reminder before a member's access ends"), required=False)
    send_ended = forms.BooleanField(label=_("Mail when a member's access has ended"), required=False)
    allow_reinvite_requests = forms.BooleanField(label=_("…with a link to ask for a new invite"), required=False)

    @classmethod
    def for_server(cls, server: MailServer, data: Any = None) -> SmtpForm:
        initial = {
            name: getattr(server, name)
            for name in (
                "host",
                "port",
                "security",
                "username",
                "from_address",
                "send_welcome",
                "send_reminders",
                "send_ended",
                "allow_reinvite_requests",
            )
        }
        return cls(data, initial=initial)


class TestMailForm(forms.Form):
    email = forms.EmailField(label=_("Send a test mail to"))


class DestinationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Destination.Kind.APPRISE, _("Apprise (Discord, Telegram, ntfy, Gotify, Pushover, Slack, Matrix…)")),
            (Destination.Kind.WEBHOOK, _("Webhook (signed JSON)")),
            (Destination.Kind.EMAIL, _("E-mail")),
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Apprise URL or webhook URL"),
        max_length=2000,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Apprise: e.g. discord://webhook_id/token or ntfys://topic (stored encrypted). Webhook: https://…"),
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    language = forms.ChoiceField(label=_("Language of the messages"), choices=LANGUAGE_CHOICES)
    events = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "events", event_choices())
        if editing:
            del self.fields["kind"]
            self.fields["url"].help_text = _("Leave empty to keep the stored one.")
        if not self.is_bound and "events" not in self.initial:
            self.initial["events"] = list(EVENT_TYPES)


class SendInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    message = forms.CharField(
        label=_("Message (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(label=_("Language of the mail"), choices=LANGUAGE_CHOICES)
