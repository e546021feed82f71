"""Public pages that mails link to (contract.md "Notifications")."""

from __future__ import annotations

from django.urls import path

from guestlist.notifications import views

urlpatterns = [
    path("mail/opt-out/<str:token>", views.opt_out, name="mail-opt-out"),
    path("mail/reinvite/<str:token>", views.reinvite_request, name="mail-reinvite"),
]
