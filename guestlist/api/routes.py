"""Mounts every router on the one API instance. Public routes come first: ``/invites/validate``
must not be read as an invite id."""

from __future__ import annotations

from guestlist.api import content, discord, invite_requests, invites, me, notifications, redeem, steps, users
from guestlist.api.api import api

api.add_router("/invites", redeem.router)
api.add_router("/invites", invites.router)
api.add_router("/users", users.router)
api.add_router("/content-options", content.router)
api.add_router("/me", me.router)
api.add_router("/notifications", notifications.router)
api.add_router("/steps", steps.router)
api.add_router("/requests", invite_requests.router)
api.add_router("/discord", discord.router)

__all__ = ["api"]
