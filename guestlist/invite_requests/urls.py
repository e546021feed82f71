"""The public request pages (contract.md "Invite requests")."""

from __future__ import annotations

from django.urls import path

from guestlist.invite_requests import views

urlpatterns = [
    path("request", views.request_page, name="invite-request"),
    path("request/received", views.received_page, name="invite-request-received"),
    path("request/status/<str:token>", views.status_page, name="invite-request-status"),
]
