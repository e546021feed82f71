"""Django settings, read from the environment (see the README's configuration table)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP

from guestlist.lib.datadir import check_secret_key, ensure_data_dir, load_or_create_secret_key, private_file
from guestlist.lib.env import (
    ConfigError,
    env_bool,
    env_list,
    env_log_level,
    env_networks,
    env_origin,
    env_path_prefix,
    env_seconds,
    env_secret,
    env_str,
    env_url,
)
from guestlist.lib.logs import env_log_format, logging_config

PACKAGE_DIR = Path(__file__).resolve().parent

_data_dir = Path(env_str("GUESTLIST_DATA_DIR", "./data") or "./data").resolve()
# The command line says so when it starts a new install: "./data" is relative to where it runs.
DATA_DIR_CREATED = not _data_dir.exists()
DATA_DIR = ensure_data_dir(_data_dir)

_secret = env_secret("GUESTLIST_SECRET_KEY")
SECRET_KEY = check_secret_key(_secret, "GUESTLIST_SECRET_KEY") if _secret else load_or_create_secret_key(DATA_DIR)

BASE_URL = env_origin("GUESTLIST_BASE_URL", "http://127.0.0.1:8484")
URL_BASE = env_path_prefix("GUESTLIST_URL_BASE")
PLEX_TV_URL = env_url("GUESTLIST_PLEX_TV_URL")
# Discord's web and API origin; tests and the demo point it at guestlist.testing.discord_api.
DISCORD_URL = env_url("GUESTLIST_DISCORD_URL") or "https://discord.com"
# Short, so a Plex that hangs holds up neither a redeemer nor a stopping job runner.
PLEX_TIMEOUT = env_seconds("GUESTLIST_PLEX_TIMEOUT", 5.0, low=0.1, high=60.0)
RATE_LIMITS_ENABLED = env_bool("GUESTLIST_RATE_LIMITS", True)
TRUSTED_PROXIES = env_networks("GUESTLIST_TRUSTED_PROXIES")
# Forward-auth (Authelia, Authentik outposts…): off unless a header is named, and then
# believed only from GUESTLIST_TRUSTED_PROXIES, only on the dashboard's pages.
FORWARD_AUTH_HEADER = env_str("GUESTLIST_FORWARD_AUTH_HEADER")
if FORWARD_AUTH_HEADER and not TRUSTED_PROXIES:
    raise ConfigError("GUESTLIST_FORWARD_AUTH_HEADER needs GUESTLIST_TRUSTED_PROXIES (the proxies that set it).")
LOG_LEVEL = env_log_level("GUESTLIST_LOG_LEVEL", "INFO")
DEBUG = env_bool("GUESTLIST_DEBUG", False)

_base = urlsplit(BASE_URL)
_https = _base.scheme == "https"
ALLOWED_HOSTS = list(
    dict.fromkeys([_base.hostname or "", "localhost", "127.0.0.1", *env_list("GUESTLIST_ALLOWED_HOSTS")])
)
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "guestlist.core",
    "guestlist.accounts",
    "guestlist.plex",
    "guestlist.discord",
    "guestlist.invites",
    "guestlist.members",
    "guestlist.plexwork",
    "guestlist.notifications",
    "guestlist.invite_requests",
    "guestlist.jobs",
    "guestlist.api",
    "guestlist.dashboard",
]

MIDDLEWARE = [
    "guestlist.core.middleware.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "guestlist.core.middleware.SetupRedirectMiddleware",
    "guestlist.accounts.middleware.ForwardAuthMiddleware",
    "guestlist.accounts.middleware.AdminSessionMiddleware",
]

ROOT_URLCONF = "guestlist.urls"
CSRF_FAILURE_VIEW = "guestlist.core.views.csrf_failure"
WSGI_APPLICATION = "guestlist.wsgi.application"
FORCE_SCRIPT_NAME = URL_BASE or None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guestlist.core.context_processors.guestlist",
            ],
        },
    },
]

# DATABASE_URL_FILE (Docker secrets) keeps the database password out of the environment.
_database_url = env_secret("DATABASE_URL") or ""
if _database_url:
    if urlsplit(_database_url).scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ConfigError("DATABASE_URL must be a postgres:// (or sqlite://) URL.")
    try:
        _db = dict(dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL cannot be parsed: {exc}") from exc
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(private_file(DATA_DIR / "guestlist.sqlite3"))}

if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers wait for
        # each other (busy timeout) instead of one failing on lock upgrade mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Reusing connections matters on SQLite: opening one costs more than a typical query.
    _db["CONN_MAX_AGE"] = None
    _db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SESSION_COOKIE_NAME = "guestlist_session"
CSRF_COOKIE_NAME = "guestlist_csrftoken"
LANGUAGE_COOKIE_NAME = "guestlist_language"
SESSION_COOKIE_PATH = URL_BASE or "/"
CSRF_COOKIE_PATH = URL_BASE or "/"
LANGUAGE_COOKIE_PATH = URL_BASE or "/"
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000 if _https else 0
_image_sources = [CSP.SELF, "data:", "https://plex.tv", "https://*.plex.tv", "https://*.plex.direct"]
# "Sign in with Plex" posts a form whose answer redirects to Plex's sign-in page, and
# browsers hold redirects after a form submission to form-action too.
_form_targets = [CSP.SELF, PLEX_TV_URL or "https://app.plex.tv"]
if PLEX_TV_URL:
    _image_sources.append(PLEX_TV_URL)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": _image_sources,
    "connect-src": [CSP.SELF],
    "form-action": _form_targets,
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["guestlist.formats"]
USE_I18N = True
TIME_ZONE = env_str("TZ") or "UTC"
USE_TZ = True

STATIC_URL = f"{URL_BASE}/static/"
STATIC_ROOT = None
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
WHITENOISE_MAX_AGE = 3600

NINJA_PAGINATION_PER_PAGE = 50

# Prometheus metrics at /metrics (guestlist.lib.metrics), behind an API key or this token.
METRICS_ENABLED = env_bool("GUESTLIST_METRICS", False)
METRICS_TOKEN = env_secret("GUESTLIST_METRICS_TOKEN") or ""

# GUESTLIST_LOG_FORMAT=json: one JSON object a line; tokens are scrubbed either way (the
# filter rewrites each record before it is formatted).
LOG_FORMAT = env_log_format("GUESTLIST_LOG_FORMAT")
# One INFO line per request (method, path without its query string, status, duration).
LOG_REQUESTS = env_bool("GUESTLIST_LOG_REQUESTS", False)
if LOG_REQUESTS:
    MIDDLEWARE.insert(0, "guestlist.core.middleware.RequestLogMiddleware")
LOGGING = logging_config(
    level=LOG_LEVEL,
    log_format=LOG_FORMAT,
    filters={"redact_tokens": {"()": "guestlist.plex.redaction.RedactTokens"}},
)
# Django reports a request for a host it does not serve at ERROR with a traceback naming
# ALLOWED_HOSTS; one WARNING line naming GUESTLIST_ALLOWED_HOSTS says it in our words.
LOGGING["filters"]["foreign_host"] = {"()": "guestlist.lib.log_filters.ForeignHostWarning"}
LOGGING["loggers"]["django.security.DisallowedHost"] = {"filters": ["foreign_host"]}
