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
# Short, so a Plex that hangs holds up neither a redeemer nor a stopping job runner.
PLEX_TIMEOUT = env_seconds("GUESTLIST_PLEX_TIMEOUT", 5.0, low=0.1, high=60.0)
RATE_LIMITS_ENABLED = env_bool("GUESTLIST_RATE_LIMITS", True)
TRUSTED_PROXIES = env_networks("GUESTLIST_TRUSTED_PROXIES")
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
    "guestlist.invites",
    "guestlist.members",
    "guestlist.plexwork",
    "guestlist.notifications",
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

_database_url = env_str("DATABASE_URL")
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "guestlist.plex.redaction.RedactTokens"},
        "foreign_host": {"()": "guestlist.lib.log_filters.ForeignHostWarning"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},
        "django.security.DisallowedHost": {"filters": ["foreign_host"]},
    },
}
