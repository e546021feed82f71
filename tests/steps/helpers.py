"""Step sets as an owner sets them up, through the admin API."""

from __future__ import annotations

from typing import Any

from django.test import Client


def add_step(api: Client, set_id: int, **fields: Any) -> dict[str, Any]:
    response = api.post(f"/api/steps/sets/{set_id}/steps", data=fields, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def default_set(api: Client) -> dict[str, Any]:
    sets = api.get("/api/steps/sets").json()
    return dict(next(s for s in sets if s["is_default"]))


def house_rules(api: Client, set_id: int | None = None) -> dict[str, Any]:
    """A before-joining step that must be accepted, like most owners' first one."""
    return add_step(
        api,
        set_id or default_set(api)["id"],
        group="before",
        title="House rules",
        body="**No sharing** of your account, please.",
        requires_acceptance=True,
        acceptance_label="I accept the house rules",
    )
