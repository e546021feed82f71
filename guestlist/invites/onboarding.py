"""The steps a friend walks through: step sets, their steps, and Guestlist's shipped ones.

A set holds two ordered groups: **before** joining (on the invite page, before sign-in) and
**after** joining (the welcome page, ``/me/start`` and the signed "getting started" link).
Exactly one set is the default; invites and templates without a set use it, and deleting a
named set moves its invites back to it (``on_delete=SET_NULL``). The default set cannot be
deleted, only reset.

Shipped steps (``SHIPPED``) keep their words in the translation catalogue, so a friend reads
them in their own language, until the owner edits one: from then on it is the owner's text.
What friends see is built in ``invites/guide.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, NotFound
from guestlist.invites.models import Step, StepSet

MAX_STEPS_PER_GROUP = 20
MAX_BUTTONS = 4
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_LABEL = 60
MAX_URL = 500
GROUPS = (Step.Group.BEFORE, Step.Group.AFTER)
STEP_FIELDS = frozenset({"group", "title", "body", "requires_acceptance", "acceptance_label", "buttons"})

PLEX_WEB, PLEX_IOS, PLEX_ANDROID, PLEX_TV, LINK = "plex_web", "plex_ios", "plex_android", "plex_tv", "link"


@dataclass(frozen=True)
class ButtonKind:
    url: str  # empty for LINK: the owner gives it
    label: str | Promise


BUTTON_KINDS: dict[str, ButtonKind] = {
    PLEX_WEB: ButtonKind("https://app.plex.tv/desktop", _("Open Plex in your browser")),
    PLEX_IOS: ButtonKind("https://apps.apple.com/app/plex/id383457673", _("Plex for iPhone and iPad")),
    PLEX_ANDROID: ButtonKind(
        "https://play.google.com/store/apps/details?id=com.plexapp.android", _("Plex for Android")
    ),
    PLEX_TV: ButtonKind("https://plex.tv/link", _("Link a TV at plex.tv/link")),
    LINK: ButtonKind("", _("Open")),
}


@dataclass(frozen=True)
class ShippedStep:
    title: str | Promise
    body: str | Promise
    buttons: tuple[str, ...]


# The words use the step variables ({server}, {libraries}, {expires}, ...; guide.VARIABLES).
SHIPPED: dict[str, ShippedStep] = {
    "open_plex": ShippedStep(
        _("Open Plex on your TV, phone or computer"),
        _(
            "Sign in everywhere with the Plex account you joined with: {server} is already in it.\n\n"
            "- **In a web browser:** open app.plex.tv and sign in.\n"
            "- **iPhone, iPad and Android:** install Plex from the App Store or Google Play.\n"
            "- **TVs and streaming boxes** (Apple TV, Android TV, Fire TV, Roku, smart TVs, game consoles): "
            "install Plex from the device's app store, choose “Sign in”, and enter the code the TV shows "
            "at plex.tv/link on your phone or computer."
        ),
        (PLEX_WEB, PLEX_IOS, PLEX_ANDROID, PLEX_TV),
    ),
    "find_libraries": ShippedStep(
        _("Find what {server} shares with you"),
        _(
            "Shared libraries sit next to your own. In the Plex apps, open the menu (☰ or “More”) and look "
            "for **{server}**; in the browser, its libraries are in the side bar.\n\n"
            "Shared with you: **{libraries}**.\n\n"
            "Nothing there? Check that you signed in with the same Plex account, then refresh or restart the app."
        ),
        (PLEX_WEB,),
    ),
    "access_ends": ShippedStep(
        _("When your access ends"),
        _(
            "You have access **{expires}**.\n\n"
            "When it ends, {server} simply disappears from your Plex apps. Nothing of yours is deleted and your "
            "Plex account stays as it is. Want to keep watching? Ask the person who invited you."
        ),
        (),
    ),
}
# Order of the shipped after-joining steps (the migration seeds the same list).
SHIPPED_ORDER = ("open_plex", "find_libraries", "access_ends")

# Every write here bumps this hook; guide.py clears its per-process copy of the sets.
_changed_hooks: list[Any] = []


def on_change(hook: Any) -> None:
    _changed_hooks.append(hook)


def _changed() -> None:
    for hook in _changed_hooks:
        hook()


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": field, "message": message}])


# --- reading -----------------------------------------------------------------------------


def default_set() -> StepSet:
    found = StepSet.objects.filter(is_default=True).first()
    if found is None:
        # Only a database edited by hand has no default; make one rather than fail a page.
        found, _created = StepSet.objects.get_or_create(name="Default", defaults={"is_default": True})
        if not found.is_default:
            StepSet.objects.filter(pk=found.pk).update(is_default=True)
            found.is_default = True
    return found


def get_set(set_id: int) -> StepSet:
    found = StepSet.objects.filter(pk=set_id).first()
    if found is None:
        raise NotFound(f"There is no step set with id {set_id}.")
    return found


def get_step(step_id: int) -> Step:
    found = Step.objects.select_related("step_set").filter(pk=step_id).first()
    if found is None:
        raise NotFound(f"There is no step with id {step_id}.")
    return found


def list_sets() -> list[StepSet]:
    return list(StepSet.objects.all())


def steps_of(step_set: StepSet, group: str | None = None) -> list[Step]:
    steps = Step.objects.filter(step_set=step_set)
    if group is not None:
        steps = steps.filter(group=group)
    return list(steps.order_by("group", "position", "id"))


def pick_set(value: object, field: str = "step_set_id") -> StepSet | None:
    """An invite's or template's ``step_set_id``: None is the default set."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, f"{field} must be the id of a step set, or null.")
    found = StepSet.objects.filter(pk=value).first()
    if found is None:
        raise _invalid(field, f"There is no step set with id {value}.")
    return found


