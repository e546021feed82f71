"""The member area (contract.md "Web pages")."""

from __future__ import annotations

from django.urls import path

from guestlist.members import views

urlpatterns = [
    path("me/", views.home, name="me"),
    path("me/invites/new", views.invite_create, name="me-invite-new"),
    path("me/invites/<int:invite_id>/delete", views.invite_delete, name="me-invite-delete"),
    path("me/invites/<int:invite_id>/active", views.invite_set_active, name="me-invite-active"),
    path("me/invites/<int:invite_id>/send", views.invite_send, name="me-invite-send"),
    path("me/invites/<int:invite_id>/qr.svg", views.invite_qr, name="me-invite-qr"),
    path("me/trial/extension", views.extension_request, name="me-extension"),
    path("me/all-invites", views.all_invites, name="me-all-invites"),
    path("me/members", views.members_page, name="me-members"),
    path("me/requests", views.requests_page, name="me-requests"),
    path(
        "me/requests/<int:request_id>/<str:decision>",
        views.request_decide,
        name="me-request-decide",
    ),
    path("me/members/<int:member_id>/permissions", views.member_permissions, name="me-member-permissions"),
    path("me/members/<int:member_id>/quota", views.member_quota, name="me-member-quota"),
    path("me/members/<int:member_id>/trial", views.member_trial, name="me-member-trial"),
    path("me/members/<int:member_id>/expiry", views.member_expiry, name="me-member-expiry"),
]
