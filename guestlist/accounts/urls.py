from __future__ import annotations

from django.urls import path

from guestlist.accounts import views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("setup", views.setup_view, name="setup"),
]