def shipped_text(step: Step) -> tuple[str, str]:
    """The step's title and body in the active language (the owner's words once edited)."""
    shipped = SHIPPED.get(step.shipped)
    if shipped is not None and not step.title and not step.body:
        return str(shipped.title), str(shipped.body)
    return step.title, step.body


def button_label(button: Mapping[str, Any]) -> str:
    kind = BUTTON_KINDS.get(str(button.get("kind", "")), BUTTON_KINDS[LINK])
    return str(button.get("label") or "") or str(kind.label)


def button_url(button: Mapping[str, Any]) -> str:
    kind = BUTTON_KINDS.get(str(button.get("kind", "")), BUTTON_KINDS[LINK])
    return kind.url or str(button.get("url") or "")


def step_as_api(step: Step) -> dict[str, Any]:
    title, body = shipped_text(step)
    return {
        "id": step.pk,
        "set_id": step.step_set_id,
        "group": step.group,
        "position": step.position,
        "title": title,
        "body": body,
        "shipped": step.shipped or None,
        "requires_acceptance": step.requires_acceptance,
        "acceptance_label": step.acceptance_label,
        "buttons": [{"kind": b["kind"], "label": b.get("label", ""), "url": button_url(b)} for b in step.buttons or []],
    }


def set_as_api(step_set: StepSet, steps: Sequence[Step] | None = None) -> dict[str, Any]:
    steps = steps_of(step_set) if steps is None else steps
    return {
        "id": step_set.pk,
        "name": step_set.name,
        "is_default": step_set.is_default,
        "updated_at": step_set.updated_at,
        "before": [step_as_api(s) for s in steps if s.group == Step.Group.BEFORE],
        "after": [step_as_api(s) for s in steps if s.group == Step.Group.AFTER],
    }


# --- checking what the owner sends -------------------------------------------------------


def _text(data: Mapping[str, Any], field: str, high: int) -> str:
    value = data.get(field) or ""
    if not isinstance(value, str) or len(value) > high:
        raise _invalid(field, f"{field} must be text of at most {high} characters.")
    return value.strip() if field != "body" else value.replace("\r\n", "\n").strip()


def clean_buttons(value: object) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_BUTTONS:
        raise _invalid("buttons", f"buttons must be a list of at most {MAX_BUTTONS} buttons.")
    cleaned = []
    for number, button in enumerate(value, start=1):
        if not isinstance(button, Mapping):
            raise _invalid("buttons", f"Button {number} must be an object with kind, label and url.")
        kind = button.get("kind")
        if kind not in BUTTON_KINDS:
            raise _invalid("buttons", f"Button {number}: kind must be one of {', '.join(BUTTON_KINDS)}.")
        label = button.get("label") or ""
        if not isinstance(label, str) or len(label.strip()) > MAX_LABEL:
            raise _invalid("buttons", f"Button {number}: the label must be text of at most {MAX_LABEL} characters.")
        url = ""
        if kind == LINK:
            url = str(button.get("url") or "").strip()
            parts = urlsplit(url)
            if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
                raise _invalid("buttons", f"Button {number}: a link needs an http:// or https:// address.")
            if not label.strip():
                raise _invalid("buttons", f"Button {number}: a link needs a label.")
        cleaned.append({"kind": str(kind), "label": label.strip(), "url": url})
    return cleaned


