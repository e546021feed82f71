from __future__ import annotations

from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic.base import RedirectView

from guestlist.api.metrics import metrics_view
from guestlist.api.routes import api
from guestlist.api.urls import api_catch_all
from guestlist.core import views as core_views

handler404 = "guestlist.core.views.page_not_found"
handler500 = "guestlist.core.views.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (JSON, the API docs, files).
    path("favicon.ico", RedirectView.as_view(url=static("guestlist/favicon.svg"), permanent=True)),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    re_path(r"^api/.*$", api_catch_all),
    path("", include("guestlist.accounts.urls")),
    path("", include("guestlist.invites.urls")),
    path("", include("guestlist.members.urls")),
    path("", include("guestlist.notifications.urls")),
    path("", include("guestlist.invite_requests.urls")),
    path("", include("guestlist.dashboard.urls")),
]
