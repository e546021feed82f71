"""Forms of the setup wizard and the settings pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.core.labels import ACCESS_END_CHOICES, ACTOR_KINDS
from guestlist.core.models import SiteSettings
from guestlist.dashboard.forms import set_choices
from guestlist.members.forms import PERMISSION_LABELS
from guestlist.members.site_settings import MAX_WELCOME_LENGTH
from guestlist.plex.models import Library, MediaServer

DAYS_HELP = _("In days. Leave empty for never.")


def server_url(value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("http://", "https://")):
        raise forms.ValidationError(
            _("The address must start with http:// or https://, e.g. http://192.168.1.10:32400")
        )
    return value


class ManualConnectForm(forms.Form):
    url = forms.CharField(
        label=_("Server address"),
        max_length=500,
        help_text=_("As Guestlist reaches it, e.g. http://192.168.1.10:32400"),
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    token = forms.CharField(
        label=_("Plex token"),
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("The server owner's X-Plex-Token. It is stored encrypted and never shown again."),
    )
    name = forms.CharField(label=_("Name (optional)"), required=False, max_length=200)

    def clean_url(self) -> str:
        return server_url(self.cleaned_data["url"])


class ServerChoiceForm(forms.Form):
    machine_identifier = forms.CharField(max_length=100, widget=forms.HiddenInput)
    url = forms.CharField(
        label=_("Use this address instead (optional)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Only if Guestlist cannot reach the server at the addresses Plex knows."),
    )

    def clean_url(self) -> str:
        return server_url(self.cleaned_data["url"])


class DefaultsForm(forms.Form):
    """Sign-up switches and what a one-click invite grants."""

    signup_enabled = forms.BooleanField(
        label=_("Enable sign up"),
        required=False,
        help_text=_("Invites can only be redeemed while this is on."),
    )
    email_redemption_enabled = forms.BooleanField(
        label=_("Allow redeeming with just an e-mail address"),
        required=False,
        help_text=_("Off: people must sign in with Plex to redeem."),
    )
    default_usage_limit = forms.IntegerField(
        label=_("Uses per invite"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("Leave empty for unlimited."),
    )
    default_expires_in_days = forms.IntegerField(
        label=_("Invites expire after"), required=False, min_value=1, max_value=36500, help_text=DAYS_HELP
    )
    default_user_expires_in_days = forms.IntegerField(
        label=_("Membership lasts"), required=False, min_value=1, max_value=36500, help_text=DAYS_HELP
    )
    default_allow_sync = forms.BooleanField(label=_("Downloads"), required=False)
    default_allow_channels = forms.BooleanField(label=_("Live TV"), required=False)
    default_allow_camera_upload = forms.BooleanField(label=_("Camera upload"), required=False)
    default_libraries = forms.MultipleChoiceField(
        label=_("Default libraries"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What invites share unless they name libraries."),
    )

    SITE_FIELDS = (
        "signup_enabled",
        "email_redemption_enabled",
        "default_usage_limit",
        "default_expires_in_days",
        "default_user_expires_in_days",
        "default_allow_sync",
        "default_allow_channels",
        "default_allow_camera_upload",
    )

    def __init__(self, *args: Any, servers: list[MediaServer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.servers = servers
        several = len(servers) > 1
        libraries = Library.objects.filter(server__in=servers, is_present=True).select_related("server")
        set_choices(
            self,
            "default_libraries",
            (
                (f"{lib.server_id}:{lib.key}", f"{lib.server.name} · {lib.title}" if several else lib.title)
                for lib in libraries
            ),
        )
        if not servers:
            del self.fields["default_libraries"]

    @classmethod
    def initial_from(cls, site: SiteSettings, servers: list[MediaServer]) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(site, name) for name in cls.SITE_FIELDS}
        initial["default_libraries"] = [
            f"{lib.server_id}:{lib.key}"
            for lib in Library.objects.filter(server__in=servers, is_present=True, is_default=True)
        ]
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "default_libraries" in self.fields:
            for server in self.servers:
                if not self.default_keys(server, data.get("default_libraries") or []):
                    self.add_error(
                        "default_libraries", _("Tick at least one library of %(server)s.") % {"server": server}
                    )
        return data

    @staticmethod
    def default_keys(server: MediaServer, values: list[str]) -> list[int]:
        keys = []
        for value in values:
            server_id, _sep, key = value.partition(":")
            if int(server_id) == server.pk:
                keys.append(int(key))
        return keys

    def site_changes(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.SITE_FIELDS}


class WelcomeForm(forms.Form):
    welcome_markdown = forms.CharField(
        label=_("Welcome page text"),
        required=False,
        max_length=MAX_WELCOME_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Shown to people after they joined. Markdown: **bold**, lists, links, headings."),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the key is for, e.g. “Home Assistant”."))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor_kind = forms.ChoiceField(label=_("Who"), required=False)
    search = forms.CharField(label=_("Search"), required=False, max_length=200)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        set_choices(self, "action", [("", _("Any action")), *actions])
        set_choices(self, "actor_kind", [("", _("Anyone")), *((k, str(v)) for k, v in ACTOR_KINDS.items())])


def suspension_libraries() -> list[Library]:
    return list(Library.objects.filter(is_present=True).order_by("server_id", "key"))


class MembersSettingsForm(forms.Form):
    """The members' model: local accounts, what new members may do, quotas and trials."""

    local_accounts_enabled = forms.BooleanField(
        label=_("Allow local accounts"),
        required=False,
        help_text=_(
            "Redeemers may create a username and password instead of signing in with Plex; the server is shared "
            "once they link a Plex account with the same e-mail."
        ),
    )
    keep_departed_members_invites = forms.BooleanField(
        label=_("Keep the invites of members who left"),
        required=False,
        help_text=_(
            "Off: when a member's access ends (removed or expired), the invites they made stop working. "
            "On: they keep bringing people in."
        ),
    )
    default_member_permissions = forms.MultipleChoiceField(
        label=_("New members may"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members in a trial get these when it ends with a promotion."),
    )
    default_quota_limit = forms.IntegerField(
        label=_("Invites per member"), required=False, min_value=0, max_value=1000, help_text=_("Empty: no quota.")
    )
    default_quota_days = forms.IntegerField(
        label=_("In how many days"), min_value=0, max_value=3650, help_text=_("0: over the member's whole membership.")
    )
    trial_enabled = forms.BooleanField(label=_("New members start with a trial"), required=False)
    trial_days = forms.IntegerField(label=_("Trial length in days"), min_value=1, max_value=365)
    trial_outcome = forms.ChoiceField(
        label=_("When a trial ends"),
        choices=(
            ("promote", _("Promote: they get the permissions above")),
            ("deactivate", _("Deactivate: their access ends (removed or suspended, as below)")),
        ),
    )
    access_end = forms.ChoiceField(
        label=_("When a member's access ends"),
        required=False,
        widget=forms.RadioSelect,
        choices=list(ACCESS_END_CHOICES.items()),
        help_text=_(
            "On expiry, when a trial ends with “deactivate”, or by hand. Suspended members keep their Plex share "
            "with only the library below, so renewing them gives their libraries back at once, with no new "
            "invitation to accept. Each member's page can choose otherwise."
        ),
    )
    suspend_library_key = forms.TypedChoiceField(
        label=_("Library suspended members keep"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("For example a small library called “Renew your access”. Needed for suspending."),
    )

    FIELDS = (
        "local_accounts_enabled",
        "keep_departed_members_invites",
        "default_member_permissions",
        "default_quota_limit",
        "default_quota_days",
        "trial_enabled",
        "trial_days",
        "trial_outcome",
        "access_end",
        "suspend_library_key",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "default_member_permissions", PERMISSION_LABELS.items())
        set_choices(
            self,
            "suspend_library_key",
            [("", _("None chosen")), *((str(library.key), library.title) for library in suspension_libraries())],
        )

    @classmethod
    def initial_from(cls, site: SiteSettings) -> dict[str, Any]:
        return {name: getattr(site, name) for name in cls.FIELDS}

    def site_changes(self) -> dict[str, object]:
        changes = {name: self.cleaned_data[name] for name in self.FIELDS}
        if not changes["access_end"]:
            # Nothing chosen (an older form, a script): what ending access does stays as it is.
            del changes["access_end"]
        return changes


class BackupSettingsForm(forms.Form):
    """The scheduled backup: on/off, when, how many to keep, where."""

    backup_enabled = forms.BooleanField(
        label=_("Back up every day"),
        required=False,
        help_text=_("The database and the secret key, as “guestlist backup” writes them."),
    )
    backup_time = forms.CharField(
        label=_("At"),
        max_length=5,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Local time of this install (TZ)."),
    )
    backup_keep = forms.IntegerField(
        label=_("Keep"), min_value=1, max_value=365, help_text=_("How many backups to keep; older ones are deleted.")
    )
    backup_dir = forms.CharField(
        label=_("Folder"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=_("An absolute path. Empty: the folder “backups” in the data directory."),
    )

    FIELDS = ("backup_enabled", "backup_time", "backup_keep", "backup_dir")

    @classmethod
    def initial_from(cls, site: SiteSettings) -> dict[str, Any]:
        return {name: getattr(site, name) for name in cls.FIELDS}

    def site_changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
