"""Settings for Thủ Đô Số.

This is the one place that reads the environment (12-factor). Everything else reads
``django.conf.settings``. Development defaults work with nothing set: an embedded SQLite
database and a secret key generated once into ``var/``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import environ
import fontpkg_be_vietnam_pro

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

THUDO_ENV = env.str("THUDO_ENV", default="development")  # development | production
PRODUCTION = THUDO_ENV == "production"
DEBUG = env.bool("DEBUG", default=False)

VAR_DIR = Path(env.str("THUDO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
# What is derived once and may be rebuilt at any time (static instances of fonts, …).
CACHE_DIR = Path(env.str("THUDO_CACHE_DIR", default=str(VAR_DIR / "cache")))


def _generated_secret(name: str, length: int = 50) -> str:
    """A development secret generated once into var/ and reused after."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _generated_secret("secret_key")

PORT = env.int("PORT", default=8000)
BASE_URL = env.str("THUDO_BASE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# GSO code of the province, and its level-1 agency code of Decision 20/2020 (Hanoi's letter
# code is unconfirmed).
THUDO_PROVINCE_CODE = env.str("THUDO_PROVINCE_CODE", default="01")
THUDO_PROVINCE_AGENCY_CODE = env.str("THUDO_PROVINCE_AGENCY_CODE", default="H26")

# --- database -------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="sqlite:///var/thudo.sqlite3")
_db = environ.Env.db_url_config(DATABASE_URL)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _name = Path(_db["NAME"]) if _db["NAME"] not in ("", ":memory:") else None
    if _name is not None and not _name.is_absolute():
        _name = BASE_DIR / _name
        _db["NAME"] = str(_name)
    if _name is not None:
        # Tests use a file too, not Django's shared in-memory database: the platform runs
        # its web server, gateway and worker as threads against one database, and only a
        # file gives them SQLite's real locking (WAL, busy timeout) rather than table locks
        # that fail at once.
        # One per process, in the temporary directory: test runs side by side do not
        # share it.
        _db.setdefault("TEST", {}).setdefault(
            "NAME", str(Path(tempfile.gettempdir()) / f"thudo-test-{os.getpid()}-{_name.name}")
        )
    _db.setdefault("OPTIONS", {}).update(
        {
            # Writers take the lock when the transaction starts: no deadlocked upgrades
            # from read to write, and counters read inside a transaction stay exact.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- applications ---------------------------------------------------------------------

INSTALLED_APPS = [
    "thudo.core.admin_site.ThudoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "template_partials",
    "django_prometheus",
    "django_guid",
    "ninja",
    "thudo.core",
    "thudo.identity",
    "thudo.eidsim",
    "thudo.registries",
    "thudo.exchange",
    "thudo.signing",
    "thudo.documents",
    "thudo.procedures",
    "thudo.reporting",
    "thudo.dti",
    "thudo.opendata",
    "django_tasks",
    "django_tasks_db",
    "thudo.demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "thudo.core.middleware.NulRejectMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Every page needs a signed-in user unless its view says @login_not_required;
    # tests/test_architecture.py keeps the list of public routes explicit.
    "thudo.core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "thudo.core.middleware.AuditContextMiddleware",
    "thudo.core.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "thudo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "thudo.core.context_processors.platform",
            ],
        },
    }
]

