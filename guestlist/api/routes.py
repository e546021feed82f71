"""Mounts every router on the one API instance."""

from __future__ import annotations

from guestlist.api.api import api

__all__ = ["api"]
