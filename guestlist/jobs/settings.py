"""Settings of the job-runner process: the web's settings without the web-only apps.

The runner never serves a request, so the API framework (ninja and pydantic), the
dashboard and static files would only take memory in it.
"""

from __future__ import annotations

from guestlist.settings import *  # noqa: F403
from guestlist.settings import INSTALLED_APPS as WEB_APPS

WEB_ONLY_APPS = frozenset(
    {"ninja", "guestlist.api", "guestlist.dashboard", "django.contrib.staticfiles", "django.contrib.messages"}
)
INSTALLED_APPS = [app for app in WEB_APPS if app not in WEB_ONLY_APPS]
