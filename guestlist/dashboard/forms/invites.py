"""Invite forms: create (basic and advanced), edit, templates and the list's filters.

The forms only turn what was typed into the dict ``invites.services`` expects; the services
decide what is allowed. A month is 30 days everywhere (``lib/dates.py``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from guestlist.core.durations import EXPIRY_UNITS, MEMBERSHIP_UNITS, NEVER, as_amount_and_unit, in_days
from guestlist.core.errors import ServiceError
from guestlist.dashboard.forms import server_time_help, set_choices
from guestlist.dashboard.forms.limits import add_limit_fields, limit_groups, limits_data
from guestlist.discord import client as discord_client
from guestlist.discord.models import DiscordSettings
from guestlist.invites.bulk import MAX_BULK
from guestlist.invites.models import StepSet
from guestlist.invites.services import MAX_DAYS, MAX_USAGE_LIMIT
from guestlist.plex import content_options, libraries
from guestlist.plex.libraries import ALL, DEFAULT
from guestlist.plex.models import Library, MediaServer

DISCORD_GATES = [
    ("", _("No")),
    ("sign_in", _("Sign in with Discord")),
    ("member", _("Sign in with Discord and be a member of my Discord server")),
]
# The server's roles change rarely; a form shown many times in a row asks Discord once.
ROLES_CACHE_SECONDS = 60


def discord_role_choices(row: DiscordSettings, chosen: list[str]) -> tuple[list[tuple[str, str]], bool]:
    """The owner's Discord server's roles (read with the bot, cached a minute), and whether
    Discord answered; ids already chosen stay pickable when it did not."""
    key = f"discord-roles:{row.guild_id}"
    roles = cache.get(key)
    answered = True
    if roles is None:
        try:
            roles = [(role.id, role.name) for role in discord_client.guild_roles()]
            cache.set(key, roles, ROLES_CACHE_SECONDS)
        except ServiceError:
            roles, answered = [], False
    known = {role_id for role_id, _name in roles}
    return [*roles, *((role_id, role_id) for role_id in chosen if role_id not in known)], answered


LIBRARY_MODES = [
    (DEFAULT, _("The server's default libraries")),
    (ALL, _("All libraries")),
    ("specific", _("Only these libraries")),
]


def library_choices(servers: list[MediaServer]) -> list[tuple[str, str]]:
    several = len(servers) > 1
    libraries = Library.objects.filter(server__in=servers, is_present=True).select_related("server")
    return [
        (f"{library.server_id}:{library.key}", f"{library.server.name} · {library.title}" if several else library.title)
        for library in libraries
    ]


class InviteSettingsForm(forms.Form):
    """What an invite grants; shared by the create, edit and template forms."""

    usage_limit = forms.IntegerField(
        label=_("Usage limit"),
        required=False,
        min_value=1,
        max_value=MAX_USAGE_LIMIT,
        help_text=_("How many people can join with it. Leave empty for unlimited."),
    )
    membership_amount = forms.IntegerField(label=_("Membership lasts"), required=False, min_value=1, max_value=MAX_DAYS)
    membership_unit = forms.ChoiceField(label=_("Unit"), choices=MEMBERSHIP_UNITS, initial=NEVER)
    libraries_mode = forms.ChoiceField(
        label=_("Libraries"), choices=LIBRARY_MODES, initial=DEFAULT, widget=forms.RadioSelect
    )
    libraries = forms.MultipleChoiceField(
        label=_("Libraries to share"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used when “Only these libraries” is chosen."),
    )
    allow_sync = forms.BooleanField(label=_("Downloads"), required=False)
    allow_channels = forms.BooleanField(label=_("Live TV"), required=False)
    allow_camera_upload = forms.BooleanField(label=_("Camera upload"), required=False)
    plex_home = forms.BooleanField(
        label=_("Plex Home"),
        required=False,
        help_text=_("Adds them to your Plex Home instead of as a friend (needs Plex Pass)."),
    )
    description = forms.CharField(label=_("Description"), required=False, max_length=500)
    step_set = forms.ChoiceField(
        label=_("Steps"),
        required=False,
        help_text=_("What friends go through before and after joining (Settings → Onboarding steps)."),
    )
    discord_gate = forms.ChoiceField(
        label=_("Ask for Discord"), choices=DISCORD_GATES, required=False, widget=forms.RadioSelect
    )
    discord_role_ids = forms.MultipleChoiceField(
        label=_("…and hold one of these roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any member of your Discord server may join."),
    )

    def __init__(self, *args: Any, servers: list[MediaServer] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.servers = servers if servers is not None else list(MediaServer.objects.all())
        set_choices(self, "libraries", library_choices(self.servers))
        named = [(str(s.pk), s.name) for s in StepSet.objects.filter(is_default=False).order_by("name")]
        set_choices(self, "step_set", [("", _("The default steps")), *named])
        # The server's real labels and ratings (a PMS read, kept for minutes); with several
        # servers the limits are typed, since they apply to whichever server is chosen.
        options = content_options.read(self.servers[0]) if len(self.servers) == 1 else None
        self.content_error = options.error if options is not None else ""
        add_limit_fields(self, options, self.initial.get("content_limits"))
        self._discord_fields()

    @property
    def limit_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return limit_groups(self)

    def _discord_fields(self) -> None:
        """Shown only once Discord is connected (Settings → Discord); roles only with the bot."""
        row = DiscordSettings.load()
        self.discord_enabled = row.sign_in_ready
        self.discord_roles_answered = True
        if not row.sign_in_ready:
            del self.fields["discord_gate"], self.fields["discord_role_ids"]
            return
        if not row.ready:
            set_choices(self, "discord_gate", DISCORD_GATES[:2])
            del self.fields["discord_role_ids"]
            return
        chosen = [str(role) for role in (self.initial.get("discord_role_ids") or [])]
        choices, self.discord_roles_answered = discord_role_choices(row, chosen)
        set_choices(self, "discord_role_ids", choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("membership_unit") != NEVER and not data.get("membership_amount"):
            self.add_error("membership_amount", _("Say how long, or choose “forever”."))
        if data.get("libraries_mode") == "specific" and not data.get("libraries"):
            self.add_error("libraries", _("Tick at least one library."))
        return data

    def chosen_server(self) -> MediaServer | None:
        return self.servers[0] if len(self.servers) == 1 else None

    def _library_selection(self) -> str | list[int]:
        return self._library_selection_on(self.chosen_server())

    def _library_selection_on(self, server: MediaServer | None) -> str | list[int]:
        mode = self.cleaned_data["libraries_mode"]
        if mode != "specific":
            return str(mode)
        keys = []
        for value in self.cleaned_data["libraries"]:
            server_id, _sep, key = value.partition(":")
            if server is None or int(server_id) == server.pk:
                keys.append(int(key))
        return keys

    def _days(self, amount_field: str, unit_field: str) -> int | None:
        unit = self.cleaned_data[unit_field]
        if unit == NEVER:
            return None
        return in_days(int(self.cleaned_data[amount_field]), unit)

    def invite_settings(self) -> dict[str, Any]:
        """Every setting explicitly: advanced mode never silently takes a default."""
        data = self.cleaned_data
        return {
            "usage_limit": data["usage_limit"],
            "user_expires_in_days": self._days("membership_amount", "membership_unit"),
            "allow_sync": data["allow_sync"],
            "allow_channels": data["allow_channels"],
            "allow_camera_upload": data["allow_camera_upload"],
            "plex_home": data["plex_home"],
            "libraries": self._library_selection(),
            "content_limits": limits_data(data),
            "description": data["description"],
            "step_set_id": int(data["step_set"]) if data.get("step_set") else None,
            **self._discord_settings(),
        }

    def _discord_settings(self) -> dict[str, Any]:
        if not self.discord_enabled:
            return {}  # the fields were not shown: an invite keeps what it had
        gate = self.cleaned_data.get("discord_gate") or ""
        roles = list(self.cleaned_data.get("discord_role_ids") or []) if gate == "member" else []
        return {"discord_gate": gate, "discord_role_ids": roles}

    @staticmethod
    def initial_for(settings: dict[str, Any], server_ids: list[int]) -> dict[str, Any]:
        """Form values showing stored settings (an invite, a template or the defaults).

        With ``servers`` in ``settings`` (``[{"server_id", "libraries"}, ...]`` as the services
        take them), the server boxes and each server's libraries are ticked."""
        amount, unit = as_amount_and_unit(settings.get("user_expires_in_days"))
        named = [
            (int(entry["server_id"]), _stored_selection(entry.get("libraries")))
            for entry in settings.get("servers") or []
        ]
        if named:
            mode, ticks = _several_servers_selection(named)
            initial_servers = [server_id for server_id, _stored in named]
        else:
            selection = str(settings.get("libraries") or DEFAULT)
            mode, chosen = (selection, []) if selection in (ALL, DEFAULT) else ("specific", selection.split(","))
            ticks = [f"{server_id}:{key}" for server_id in server_ids for key in chosen]
            initial_servers = []
        return {
            "server": initial_servers,
            "usage_limit": settings.get("usage_limit"),
            "membership_amount": amount,
            "membership_unit": unit,
            "libraries_mode": mode,
            "libraries": ticks,
            **{name: settings.get(name, False) for name in ("allow_sync", "allow_channels", "allow_camera_upload")},
            "plex_home": settings.get("plex_home", False),
            "content_limits": settings.get("content_limits") or {},
            "description": settings.get("description", ""),
            "step_set": str(settings.get("step_set_id") or ""),
            "discord_gate": settings.get("discord_gate", ""),
            "discord_role_ids": list(settings.get("discord_role_ids") or []),
        }


