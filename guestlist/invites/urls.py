"""The public redemption pages (contract.md "Web pages")."""

from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from guestlist.invites import views

urlpatterns = [
    path("invite/", RedirectView.as_view(pattern_name="invite-join")),
    path("invite/<str:code>", views.invite_page, name="invite"),
    path("invite/<str:code>/plex", views.plex_start, name="invite-plex"),
    path("invite/<str:code>/plex/continue", views.plex_continue, name="invite-plex-continue"),
    path("invite/<str:code>/email", views.email_redeem, name="invite-email"),
    path("invite/<str:code>/local", views.local_redeem, name="invite-local"),
    path("invite/<str:code>/discord", views.discord_start, name="invite-discord"),
    path("discord/callback", views.discord_callback, name="discord-callback"),
    path("signup", views.signup_page, name="invite-signup"),
    path("join", views.join_page, name="invite-join"),
    path("welcome/<str:token>", views.welcome_page, name="invite-welcome"),
]