def _apply(step: Step, data: Mapping[str, Any], *, creating: bool) -> None:
    unknown = set(data) - STEP_FIELDS
    if unknown:
        raise Invalid(f"Unknown step fields: {', '.join(sorted(unknown))}.")
    if "group" in data or creating:
        if data.get("group") not in GROUPS:
            raise _invalid("group", 'group must be "before" or "after".')
        step.group = str(data["group"])
    if "title" in data or "body" in data:
        title = _text(data, "title", MAX_TITLE) if "title" in data else shipped_text(step)[0]
        body = _text(data, "body", MAX_BODY) if "body" in data else shipped_text(step)[1]
        shipped = SHIPPED.get(step.shipped)
        if shipped is not None and (title, body) == (str(shipped.title), str(shipped.body).strip()):
            # Saved unchanged: it stays Guestlist's step, in every friend's language.
            step.title, step.body = "", ""
        else:
            step.title, step.body, step.shipped = title, body, ""
    if not (step.title or step.shipped):
        raise _invalid("title", "A step needs a title.")
    if "requires_acceptance" in data:
        if not isinstance(data["requires_acceptance"], bool):
            raise _invalid("requires_acceptance", "requires_acceptance must be true or false.")
        step.requires_acceptance = data["requires_acceptance"]
    if "acceptance_label" in data:
        step.acceptance_label = _text(data, "acceptance_label", MAX_TITLE)
    if "buttons" in data:
        step.buttons = clean_buttons(data["buttons"])


def _set_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise _invalid("name", "A step set needs a name of at most 100 characters.")
    return name.strip()


# --- changing ----------------------------------------------------------------------------


def _touch(step_set: StepSet) -> None:
    # updated_at is part of what the cached invite page is keyed on (guide.SetData.digest).
    step_set.save(update_fields=["updated_at"])


def create_set(name: object, *, actor: Actor, copy_from: StepSet | None = None) -> StepSet:
    """A named set, starting as a copy of ``copy_from`` (the default set unless told)."""
    source = copy_from or default_set()
    try:
        with transaction.atomic():
            created = StepSet.objects.create(name=_set_name(name))
            Step.objects.bulk_create(
                Step(
                    step_set=created,
                    group=step.group,
                    position=step.position,
                    shipped=step.shipped,
                    title=step.title,
                    body=step.body,
                    requires_acceptance=step.requires_acceptance,
                    acceptance_label=step.acceptance_label,
                    buttons=step.buttons,
                )
                for step in steps_of(source)
            )
            audit.record(actor, "steps.set_create", created, label=created.name, copied_from=source.pk)
    except IntegrityError:
        raise Conflict("A step set with this name already exists.", code="step_set_name_taken") from None
    _changed()
    return created


def rename_set(step_set: StepSet, name: object, *, actor: Actor) -> StepSet:
    before = step_set.name
    step_set.name = _set_name(name)
    try:
        with transaction.atomic():
            step_set.save()
            audit.record(actor, "steps.set_rename", step_set, label=step_set.name, before=before)
    except IntegrityError:
        raise Conflict("A step set with this name already exists.", code="step_set_name_taken") from None
    _changed()
    return step_set


def delete_set(step_set: StepSet, *, actor: Actor) -> int:
    """Delete a named set; its invites and templates use the default set from now on.
    Returns how many invites moved."""
    if step_set.is_default:
        raise Conflict("The default step set cannot be deleted; reset it instead.", code="default_step_set")
    with transaction.atomic():
        moved = step_set.invites.count()
        audit.record(actor, "steps.set_delete", step_set, label=step_set.name, invites_moved=moved)
        step_set.delete()
    _changed()
    return moved


