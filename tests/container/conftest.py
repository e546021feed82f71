"""The container test runs only when asked (``scripts/test`` asks when Podman is there or
``CI=true``): it builds an image, which takes minutes and a Podman the quick suite lacks."""

from __future__ import annotations

import os
import shutil

import pytest

WANTED = os.environ.get("GUESTLIST_CONTAINER_TESTS", "") in ("1", "true", "on")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if WANTED and shutil.which("podman"):
        return
    reason = "set GUESTLIST_CONTAINER_TESTS=1 (scripts/test does when Podman is present)"
    if WANTED:
        reason = "podman is not installed"
    for item in items:
        if "container" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
