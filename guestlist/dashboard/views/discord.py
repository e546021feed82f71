"""Settings → Discord: the owner's Discord application, bot and server (Discord-gated invites)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guestlist.core.errors import ServiceError
from guestlist.core.labels import error_message
from guestlist.dashboard.forms.discord import DiscordSettingsForm
from guestlist.dashboard.views.common import actor, dashboard_view
from guestlist.discord import client, services
from guestlist.discord.models import DiscordSettings


@dashboard_view
@require_http_methods(["GET", "POST"])
def settings_discord(request: HttpRequest) -> HttpResponse:
    row = DiscordSettings.load()
    form = DiscordSettingsForm(request.POST or None, initial=DiscordSettingsForm.initial_from(row))
    roles: list[client.Role] | None = None
    problem = ""
    if request.method == "POST" and "check" in request.POST:
        # Reading the roles proves the bot token, the server id and the bot's place in it.
        try:
            roles = client.guild_roles()
        except ServiceError as exc:
            problem = error_message(exc)
    elif request.method == "POST" and form.is_valid():
        try:
            services.update_settings(form.changes(), actor=actor(request))
        except ServiceError as exc:
            form.add_error(None, error_message(exc))
        else:
            messages.success(request, _("Discord settings saved."))
            return redirect("settings-discord")
    return render(
        request,
        "dashboard/settings/discord.html",
        {
            "nav": "settings",
            "tab": "discord",
            "form": form,
            "discord": services.describe(row),
            "roles": roles,
            "problem": problem,
        },
    )
