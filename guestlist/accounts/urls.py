from __future__ import annotations

from django.urls import path

from guestlist.accounts import views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("login/plex", views.plex_start, name="login-plex"),
    path("login/plex/continue", views.plex_continue, name="login-plex-continue"),
    path("logout", views.logout_view, name="logout"),
    path("setup", views.setup_view, name="setup"),
]
