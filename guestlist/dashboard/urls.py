from __future__ import annotations

from django.urls import path

from guestlist.dashboard.views import (
    access,
    invite_templates,
    invites,
    member_allowances,
    members,
    notifications,
    overview,
    settings,
    setup,
)

urlpatterns = [
    path("", overview.overview, name="dashboard"),
    # Invites
    path("invites", invites.invite_list, name="invites"),
    path("invites/new", invites.invite_new, name="invite-new"),
    path("invites/created", invites.invites_created, name="invites-created"),
    path("invites/export.csv", invites.invite_export, name="invites-export"),
    path("invites/templates", invite_templates.template_list, name="invite-templates"),
    path("invites/templates/<int:template_id>", invite_templates.template_edit, name="invite-template-edit"),
    path("invites/templates/<int:template_id>/delete", invite_templates.template_delete, name="invite-template-delete"),
    path("invites/<int:invite_id>", invites.invite_detail, name="invite-detail"),
    path("invites/<int:invite_id>/edit", invites.invite_edit, name="invite-edit"),
    path("invites/<int:invite_id>/active", invites.invite_set_active, name="invite-set-active"),
    path("invites/<int:invite_id>/delete", invites.invite_delete, name="invite-delete"),
    path("invites/<int:invite_id>/send", notifications.invite_send, name="invite-send"),
    path("invites/<int:invite_id>/qr.<str:fmt>", invites.invite_qr, name="invite-qr"),
    # Members
    path("users", members.member_list, name="members"),
    path("users/bulk", members.member_bulk, name="members-bulk"),
    path("users/sync", members.member_sync, name="members-sync"),
    path("users/<int:member_id>", members.member_detail, name="member-detail"),
    path("users/<int:member_id>/expiry", members.member_expiry, name="member-expiry"),
    path("users/<int:member_id>/refresh", members.member_refresh, name="member-refresh"),
    path("users/<int:member_id>/remove", members.member_remove, name="member-remove"),
    path("users/<int:member_id>/reinvite", members.member_reinvite, name="member-reinvite"),
    path("users/<int:member_id>/permissions", member_allowances.member_permissions, name="member-permissions"),
    path("users/<int:member_id>/quota", member_allowances.member_quota, name="member-quota"),
    path("users/<int:member_id>/trial", member_allowances.member_trial, name="member-trial"),
    # Settings
    path("settings", settings.settings_home, name="settings"),
    path("settings/servers/<int:server_id>/check", settings.server_check, name="server-check"),
    path("settings/servers/<int:server_id>/libraries", settings.server_libraries, name="server-libraries"),
    path("settings/invites", settings.settings_invites, name="settings-invites"),
    path("settings/members", settings.settings_members, name="settings-members"),
    path("settings/welcome", settings.settings_welcome, name="settings-welcome"),
    path("settings/welcome/preview", settings.welcome_preview, name="settings-welcome-preview"),
    path("settings/notifications", notifications.notifications, name="settings-notifications"),
    path("settings/notifications/smtp", notifications.smtp, name="settings-notifications-smtp"),
    path("settings/notifications/smtp/test", notifications.smtp_test, name="settings-notifications-smtp-test"),
    path(
        "settings/notifications/<int:destination_id>", notifications.destination_edit, name="settings-destination-edit"
    ),
    path(
        "settings/notifications/<int:destination_id>/<str:action>",
        notifications.destination_action,
        name="settings-destination-action",
    ),
    path(
        "settings/notifications/deliveries/<int:delivery_id>/retry",
        notifications.delivery_retry,
        name="settings-delivery-retry",
    ),
    path("settings/api-keys", access.api_keys, name="settings-api-keys"),
    path("settings/api-keys/<int:key_id>/revoke", access.api_key_revoke, name="settings-api-key-revoke"),
    path("settings/admins", access.admins, name="settings-admins"),
    path("settings/admins/<int:user_id>/remove", access.admin_remove, name="settings-admin-remove"),
    path("settings/audit", access.audit_log, name="settings-audit"),
    # The setup wizard's Plex steps (the owner step is accounts' /setup)
    path("setup/plex", setup.setup_plex, name="setup-plex"),
    path("setup/plex/signin", setup.setup_plex_signin, name="setup-plex-signin"),
    path("setup/plex/servers", setup.setup_plex_servers, name="setup-plex-servers"),
    path("setup/defaults", setup.setup_defaults, name="setup-defaults"),
]
