"""Content limits in forms: per kind of library a maximum rating and labels to allow or exclude,
offered from the server's real labels and ratings (``plex.content_options``); typed in when
those could not be read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guestlist.plex.content_limits import KINDS
from guestlist.plex.content_options import ContentOptions

KIND_TITLES = {"movies": _("Films"), "television": _("TV shows"), "music": _("Music")}
PARTS = ("max_rating", "labels", "exclude_labels")


def field_name(kind: str, part: str) -> str:
    return f"limit_{kind}_{part}"


def _split(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def add_limit_fields(form: forms.Form, options: ContentOptions | None, current: dict[str, Any] | None) -> None:
    """Adds the limit fields to ``form``, set to ``current`` (stored limits) unless bound."""
    current = current or {}
    for kind in KINDS:
        offered = options.kind(kind) if options is not None else None
        now = current.get(kind) or {}
        ratings = list(offered.ratings) if offered else []
        if now.get("max_rating") and now["max_rating"] not in ratings:
            ratings.append(now["max_rating"])
        name = field_name(kind, "max_rating")
        if ratings:
            form.fields[name] = forms.ChoiceField(
                label=_("Highest rating"),
                required=False,
                choices=[("", _("No limit")), *((rating, rating) for rating in ratings)],
            )
        elif kind != "music" or now.get("max_rating"):
            form.fields[name] = forms.CharField(
                label=_("Highest rating"),
                required=False,
                max_length=100,
                help_text=_("A content rating as Plex shows it, such as PG-13, TV-14 or de/12."),
            )
        form.initial.setdefault(name, now.get("max_rating") or "")
        labels = list(offered.labels) if offered else []
        for part, label in (("labels", _("Only items labelled")), ("exclude_labels", _("Never items labelled"))):
            name = field_name(kind, part)
            chosen = list(now.get(part) or [])
            choices = list(dict.fromkeys([*labels, *chosen]))
            if choices:
                form.fields[name] = forms.MultipleChoiceField(
                    label=label,
                    required=False,
                    choices=[(value, value) for value in choices],
                    widget=forms.CheckboxSelectMultiple,
                )
                form.initial.setdefault(name, chosen)
            else:
                form.fields[name] = forms.CharField(
                    label=label, required=False, max_length=2000, help_text=_("Labels separated by commas.")
                )
                form.initial.setdefault(name, ", ".join(chosen))


def limit_groups(form: forms.Form) -> list[tuple[str, list[forms.BoundField]]]:
    """The bound limit fields by kind, for the template."""
    groups = []
    for kind in KINDS:
        fields = [form[field_name(kind, part)] for part in PARTS if field_name(kind, part) in form.fields]
        if fields:
            groups.append((str(KIND_TITLES[kind]), fields))
    return groups


def limits_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The limits the form holds, as ``content_limits`` for the services."""
    found: dict[str, Any] = {}
    for kind in KINDS:
        entry = {
            "max_rating": str(cleaned.get(field_name(kind, "max_rating")) or "").strip() or None,
            "labels": _split(cleaned.get(field_name(kind, "labels"))),
            "exclude_labels": _split(cleaned.get(field_name(kind, "exclude_labels"))),
        }
        if entry["max_rating"] or entry["labels"] or entry["exclude_labels"]:
            found[kind] = entry
    return found
