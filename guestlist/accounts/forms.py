from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class OwnerForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    confirm = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, confirm = data.get("password"), data.get("confirm")
        if password and confirm and password != confirm:
            self.add_error("confirm", _("The two passwords differ."))
        elif password:
            try:
                validate_password(password)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data