def _stored_selection(value: object) -> str:
    if isinstance(value, list):
        return ",".join(str(key) for key in value)
    return str(value or DEFAULT)


def _several_servers_selection(named: list[tuple[int, str]]) -> tuple[str, list[str]]:
    """One libraries mode for servers whose stored selections may differ: their common mode,
    else "specific" with each server's libraries ticked (all, or its default ones, spelt out)."""
    modes = {stored if stored in (ALL, DEFAULT) else "specific" for _server_id, stored in named}
    if len(modes) == 1 and modes != {"specific"}:
        return modes.pop(), []
    ticks: list[str] = []
    for server_id, stored in named:
        keys = libraries.keys_of(stored, server_id) if stored in (ALL, DEFAULT) else stored.split(",")
        ticks.extend(f"{server_id}:{key}" for key in keys)
    return "specific", ticks


class ServersForm(InviteSettingsForm):
    """The server boxes, shown while several servers are connected (issue 20 §3): an
    invite (or template) for one or more of them, each with the libraries ticked for it."""

    server = forms.ModelMultipleChoiceField(
        label=_("Servers"),
        queryset=MediaServer.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick several to give access to each of them with one invite."),
    )
    # A template may name no server (its libraries then apply to whichever server is used).
    servers_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(self.servers) < 2:
            del self.fields["server"]

    def chosen_servers(self) -> list[MediaServer]:
        if "server" in self.fields:
            return sorted(self.cleaned_data.get("server") or [], key=lambda server: server.pk)
        return self.servers[:1]

    def chosen_server(self) -> MediaServer | None:
        chosen = self.chosen_servers()
        return chosen[0] if len(chosen) == 1 else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "server" in self.fields and not data.get("server"):
            if self.servers_required:
                self.add_error("server", _("Choose the server to invite people to."))
        elif "server" in self.fields and data.get("libraries_mode") == "specific":
            ticked = {value.partition(":")[0] for value in data.get("libraries") or []}
            for server in data["server"]:
                if str(server.pk) not in ticked:
                    self.add_error("libraries", _("Tick at least one library of %(server)s.") % {"server": server.name})
        return data

    def servers_data(self) -> list[dict[str, Any]] | None:
        """The ``servers`` field for the services, or None when no server boxes were shown."""
        if "server" not in self.fields:
            return None
        return [
            {"server_id": server.pk, "libraries": self._library_selection_on(server)}
            for server in self.chosen_servers()
        ]


