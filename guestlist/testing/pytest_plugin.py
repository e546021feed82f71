"""Loaded by pytest before Django's settings: points the data directory at a scratch folder,
and removes that folder when the run ends (pytest-xdist's workers inherit the variable, so
only the process that made the folder removes it)."""

from __future__ import annotations

import os
import shutil
import tempfile

SCRATCH: tuple[int, str] | None = None
if "GUESTLIST_DATA_DIR" not in os.environ:
    SCRATCH = (os.getpid(), tempfile.mkdtemp(prefix="guestlist-test-"))
    os.environ["GUESTLIST_DATA_DIR"] = SCRATCH[1]
os.environ.setdefault("GUESTLIST_BASE_URL", "http://testserver")
os.environ.setdefault("GUESTLIST_ALLOWED_HOSTS", "testserver")


def pytest_unconfigure() -> None:
    if SCRATCH is not None and SCRATCH[0] == os.getpid():
        shutil.rmtree(SCRATCH[1], ignore_errors=True)