def reset_set(step_set: StepSet, *, actor: Actor) -> StepSet:
    """Replace every step of the set with Guestlist's shipped ones."""
    with transaction.atomic():
        Step.objects.filter(step_set=step_set).delete()
        Step.objects.bulk_create(
            Step(
                step_set=step_set,
                group=Step.Group.AFTER,
                position=position,
                shipped=key,
                buttons=[{"kind": kind, "label": "", "url": ""} for kind in SHIPPED[key].buttons],
            )
            for position, key in enumerate(SHIPPED_ORDER)
        )
        _touch(step_set)
        audit.record(actor, "steps.set_reset", step_set, label=step_set.name)
    _changed()
    return step_set


def add_step(step_set: StepSet, data: Mapping[str, Any], *, actor: Actor) -> Step:
    step = Step(step_set=step_set)
    _apply(step, data, creating=True)
    with transaction.atomic():
        siblings = Step.objects.select_for_update().filter(step_set=step_set, group=step.group)
        if siblings.count() >= MAX_STEPS_PER_GROUP:
            raise Conflict(f"A group holds at most {MAX_STEPS_PER_GROUP} steps.", code="too_many_steps")
        last = siblings.aggregate(last=Max("position"))["last"]
        step.position = 0 if last is None else last + 1
        step.save()
        _touch(step_set)
        audit.record(actor, "steps.step_create", step, label=step.title, set_id=step_set.pk, group=step.group)
    _changed()
    return step


def update_step(step: Step, data: Mapping[str, Any], *, actor: Actor) -> Step:
    old_group = step.group
    _apply(step, data, creating=False)
    with transaction.atomic():
        if step.group != old_group:
            last = Step.objects.filter(step_set_id=step.step_set_id, group=step.group).aggregate(last=Max("position"))
            step.position = 0 if last["last"] is None else last["last"] + 1
        step.save()
        if step.group != old_group:
            _renumber(step.step_set_id, old_group)
        _touch(step.step_set)
        audit.record(actor, "steps.step_update", step, label=step.title or step.shipped, fields=sorted(data))
    _changed()
    return step


def delete_step(step: Step, *, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(actor, "steps.step_delete", step, label=step.title or step.shipped, set_id=step.step_set_id)
        step.delete()
        _renumber(step.step_set_id, step.group)
        _touch(step.step_set)
    _changed()


def _renumber(set_id: int, group: str, order: Iterable[int] | None = None) -> None:
    steps = list(Step.objects.filter(step_set_id=set_id, group=group).order_by("position", "id"))
    if order is not None:
        rank = {step_id: index for index, step_id in enumerate(order)}
        steps.sort(key=lambda s: rank[s.pk])
    for position, step in enumerate(steps):
        if step.position != position:
            step.position = position
            step.save(update_fields=["position"])


def move_step(step: Step, to_position: int, *, actor: Actor) -> Step:
    """Move a step to ``to_position`` (0-based, clamped) within its group."""
    with transaction.atomic():
        ids = list(
            Step.objects.select_for_update()
            .filter(step_set_id=step.step_set_id, group=step.group)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
        ids.remove(step.pk)
        to_position = max(0, min(to_position, len(ids)))
        ids.insert(to_position, step.pk)
        _renumber(step.step_set_id, step.group, ids)
        _touch(step.step_set)
        audit.record(actor, "steps.step_move", step, label=step.title or step.shipped, position=to_position)
    step.refresh_from_db()
    _changed()
    return step


def reorder(step_set: StepSet, group: object, step_ids: object, *, actor: Actor) -> list[Step]:
    """Put a whole group in the order given (every step of the group, once)."""
    if group not in GROUPS:
        raise _invalid("group", 'group must be "before" or "after".')
    if not isinstance(step_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in step_ids):
        raise _invalid("step_ids", "step_ids must be a list of step ids.")
    with transaction.atomic():
        present = set(
            Step.objects.select_for_update().filter(step_set=step_set, group=group).values_list("pk", flat=True)
        )
        if set(step_ids) != present or len(step_ids) != len(present):
            raise _invalid("step_ids", "step_ids must name every step of the group exactly once.")
        _renumber(step_set.pk, str(group), step_ids)
        _touch(step_set)
        audit.record(actor, "steps.reorder", step_set, label=step_set.name, group=group, order=step_ids)
    _changed()
    return steps_of(step_set, str(group))
