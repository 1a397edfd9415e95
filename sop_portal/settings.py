"""Settings for SOP Portal, read from the environment (see docs/deployment.md)."""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Fail closed: production behaviour unless DJANGO_DEBUG=1 is set explicitly (make run does).
DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Development only: published, so never accepted in production (below).
INSECURE_DEV_KEY = "django-insecure-sop-portal-development-key-do-not-use-in-production"


def production_key(name, *, minimum, purpose):
    """The value of `name`; in production the app refuses to start without a strong key of its own."""
    value = os.environ.get(name, "")
    if DEBUG:
        return value or INSECURE_DEV_KEY
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off (production mode): {purpose}.")
    # A generated key (secrets.token_urlsafe, get_random_secret_key) of this length has far more
    # distinct characters than 20; a typed or repeated one does not.
    if value.startswith("django-insecure") or len(set(value)) < 20 or len(value) < minimum:
        raise ImproperlyConfigured(f"{name} is too weak for production: use at least {minimum} random characters.")
    return value


SECRET_KEY = production_key("DJANGO_SECRET_KEY", minimum=50, purpose="Django's signing key")
# Keys of the NIK/KK numbers at rest (cases/crypto.py): one encrypts, one keys the blind index.
# In production each is required and must differ from the secret key; nothing is derived from a default.
FIELD_ENCRYPTION_KEY = production_key("DJANGO_FIELD_KEY", minimum=32, purpose="the NIK/KK encryption key")
FIELD_INDEX_KEY = production_key("DJANGO_INDEX_KEY", minimum=32, purpose="the NIK/KK blind-index key")
# The two NIK keys may be equal (an install from before DJANGO_INDEX_KEY keeps its blind index so;
# each is derived per purpose), but neither may be the signing key, which leaks more easily.
if not DEBUG and SECRET_KEY in (FIELD_ENCRYPTION_KEY, FIELD_INDEX_KEY):
    raise ImproperlyConfigured("DJANGO_FIELD_KEY and DJANGO_INDEX_KEY must not be the DJANGO_SECRET_KEY.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "sop_portal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "agencies",
    "sop_catalog",
    "cases",
    "registers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sop_portal.middleware.LimitRequestSizeMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "sop_portal.middleware.RefuseNullCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "agencies.usercache.UserCacheMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "agencies.twofactor.RequireTwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sop_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agencies.context_processors.office",
                "cases.context_processors.states",
            ],
        },
    },
]

WSGI_APPLICATION = "sop_portal.wsgi.application"

DEFAULT_SQLITE_URL = "sqlite:///" + str(BASE_DIR / "db.sqlite3")
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_URL
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writing transaction takes the write lock at its start, so two desks
    # registering at once queue up instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # models.W040: SQLite has no INCLUDE columns in an index; the inbox queue index
    # (cases.Case.Meta) includes some for PostgreSQL's counts, and SQLite builds it without them.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Optional: a streaming replica of the primary that the report and export reads go to
# (sop_portal/routers.py); every other read and every write stay on `default`. Unset: one database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    # The test runner makes no database for it: in tests it reads the test database of `default`.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["sop_portal.routers.ReplicaRouter"]

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (django-axes): 5 failures for one account (from any address), or from one address
# (for any account), lock that account or that address for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

# Two-factor login (TOTP, django-otp) for the desks that sign and for admins; on by default in production.
REQUIRE_2FA = env_bool("DJANGO_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "SOP Portal"

# No inline script anywhere; inline style attributes draw the SOP flowchart connectors.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia")]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "media/"
# Uploaded scans and issued PDFs: outside the web root, served only through views.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "sop-portal@localhost")
# A mail server that hangs must not hold a request: the notice stays in the outbox for a retry.
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 10)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=False)
# How long a task worker holds an e-mail it is sending before another may try it (cases/notifications.py):
# longer than a send can take (several socket waits of EMAIL_TIMEOUT each).
MAIL_CLAIM_SECONDS = env_int("MAIL_CLAIM_SECONDS", max(120, 3 * EMAIL_TIMEOUT))

SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = os.environ.get("DJANGO_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level on the handler too: a library that turns its own logger to DEBUG for a moment
    # (WeasyPrint does so around fontTools' font subsetting) must not flood the server log.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# Exports are written by sop_portal/spreadsheets.py, where no text cell becomes a formula; this
# setting only strips one leading "=" and would change the text.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False

# Behind a reverse proxy (nginx), how many proxies add themselves to X-Forwarded-For: the client
# address of the audit trail and of the login throttling is then read from that header.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]

# Scans uploaded to a case: PDF, JPEG or PNG, checked by content; the size limit in MB.
CASE_UPLOAD_MAX_MB = env_int("CASE_UPLOAD_MAX_MB", 10)
# Any request body larger than this is refused (413) before it is read: a scan plus its form.
REQUEST_MAX_MB = env_int("REQUEST_MAX_MB", CASE_UPLOAD_MAX_MB + 1)
FILE_UPLOAD_PERMISSIONS = 0o640

# Who signs a final document (docs/documents.md): "local" — PAdES with the agency's own keys
# (tidak tersertifikasi), "bsre" — BSrE's e-sign API (tersertifikasi BSrE), "none" — no digital
# signature, the stored SHA-256 only. DOCUMENT_SIGNERS chooses per agency: "lumajang=bsre,solok=local".
DOCUMENT_SIGNER = os.environ.get("DOCUMENT_SIGNER", "local")
DOCUMENT_SIGNERS = dict(
    part.strip().split("=", 1) for part in os.environ.get("DOCUMENT_SIGNERS", "").split(",") if "=" in part
)
# The agency CAs, officials' keys and e-seals (cases/pki.py): PKCS#12 files encrypted with the
# passphrase below, which is never written to disk. Keep the folder out of the web root.
SIGNING_KEYS_DIR = Path(os.environ.get("SIGNING_KEYS_DIR", BASE_DIR / "var" / "keys"))
SIGNING_KEY_PASSPHRASE = os.environ.get("SIGNING_KEY_PASSPHRASE", "kunci-pengembangan" if DEBUG else "")
# A timestamp authority (RFC 3161) makes the signatures PAdES B-T; empty: B-B.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# Seconds before a signing service (TSA, BSrE) counts as unreachable.
SIGNER_TIMEOUT = env_int("SIGNER_TIMEOUT", 20)
# BSrE e-sign API v2: base URL, the application's Basic credentials, the e-seal subscriber id,
# and BSrE's root/intermediate certificates (PEM) the verification page trusts.
BSRE_URL = os.environ.get("BSRE_URL", "")
BSRE_USERNAME = os.environ.get("BSRE_USERNAME", "")
BSRE_PASSWORD = os.environ.get("BSRE_PASSWORD", "")
BSRE_SEAL_SUBSCRIBER = os.environ.get("BSRE_SEAL_SUBSCRIBER", "")
BSRE_ROOT_CERTS = os.environ.get("BSRE_ROOT_CERTS", "")

# Side effects that may wait or fail (e-mail, the overdue sweep, heavy PDFs) run as tasks
# (cases/tasks.py) in `manage.py db_worker`, queued in the database (django-tasks-db). A task
# that fails is tried again after MAIL_RETRY_SECONDS * 2^(attempt-1), at most MAIL_RETRY_MAX_SECONDS.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 20)
# A task still "running" after this long lost its worker (killed, machine down): requeue_stale_tasks
# puts it back in the queue. Longer than the slowest task (a compliance report PDF, ~1 min).
TASK_STALE_MINUTES = env_int("TASK_STALE_MINUTES", 15)


# Anonymous requests per minute per address to status, verification, survey and public PDFs (then 429).
PUBLIC_RATE_LIMIT = env_int("PUBLIC_RATE_LIMIT", 30)
# The rate-limit counters, sessions, public SOP pages and the desks of signed-in users live in the
# cache: in production one shared by every gunicorn worker (and every machine, see DJANGO_CACHE).
# DJANGO_CACHE: "memory" (one process; development), "file" (DJANGO_CACHE_DIR, shared by the
# workers of one machine), "db" (the table of `manage.py createcachetable`, shared by all
# machines) or a redis:// URL (needs the redis package).
CACHE_KIND = os.environ.get("DJANGO_CACHE") or ("memory" if DEBUG else "file")
# One rate-limit counter per address and minute: the default cull at 300 entries would forget
# counters under a spread-out attack.
CACHE_OPTIONS = {"MAX_ENTRIES": 100_000}
if CACHE_KIND == "memory":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": CACHE_OPTIONS}}
elif CACHE_KIND == "file":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("DJANGO_CACHE_DIR", str(BASE_DIR / "var" / "cache")),
            "OPTIONS": CACHE_OPTIONS,
        }
    }
elif CACHE_KIND == "db":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sop_portal_cache",
            "OPTIONS": CACHE_OPTIONS,
        }
    }
elif CACHE_KIND.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_KIND}}
else:
    raise ImproperlyConfigured(f"DJANGO_CACHE={CACHE_KIND!r}: use memory, file, db or a redis:// URL.")
# Sessions are read from the cache (and written through to the database) when the cache is shared;
# a per-process memory cache would keep a signed-out session alive in the other processes.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db" if CACHE_KIND == "memory" else "django.contrib.sessions.backends.cached_db"
)
# Public SOP PDFs are rendered once per version and kept here (sop_catalog/printing.py).
SOP_PDF_CACHE_DIR = Path(os.environ.get("DJANGO_SOP_PDF_DIR", BASE_DIR / "var" / "sop-pdf"))
# Render that PDF in the task worker as soon as an SOP (or a part) is saved, not at the first request.
SOP_PDF_PRERENDER = env_bool("DJANGO_SOP_PDF_PRERENDER", default=True)

# Public base URL used in QR codes on printed documents.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
