"""Loaded by pytest before Django's settings: points the data directory at a scratch folder."""

from __future__ import annotations

import os
import tempfile

if "GUESTLIST_DATA_DIR" not in os.environ:
    os.environ["GUESTLIST_DATA_DIR"] = tempfile.mkdtemp(prefix="guestlist-test-")
os.environ.setdefault("GUESTLIST_BASE_URL", "http://testserver")
os.environ.setdefault("GUESTLIST_ALLOWED_HOSTS", "testserver")
