"""Forms of the Security settings: password, factors and the owner's sign-in settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guestlist.accounts.models import SignInSettings


class PasswordChangeForm(forms.Form):
    current = forms.CharField(
        label=_("Current password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    confirm = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # Admins made by single sign-on have no password yet: they may set one.
            del self.fields["current"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "current" in self.fields and not self.user.check_password(data.get("current", "")):
            self.add_error("current", _("This is not your current password."))
        password, confirm = data.get("password"), data.get("confirm")
        if password and confirm and password != confirm:
            self.add_error("confirm", _("The two passwords differ."))
        elif password:
            try:
                validate_password(password, self.user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RequireSecondFactorForm(forms.Form):
    require_second_factor = forms.BooleanField(
        label=_("Require a second factor for every admin"),
        required=False,
        help_text=_("Admins without one are led to set one up at their next sign-in."),
    )


class SingleSignOnForm(forms.Form):
    oidc_enabled = forms.BooleanField(label=_("Offer single sign-on (OpenID Connect) to admins"), required=False)
    oidc_label = forms.CharField(label=_("Button label"), max_length=60)
    oidc_issuer = forms.CharField(
        label=_("Issuer URL"),
        max_length=500,
        required=False,
        help_text=_("e.g. https://auth.example.com/application/o/guestlist (discovery is read from it)"),
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
    oidc_client_id = forms.CharField(label=_("Client id"), max_length=255, required=False)
    oidc_client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the saved one."),
    )
    oidc_scopes = forms.CharField(
        label=_("Scopes"), max_length=255, help_text=_("Separated by spaces; openid is always asked for.")
    )
    oidc_admin_claim = forms.CharField(
        label=_("Claim that makes someone an admin"), max_length=100, required=False, help_text=_("e.g. groups")
    )
    oidc_admin_value = forms.CharField(
        label=_("Value of that claim"),
        max_length=255,
        required=False,
        help_text=_("e.g. guestlist-admins: only accounts with it become admins here."),
    )
    oidc_create_admins = forms.BooleanField(
        label=_("Create admins on their first sign-in"),
        required=False,
        help_text=_(
            "Off: only admins who already exist here (same verified e-mail) or were linked before may sign in."
        ),
    )

    @classmethod
    def initial_from(cls, row: SignInSettings) -> dict[str, Any]:
        return {name: getattr(row, name) for name in cls.base_fields if name != "oidc_client_secret"}

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}
