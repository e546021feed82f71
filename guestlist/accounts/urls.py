from __future__ import annotations

from django.urls import path

from guestlist.accounts import factor_views, sso_views, views

urlpatterns = [
    path("login", views.login_view, name="login"),
    path("login/plex", views.plex_start, name="login-plex"),
    path("login/plex/continue", views.plex_continue, name="login-plex-continue"),
    path("login/second-factor", factor_views.second_factor, name="login-second-factor"),
    path("login/enrol", factor_views.enrol, name="login-enrol"),
    path("login/recovery-codes", factor_views.recovery_codes, name="login-recovery-codes"),
    path("login/enrol/passkey/options", factor_views.enrol_passkey_options, name="login-enrol-passkey-options"),
    path("login/enrol/passkey", factor_views.enrol_passkey, name="login-enrol-passkey"),
    path("login/passkey/options", factor_views.passkey_options, name="login-passkey-options"),
    path("login/passkey", factor_views.passkey_signin, name="login-passkey"),
    path("login/oidc", sso_views.oidc_start, name="login-oidc"),
    path("login/oidc/callback", sso_views.oidc_callback, name="login-oidc-callback"),
    path("logout", views.logout_view, name="logout"),
    path("setup", views.setup_view, name="setup"),
]
