"""Settings → Onboarding steps: step sets, their before/after steps, a live preview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guestlist.core.errors import NotFound, ServiceError
from guestlist.dashboard.forms.steps import NewStepForm, StepForm, StepSetForm
from guestlist.dashboard.views.common import actor, dashboard_view, form_error, is_htmx, report
from guestlist.invites import guide, onboarding
from guestlist.invites.models import Step, StepSet
from guestlist.plex.models import Library, MediaServer


def _set_or_404(set_id: int) -> StepSet:
    try:
        return onboarding.get_set(set_id)
    except NotFound:
        raise Http404 from None


def _step_or_404(step_id: int) -> Step:
    try:
        return onboarding.get_step(step_id)
    except NotFound:
        raise Http404 from None


def _sample_variables() -> guide.Variables:
    """What the preview fills in: a made-up friend on the owner's real server."""
    server = MediaServer.objects.order_by("pk").first()
    titles = (
        list(Library.objects.filter(server=server, is_present=True).order_by("title").values_list("title", flat=True))
        if server is not None
        else []
    )
    return guide.after_joining(
        name="Alex",
        server=server.name if server is not None else "Plex",
        libraries=titles,
        expires_at=timezone.now() + timedelta(days=30),
        description=_("Friends and family"),
    )


@dashboard_view
@require_http_methods(["GET", "POST"])
def step_sets(request: HttpRequest) -> HttpResponse:
    form = StepSetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = onboarding.create_set(form.cleaned_data["name"], actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Step set created as a copy of the default steps."))
            return redirect("settings-step-set", set_id=created.pk)
    sets = [(step_set, onboarding.steps_of(step_set)) for step_set in onboarding.list_sets()]
    rows = [
        {
            "set": step_set,
            "before": sum(1 for s in steps if s.group == Step.Group.BEFORE),
            "after": sum(1 for s in steps if s.group == Step.Group.AFTER),
            "invites": step_set.invites.count(),
        }
        for step_set, steps in sets
    ]
    return render(
        request, "dashboard/settings/steps.html", {"nav": "settings", "tab": "steps", "rows": rows, "form": form}
    )


def _groups(step_set: StepSet) -> list[dict[str, Any]]:
    steps = onboarding.steps_of(step_set)
    groups = []
    for group, title in ((Step.Group.BEFORE, _("Before joining")), (Step.Group.AFTER, _("After joining"))):
        members = [s for s in steps if s.group == group]
        groups.append(
            {
                "group": group,
                "title": title,
                "steps": [
                    {"step": s, "title": onboarding.shipped_text(s)[0], "first": i == 0, "last": i == len(members) - 1}
                    for i, s in enumerate(members)
                ],
                "form": NewStepForm(initial={"group": group}, prefix=group),
            }
        )
    return groups


@dashboard_view
@require_http_methods(["GET", "POST"])
def step_set(request: HttpRequest, set_id: int) -> HttpResponse:
    current = _set_or_404(set_id)
    form = StepSetForm(request.POST if request.method == "POST" else None, initial={"name": current.name})
    if request.method == "POST" and form.is_valid():
        try:
            onboarding.rename_set(current, form.cleaned_data["name"], actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Step set renamed."))
            return redirect("settings-step-set", set_id=current.pk)
    context = {"nav": "settings", "tab": "steps", "step_set": current, "form": form, "groups": _groups(current)}
    return render(request, "dashboard/settings/step_set.html", context)


@dashboard_view
@require_POST
def step_set_delete(request: HttpRequest, set_id: int) -> HttpResponse:
    current = _set_or_404(set_id)
    try:
        moved = onboarding.delete_set(current, actor=actor(request))
    except ServiceError as exc:
        report(request, exc)
        return redirect("settings-step-set", set_id=current.pk)
    messages.success(request, _("Step set deleted; %(count)s invites now use the default steps.") % {"count": moved})
    return redirect("settings-steps")


@dashboard_view
@require_POST
def step_set_reset(request: HttpRequest, set_id: int) -> HttpResponse:
    current = _set_or_404(set_id)
    onboarding.reset_set(current, actor=actor(request))
    messages.success(request, _("The steps are Guestlist's defaults again."))
    return redirect("settings-step-set", set_id=current.pk)


@dashboard_view
@require_POST
def step_add(request: HttpRequest, set_id: int) -> HttpResponse:
    current = _set_or_404(set_id)
    group = request.POST.get("group", "")
    form = NewStepForm(request.POST, prefix=group if group in onboarding.GROUPS else None)
    if not form.is_valid():
        messages.error(request, _("Give the new step a title."))
        return redirect("settings-step-set", set_id=current.pk)
    try:
        step = onboarding.add_step(
            current, {"group": form.cleaned_data["group"], "title": form.cleaned_data["title"]}, actor=actor(request)
        )
    except ServiceError as exc:
        report(request, exc)
        return redirect("settings-step-set", set_id=current.pk)
    return redirect("settings-step-edit", step_id=step.pk)


def _edit_context(step: Step, form: StepForm, shown: guide.ShownStep) -> dict[str, Any]:
    return {
        "nav": "settings",
        "tab": "steps",
        "step": step,
        "step_set": step.step_set,
        "form": form,
        "preview": shown,
        "variables": guide.VARIABLES,
    }


@dashboard_view
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, step_id: int) -> HttpResponse:
    step = _step_or_404(step_id)
    form = StepForm(request.POST if request.method == "POST" else None, initial=StepForm.initial_for(step))
    if request.method == "POST" and form.is_valid():
        try:
            onboarding.update_step(step, form.step_data(), actor=actor(request))
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Step saved."))
            return redirect("settings-step-set", set_id=step.step_set_id)
    data = form.preview_data() if form.is_bound else {**StepForm.initial_for(step), "buttons": step.buttons}
    return render(
        request,
        "dashboard/settings/step_edit.html",
        _edit_context(step, form, guide.preview(data, _sample_variables())),
    )


@dashboard_view
@require_POST
def step_preview(request: HttpRequest, step_id: int) -> HttpResponse:
    """The step as a friend sees it, from the unsaved fields (the whole page without HTMX)."""
    step = _step_or_404(step_id)
    form = StepForm(request.POST)
    shown = guide.preview(form.preview_data(), _sample_variables())
    template = "dashboard/settings/step_edit.html#preview" if is_htmx(request) else "dashboard/settings/step_edit.html"
    return render(request, template, _edit_context(step, form, shown))


@dashboard_view
@require_POST
def step_move(request: HttpRequest, step_id: int) -> HttpResponse:
    """Up / down buttons (plain forms), or a position from the page's drag and drop."""
    step = _step_or_404(step_id)
    direction = request.POST.get("direction", "")
    raw = request.POST.get("position", "")
    if raw.isdigit() and len(raw) <= 3:
        target = int(raw)
    elif direction in ("up", "down"):
        target = step.position - 1 if direction == "up" else step.position + 1
    else:
        return redirect("settings-step-set", set_id=step.step_set_id)
    onboarding.move_step(step, target, actor=actor(request))
    if is_htmx(request):
        current = step.step_set
        context = {"step_set": current, "groups": _groups(current)}
        return render(request, "dashboard/settings/step_set.html#groups", context)
    return redirect(reverse("settings-step-set", args=[step.step_set_id]) + f"#step-{step.pk}")


@dashboard_view
@require_POST
def step_delete(request: HttpRequest, step_id: int) -> HttpResponse:
    step = _step_or_404(step_id)
    set_id = step.step_set_id
    onboarding.delete_step(step, actor=actor(request))
    messages.success(request, _("Step deleted."))
    return redirect("settings-step-set", set_id=set_id)