class ExpiryAmountMixin(forms.Form):
    expires_amount = forms.IntegerField(
        label=_("Invite expires after"), required=False, min_value=1, max_value=MAX_DAYS
    )
    expires_unit = forms.ChoiceField(label=_("Unit"), choices=EXPIRY_UNITS, initial=NEVER)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("expires_unit") != NEVER and not data.get("expires_amount"):
            self.add_error("expires_amount", _("Say when, or choose “never”."))
        return data


class InviteCreateForm(ExpiryAmountMixin, ServersForm):
    # With several servers connected: one or more of them ("4K + HD"), all in one invite.
    code = forms.CharField(
        label=_("Custom code"),
        required=False,
        max_length=32,
        help_text=_("8 to 32 letters, digits, - or _. Leave empty for a random code."),
    )
    count = forms.IntegerField(
        label=_("How many invites"),
        min_value=1,
        max_value=MAX_BULK,
        initial=1,
        help_text=_("More than one creates a batch with the same settings; you can download their links as CSV."),
    )
    save_as_template = forms.CharField(
        label=_("Save these settings as a template named"), required=False, max_length=100
    )

    field_order = ["server", "usage_limit", "expires_amount", "expires_unit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("count") or 1) > 1 and data.get("code"):
            self.add_error("code", _("A custom code fits one invite only; leave it empty to create several."))
        return data

    def invite_data(self) -> dict[str, Any]:
        data = self.invite_settings()
        amount, unit = self.cleaned_data["expires_amount"], self.cleaned_data["expires_unit"]
        if unit == NEVER:
            data["expires_in_days"] = None
        else:
            data["expires_in_days"] = in_days(int(amount), unit)
        if self.cleaned_data.get("code"):
            data["code"] = self.cleaned_data["code"]
        chosen = self.chosen_servers()
        if len(chosen) > 1:
            data["servers"] = self.servers_data()
            del data["libraries"]
        elif chosen and "server" in self.fields:
            data["server_id"] = chosen[0].pk
        return data

    def template_settings(self) -> dict[str, Any]:
        data = self.invite_settings()
        if len(self.chosen_servers()) > 1:
            # The template keeps every server with its libraries (issue 20).
            data["servers"] = self.servers_data()
            del data["libraries"]
        data["expires_in_days"] = self._days("expires_amount", "expires_unit")
        return data


class InviteTemplateForm(ExpiryAmountMixin, ServersForm):
    name = forms.CharField(label=_("Template name"), max_length=100)

    field_order = ["name", "server", "usage_limit", "expires_amount", "expires_unit"]
    servers_required = False

    def template_settings(self) -> dict[str, Any]:
        data = self.invite_settings()
        # Several servers ticked: the template names them, each with its libraries; none or
        # one: it names no server, and its libraries apply to whichever server is used.
        chosen = self.chosen_servers()
        data["servers"] = self.servers_data() if len(chosen) > 1 else []
        if len(chosen) > 1:
            del data["libraries"]
        elif len(chosen) == 1 and "server" in self.fields:
            data["libraries"] = self._library_selection_on(chosen[0])
        data["expires_in_days"] = self._days("expires_amount", "expires_unit")
        return data


class InviteEditForm(ServersForm):
    expires_at = forms.DateTimeField(
        label=_("Expires at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to never expire. An invite past this moment cannot be used."),
    )

    field_order = ["server", "usage_limit", "expires_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].help_text = f"{self.fields['expires_at'].help_text} {server_time_help()}"

    def changes(self) -> dict[str, Any]:
        data = self.invite_settings()
        data["expires_at"] = self.cleaned_data["expires_at"]
        servers = self.servers_data()
        if servers is not None:
            # Every server with its libraries (issue 20): ticking one off drops it from the invite.
            data["servers"] = servers
            del data["libraries"]
        return data


class InviteFilterForm(forms.Form):
    status = forms.ChoiceField(required=False)
    search = forms.CharField(label=_("Search"), required=False, max_length=200)
    created_by = forms.ChoiceField(label=_("Created by"), required=False)
    created_after = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, statuses: list[str], creators: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        set_choices(self, "status", [(name, name) for name in statuses])
        set_choices(self, "created_by", [("", _("Anyone")), *((name, name) for name in creators)])
