"""Django settings for yim.

Everything that differs between deployments comes from environment variables read through
:mod:`yim.config`; a wrong value stops the start with a message naming the variable.
See ``docs/configuration.md`` for the full table.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from yim.config import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_path,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent


def _fail(exc: ConfigError) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"yim configuration error: {exc}")


try:
    DEBUG = env_bool("YIM_DEBUG", False)
    DEMO_MODE = env_bool("YIM_DEMO", False)
    DATA_DIR = env_path("YIM_DATA_DIR", Path.home() / ".local" / "share" / "yim")
    DB = parse_database_url(
        "YIM_DATABASE_URL", env_str("YIM_DATABASE_URL"), DATA_DIR / "yim.sqlite3"
    )
    ALLOWED_HOSTS = env_list(
        "YIM_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if (DEBUG or DEMO_MODE) else []
    )
    REQUIRE_2FA = env_bool("YIM_REQUIRE_2FA", not DEMO_MODE)
    SESSION_IDLE_MINUTES = env_int("YIM_SESSION_IDLE_MINUTES", 30, minimum=1)
    LOGIN_MAX_FAILURES = env_int("YIM_LOGIN_MAX_FAILURES", 5, minimum=1)
    LOGIN_LOCKOUT_MINUTES = env_int("YIM_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
    LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("YIM_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
    LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int("YIM_LOGIN_MAX_FAILURES_PER_ACCOUNT", 50, minimum=1)
    INVITATION_DAYS = env_int("YIM_INVITATION_DAYS", 7, minimum=1)
    API_TOKEN_DAYS = env_int("YIM_API_TOKEN_DAYS", 90, minimum=1)
    RETENTION_YEARS = env_int("YIM_RETENTION_YEARS", 20, minimum=20)
    TRUSTED_PROXIES = env_networks("YIM_TRUSTED_PROXIES")
    INSTRUMENTS_DIR = env_path("YIM_INSTRUMENTS_DIR", DATA_DIR / "instruments")
    # The key of the research export's pseudonyms; made on first use, never exported.
    EXPORT_KEY_FILE = env_path("YIM_EXPORT_KEY_FILE", DATA_DIR / "export.key")
    # The organisation's Ed25519 key that signs its evidence files; made on first use.
    EVIDENCE_SIGNING_KEY_FILE = env_path(
        "YIM_EVIDENCE_SIGNING_KEY_FILE", DATA_DIR / "evidence-signing.key"
    )
    BASE_URL = (env_str("YIM_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    HTTPS = env_bool("YIM_HTTPS", BASE_URL.startswith("https://"))
    SMTP_HOST = env_str("YIM_SMTP_HOST")
    SMTP_PORT = env_int("YIM_SMTP_PORT", 587, minimum=1)
except ConfigError as exc:
    raise _fail(exc) from None

# Password-reset e-mails: at most this many per network address, and per e-mail address
# typed, within the window (see yim.accounts.throttle).
PASSWORD_RESET_MAX_PER_ADDRESS = 10
PASSWORD_RESET_MAX_PER_ACCOUNT = 3
PASSWORD_RESET_WINDOW_MINUTES = 60

if not BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"yim configuration error: YIM_BASE_URL={BASE_URL!r} must start with http:// or https://."
    )

_secret = env_str("YIM_SECRET_KEY")
if _secret:
    if len(_secret) < 32:
        raise ImproperlyConfigured(
            "yim configuration error: YIM_SECRET_KEY is too short; use at least 32 random "
            "characters, e.g. the output of: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    SECRET_KEY = _secret
elif DEBUG or DEMO_MODE:
    # Development and demo only: a random key kept in the data directory so that sessions
    # survive a restart. Production refuses to start without YIM_SECRET_KEY (below).
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = DATA_DIR / "dev-secret-key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
else:
    raise ImproperlyConfigured(
        "yim configuration error: YIM_SECRET_KEY is not set. Production mode needs a real secret "
        "key of at least 32 random characters (or set YIM_DEBUG=1 for development)."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "yim.accounts",
    "yim.audit",
    "yim.programmes",
    "yim.trajectories",
    "yim.monitoring",
    "yim.research",
    "yim.qualitative",
    "yim.portals",
    "yim.demo",
    "yim.jobs",
    "yim.web",
    "django_tasks",
    "django_tasks_db",
]

# Background work (yim.jobs) runs on the task framework's database backend: a job waits in
# the database (SQLite or PostgreSQL alike) until a worker started with `yim worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Above this many trajectories in scope the evidence page does not calculate while you wait:
# it offers the calculation as background work, with progress (docs/evidence.md).
EVIDENCE_INLINE_LIMIT = env_int("YIM_EVIDENCE_INLINE_LIMIT", 20000, minimum=0)
# A meta-analysis file larger than this (bytes) is fitted as background work, with progress;
# a smaller one while the page waits (docs/research.md).
META_INLINE_BYTES = env_int("YIM_META_INLINE_BYTES", 1_000_000, minimum=0)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "yim.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yim.accounts.middleware.UserLanguageMiddleware",
    "yim.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yim.urls"
WSGI_APPLICATION = "yim.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yim.web.context.navigation",
            ],
        },
    }
]

DATABASES: dict[str, dict[str, Any]]
if DB.is_sqlite:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB.name,
            "OPTIONS": {
                # WAL lets readers run beside the single writer; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue on the busy timeout instead of failing
                # with "database is locked" halfway through a transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": None},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DB.name,
            "USER": DB.user,
            "PASSWORD": DB.password,
            "HOST": DB.host,
            "PORT": DB.port,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # No JIT compilation: yim's queries read thousands of rows, not millions, and
                # PostgreSQL spent 30-80 ms compiling the larger ones (31 ms of the team lead's
                # 76 ms work-list query at 50,000 youth); benchmarks/web/README.md.
                "options": "-c jit=off",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "yim.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served straight from the package (vendored, versioned file names), so no
# collectstatic step is needed; STATIC_ROOT must still exist for WhiteNoise.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL.startswith("https://") else []
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("YIM_SSL_REDIRECT", True)

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# REFI-QDA (.qdpx) import: the most that one source file, and one whole project, may unpack to,
# counted on the bytes really decompressed whatever the archive declares (docs/configuration.md).
try:
    REFI_MAX_SOURCE_BYTES = env_int("YIM_REFI_MAX_SOURCE_MB", 50, minimum=1) * 1024 * 1024
    REFI_MAX_PROJECT_BYTES = env_int("YIM_REFI_MAX_PROJECT_MB", 500, minimum=1) * 1024 * 1024
except ConfigError as exc:
    raise _fail(exc) from None

if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = SMTP_PORT
    EMAIL_HOST_USER = env_str("YIM_SMTP_USER", "") or ""
    EMAIL_HOST_PASSWORD = env_str("YIM_SMTP_PASSWORD", "") or ""
    EMAIL_USE_TLS = True
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("YIM_EMAIL_FROM", "yim@localhost")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Single-use tokens in link paths never reach a log (yim.serverlog).
    "filters": {"mask_tokens": {"()": "yim.serverlog.MaskTokensFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "yim": {"level": "INFO"},
        "django.request": {"filters": ["mask_tokens"]},
        "django.server": {"filters": ["mask_tokens"]},
    },
}

CSRF_FAILURE_VIEW = "yim.web.views.csrf_failure_view"
