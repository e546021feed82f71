from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestlist.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from guestlist.lib.proxy import ProxyMiddleware  # noqa: E402

application = ProxyMiddleware(get_wsgi_application(), trusted=settings.TRUSTED_PROXIES, url_base=settings.URL_BASE)