# --- identity and access --------------------------------------------------------------

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Lockout after repeated failures, per user name and address (django-axes).
AXES_FAILURE_LIMIT = env.int("THUDO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("THUDO_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Thủ Đô Số"

# Citizens sign in only through national eID (OpenID Connect, code flow + PKCE).
# Without a discovery URL the bundled simulator of this server is used.
EID_DISCOVERY_URL = env.str("THUDO_EID_DISCOVERY_URL", default="")
EID_CLIENT_ID = env.str("THUDO_EID_CLIENT_ID", default="thudo-portal")
EID_CLIENT_SECRET = env.str("THUDO_EID_CLIENT_SECRET", default="") or (
    "" if PRODUCTION else _generated_secret("eid_client_secret", 32)
)
EID_SCOPES = env.str("THUDO_EID_SCOPES", default="openid profile")
EID_MIN_LOA = env.int("THUDO_EID_MIN_LOA", default=1)
EID_HTTP_TIMEOUT = env.float("THUDO_EID_HTTP_TIMEOUT", default=10.0)
# The bundled simulator; off in production unless asked for.
EIDSIM_ENABLED = env.bool("THUDO_EIDSIM_ENABLED", default=not PRODUCTION)
EIDSIM_ISSUER = env.str("THUDO_EIDSIM_ISSUER", default="")
# RS256 key of the simulator; generated once into var/ when empty.
EIDSIM_SIGNING_KEY_FILE = env.str("THUDO_EIDSIM_SIGNING_KEY_FILE", default="")

# --- data exchange (LGSP) -------------------------------------------------------------

# The hub's ES256 key (PEM); generated once into var/ when empty. Previous public keys
# stay published in the JWKS during a rotation.
EXCHANGE_SIGNING_KEY_FILE = env.str("THUDO_EXCHANGE_SIGNING_KEY_FILE", default="")
EXCHANGE_PUBLISHED_KEY_FILES = env.list("THUDO_EXCHANGE_PUBLISHED_KEY_FILES", default=[])
EXCHANGE_ISSUER = env.str("THUDO_EXCHANGE_ISSUER", default=BASE_URL)
EXCHANGE_TOKEN_SECONDS = env.int("THUDO_EXCHANGE_TOKEN_SECONDS", default=300)
# Where platform modules reach the gateway (the exchange client).
EXCHANGE_GATEWAY_URL = env.str("THUDO_EXCHANGE_GATEWAY_URL", default=BASE_URL)
# The platform's own member system, used by the exchange client.
EXCHANGE_PLATFORM_SYSTEM = env.str(
    "THUDO_EXCHANGE_PLATFORM_SYSTEM",
    default=f"VN/GOV/000.00.00.{THUDO_PROVINCE_AGENCY_CODE}/THUDO",
)
EXCHANGE_PLATFORM_SECRET = env.str("THUDO_EXCHANGE_PLATFORM_SECRET", default="") or (
    "" if PRODUCTION else _generated_secret("exchange_platform_secret", 32)
)
# Gateway limits.
# edXML packages carry their attachments base64-encoded: room for 30 MB of them.
EXCHANGE_MAX_BODY_BYTES = env.int("THUDO_EXCHANGE_MAX_BODY_BYTES", default=32 * 1024 * 1024)
EXCHANGE_CONNECT_TIMEOUT = env.float("THUDO_EXCHANGE_CONNECT_TIMEOUT", default=2.0)
EXCHANGE_READ_TIMEOUT = env.float("THUDO_EXCHANGE_READ_TIMEOUT", default=15.0)
EXCHANGE_RATE_PER_SECOND = env.float("THUDO_EXCHANGE_RATE_PER_SECOND", default=200.0)
EXCHANGE_RATE_BURST = env.int("THUDO_EXCHANGE_RATE_BURST", default=400)
EXCHANGE_BREAKER_FAILURES = env.int("THUDO_EXCHANGE_BREAKER_FAILURES", default=5)
EXCHANGE_BREAKER_SECONDS = env.float("THUDO_EXCHANGE_BREAKER_SECONDS", default=10.0)
EXCHANGE_CONFIG_POLL_SECONDS = env.float("THUDO_EXCHANGE_CONFIG_POLL_SECONDS", default=1.0)

# National databases simulated by the registries module, as provider systems of the hub
# (sample agency codes of the ministries that own them).
REGISTRIES_POPULATION_SYSTEM = env.str(
    "THUDO_REGISTRIES_POPULATION_SYSTEM", default="VN/GOV/000.00.00.G01/DANCU"
)
REGISTRIES_BUSINESS_SYSTEM = env.str(
    "THUDO_REGISTRIES_BUSINESS_SYSTEM", default="VN/GOV/000.00.00.G09/DKDN"
)
# The Government reporting information system (Hệ thống thông tin báo cáo Chính phủ) of the
# Government Office (Văn phòng Chính phủ), simulated: it receives the reports pushed to it.
REGISTRIES_GOVREPORT_SYSTEM = env.str(
    "THUDO_REGISTRIES_GOVREPORT_SYSTEM", default="VN/GOV/000.00.00.G22/BCCP"
)

# --- digital signatures (PKI) ------------------------------------------------------------

# Key-encryption key of the platform's key store (32+ bytes, base64url or text): every
# private key (CAs, TSA, OCSP, agency seals, personal keys) is kept encrypted under it,
# personal keys under it and their holder's PIN. Generated once into var/ for development.
SIGNING_KEK = env.str("THUDO_SIGNING_KEK", default="") or (
    "" if PRODUCTION else _generated_secret("signing_kek", 32)
)
# Where the PKI's public endpoints are reached (CRL, OCSP, CA certificates, TSA): these
# URLs are written into the certificates.
SIGNING_BASE_URL = env.str("THUDO_SIGNING_BASE_URL", default=BASE_URL)
SIGNING_ORGANIZATION = env.str("THUDO_SIGNING_ORGANIZATION", default="Thủ Đô Số")
SIGNING_LOCALITY = env.str("THUDO_SIGNING_LOCALITY", default="Hà Nội")
SIGNING_PIN_ATTEMPTS = env.int("THUDO_SIGNING_PIN_ATTEMPTS", default=5)
SIGNING_PIN_LOCK_MINUTES = env.int("THUDO_SIGNING_PIN_LOCK_MINUTES", default=15)
SIGNING_CERT_DAYS = env.int("THUDO_SIGNING_CERT_DAYS", default=3 * 365)
# Keys in an HSM instead of the software key store (certificates with backend "pkcs11").
SIGNING_PKCS11_MODULE = env.str("THUDO_SIGNING_PKCS11_MODULE", default="")
SIGNING_PKCS11_TOKEN = env.str("THUDO_SIGNING_PKCS11_TOKEN", default="")
SIGNING_PKCS11_PIN = env.str("THUDO_SIGNING_PKCS11_PIN", default="")

# --- documents (quản lý văn bản) ------------------------------------------------------------

# The platform's document exchange as a provider system of the hub: agencies send edXML
# packages and statuses to each other through it.
DOCUMENTS_EXCHANGE_SYSTEM = env.str(
    "THUDO_DOCUMENTS_EXCHANGE_SYSTEM", default=f"VN/GOV/000.00.00.{THUDO_PROVINCE_AGENCY_CODE}/QLVB"
)
DOCUMENTS_EXCHANGE_SERVICE = "van-ban-dien-tu"
DOCUMENTS_DELIVERY_ATTEMPTS = env.int("THUDO_DOCUMENTS_DELIVERY_ATTEMPTS", default=12)

# --- reporting (hệ thống thông tin báo cáo) -------------------------------------------------

# Where reports are pushed: recipient name → ``<provider system>/<service code>`` on the
# hub, as JSON, e.g. {"bccp": "VN/GOV/000.00.00.G22/BCCP/tiep-nhan-bao-cao"}.
REPORTING_EXPORT_SERVICES: dict[str, str] = env.json(
    "THUDO_REPORTING_EXPORT_SERVICES",
    default={"bccp": f"{REGISTRIES_GOVREPORT_SYSTEM}/tiep-nhan-bao-cao"},
)

# --- digital-transformation index (DTI) -----------------------------------------------------

# A council's conclusion is valid when more than this share of its members took part or
# agreed (more than half, by the rules of Hanoi's appraisal councils).
DTI_QUORUM = env.str("THUDO_DTI_QUORUM", default="0.5")
DTI_MAX_EVIDENCE_BYTES = env.int("THUDO_DTI_MAX_EVIDENCE_BYTES", default=10 * 2**20)

# Open-data portal: the largest resource file accepted, the largest table loaded into the
# datastore, and how long one datastore_search_sql query may run.
OPENDATA_MAX_UPLOAD_BYTES = env.int("THUDO_OPENDATA_MAX_UPLOAD_BYTES", default=100 * 2**20)
OPENDATA_MAX_ROWS = env.int("THUDO_OPENDATA_MAX_ROWS", default=2_000_000)
OPENDATA_SQL_TIMEOUT_MS = env.int("THUDO_OPENDATA_SQL_TIMEOUT_MS", default=3000)
# The agency that publishes the reporting indicators (default: the provincial committee).
OPENDATA_INDICATOR_PUBLISHER = env.str("THUDO_OPENDATA_INDICATOR_PUBLISHER", default="")

# --- e-mail ---------------------------------------------------------------------------------

EMAIL_HOST = env.str("THUDO_EMAIL_HOST", default="")
EMAIL_PORT = env.int("THUDO_EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("THUDO_EMAIL_USER", default="")
EMAIL_HOST_PASSWORD = env.str("THUDO_EMAIL_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("THUDO_EMAIL_TLS", default=True)
# Without a mail server the messages are written to the log (development, the demo).
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("THUDO_EMAIL_FROM", default="Thủ Đô Số <no-reply@thudo.local>")

# --- public services (dịch vụ công, một cửa) -------------------------------------------------

PROCEDURES_MAX_FILE_BYTES = env.int("THUDO_PROCEDURES_MAX_FILE_BYTES", default=10 * 1024 * 1024)
# Channels besides the in-app notice: dotted paths to send(user, text, dossier).
PROCEDURES_NOTICE_SENDERS = env.list(
    "THUDO_PROCEDURES_NOTICE_SENDERS", default=["thudo.procedures.notices.send_email"]
)

# Background work (django-tasks with its database back end; `manage.py db_worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- platform -------------------------------------------------------------------------

# Office hours used by working-hour deadlines: morning and afternoon sessions.
THUDO_OFFICE_HOURS = env.list("THUDO_OFFICE_HOURS", default=["08:00-12:00", "13:00-17:00"])
THUDO_PLATFORM_NAME = "Thủ Đô Số"

# --- internationalisation -------------------------------------------------------------

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "thudo" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- static files ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    ("fonts", Path(fontpkg_be_vietnam_pro.__file__).parent / "files"),
]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        # Hashed names and a manifest in production (collectstatic is part of the set-up);
        # plain names elsewhere so that nothing breaks before collectstatic has run.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- caches ---------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- security -------------------------------------------------------------------------

SECURE = env.bool("THUDO_SECURE", default=PRODUCTION)  # served over HTTPS
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("THUDO_SESSION_SECONDS", default=8 * 3600)
SECURE_SSL_REDIRECT = SECURE and env.bool("THUDO_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_HSTS_SECONDS = env.int("THUDO_HSTS_SECONDS", default=31536000) if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", "http:", "https:"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- API ------------------------------------------------------------------------------

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# --- logging and request ids ----------------------------------------------------------

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": False,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_LENGTH": 32,
}
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("THUDO_LOG_FORMAT", default="json")  # json | text
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "correlation_id": "request_id",
            },
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["correlation_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django_guid": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # pyHanko subsets fonts for every visible signature and says so at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# --- tests ----------------------------------------------------------------------------

# Browser tests: Debian's chromium driven by Playwright (never a downloaded browser).
THUDO_CHROMIUM = env.str("THUDO_CHROMIUM", default="/usr/bin/chromium")
# CI sets this so that a browser test that cannot run fails instead of being skipped.
THUDO_REQUIRE_BROWSER = env.bool("THUDO_REQUIRE_BROWSER", default=False)
# Likewise for the signing tests that check PDFs with poppler (pdfsig, pdftotext) and NSS
# (certutil): CI sets it so that missing tools fail instead of skipping.
THUDO_REQUIRE_PDF_TOOLS = env.bool("THUDO_REQUIRE_PDF_TOOLS", default=False)
