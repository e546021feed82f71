"""The onboarding steps editor's forms (Settings → Onboarding steps)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.invites import onboarding
from guestlist.invites.models import Step

BUTTON_ROWS = onboarding.MAX_BUTTONS
GROUP_CHOICES = [
    (Step.Group.BEFORE, _("Before joining (on the invite page, before signing in)")),
    (Step.Group.AFTER, _("After joining (once the share is made)")),
]
KIND_CHOICES = [
    ("", _("No button")),
    (onboarding.PLEX_WEB, _("Open Plex in the browser")),
    (onboarding.PLEX_IOS, _("Plex for iPhone and iPad")),
    (onboarding.PLEX_ANDROID, _("Plex for Android")),
    (onboarding.PLEX_TV, _("Link a TV (plex.tv/link)")),
    (onboarding.LINK, _("A link of yours (requests, Discord, donations…)")),
]


class StepSetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class NewStepForm(forms.Form):
    group = forms.ChoiceField(choices=GROUP_CHOICES, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title of the new step"), max_length=onboarding.MAX_TITLE)


class StepForm(forms.Form):
    group = forms.ChoiceField(label=_("Shown"), choices=GROUP_CHOICES, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Title"), max_length=onboarding.MAX_TITLE)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=onboarding.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Markdown. These words are replaced for each friend: {name}, {server}, {expires}, {libraries}, "
            "{description}."
        ),
    )
    requires_acceptance = forms.BooleanField(
        label=_("The friend must tick a box to go on (e.g. “I accept the house rules”)"), required=False
    )
    acceptance_label = forms.CharField(
        label=_("Text next to the tick box"),
        required=False,
        max_length=onboarding.MAX_TITLE,
        help_text=_("Leave empty for “I have read this and I agree”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, BUTTON_ROWS + 1):
            self.fields[f"button_kind_{row}"] = forms.ChoiceField(
                label=_("Button %(row)s") % {"row": row}, choices=KIND_CHOICES, required=False
            )
            self.fields[f"button_label_{row}"] = forms.CharField(
                label=_("Label"), required=False, max_length=onboarding.MAX_LABEL
            )
            self.fields[f"button_url_{row}"] = forms.CharField(
                label=_("Address (for a link of yours)"), required=False, max_length=onboarding.MAX_URL
            )

    def button_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"button_kind_{row}"], self[f"button_label_{row}"], self[f"button_url_{row}"])
            for row in range(1, BUTTON_ROWS + 1)
        ]

    def buttons(self, source: dict[str, Any] | None = None) -> list[dict[str, str]]:
        data = source if source is not None else self.cleaned_data
        rows = []
        for row in range(1, BUTTON_ROWS + 1):
            kind = str(data.get(f"button_kind_{row}") or "")
            if kind:
                rows.append(
                    {
                        "kind": kind,
                        "label": str(data.get(f"button_label_{row}") or ""),
                        "url": str(data.get(f"button_url_{row}") or ""),
                    }
                )
        return rows

    def step_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "group": data["group"],
            "title": data["title"],
            "body": data["body"],
            "requires_acceptance": data["requires_acceptance"],
            "acceptance_label": data["acceptance_label"],
            "buttons": self.buttons(),
        }

    def preview_data(self) -> dict[str, Any]:
        """The unsaved fields as typed, for the preview (nothing is checked or written)."""
        raw = {key: self.data.get(key, "") for key in self.fields}
        return {
            "title": raw["title"],
            "body": raw["body"],
            "requires_acceptance": bool(raw["requires_acceptance"]),
            "acceptance_label": raw["acceptance_label"],
            "buttons": self.buttons(raw),
        }

    @staticmethod
    def initial_for(step: Step) -> dict[str, Any]:
        title, body = onboarding.shipped_text(step)
        initial: dict[str, Any] = {
            "group": step.group,
            "title": title,
            "body": body,
            "requires_acceptance": step.requires_acceptance,
            "acceptance_label": step.acceptance_label,
        }
        for row, button in enumerate(step.buttons or [], start=1):
            initial.update(
                {
                    f"button_kind_{row}": button.get("kind", ""),
                    f"button_label_{row}": button.get("label", ""),
                    f"button_url_{row}": button.get("url", ""),
                }
            )
        return initial
