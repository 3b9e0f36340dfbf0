"""The one settings module, read from environment variables (see `.env.example`).

Development needs only ENVIRONMENT=development; production (`ENVIRONMENT=production`) refuses to
start without the variables that keep it safe (PRODUCTION_REQUIREMENTS, docs/operations.md), and
passes `manage.py check --deploy` without warnings.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import cast

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# development | test | production, always said: a server started without it must not guess that
# it is a developer's laptop (`make demo` and the test configuration set it).
ENVIRONMENT: str = env.str("ENVIRONMENT", default="")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        "ENVIRONMENT must be set to development, test or production"
        + (f", not {ENVIRONMENT!r}" if ENVIRONMENT else "")
        + "."
    )
IS_PRODUCTION = ENVIRONMENT == "production"

DEBUG: bool = env.bool("DEBUG", default=False)
if DEBUG and IS_PRODUCTION:
    raise ImproperlyConfigured(
        "DEBUG must stay off in production: it would show child data in error pages."
    )

_DEV_SECRET_KEY = "development-only-secret-key-never-used-in-production-0123456789abcdef"  # noqa: S105

# --- production requirements --------------------------------------------------------------------
# Production starts with every service it depends on named, or not at all: without them it would
# fall back to what suits a laptop (an embedded database, a broker in a folder, a cache per
# process, documents on the container's disk that vanish with it, uploads not scanned, email
# printed to the console). One error names everything missing, so a deployment is fixed in one go
# (docs/operations.md, "Required production settings").
PRODUCTION_REQUIREMENTS: dict[str, str] = {
    "SECRET_KEY": "a long random string, not the development key",
    "DATABASE_URL": "postgres://user:password@host:5432/name",
    "REDIS_URL": "redis://host:6379/0, the Celery broker and the shared cache",
    "S3_BUCKET": "the private S3 bucket of documents and policy files",
    "CLAMD_HOST": "clamd's host (or CLAMD_SOCKET), to scan every upload",
    "EMAIL_URL": "an SMTP address, smtp+tls://user:password@host:587",
    "BASE_DOMAIN": "the root domain that schools are served under",
    "TOTP_ENCRYPTION_KEY": "a Fernet key that encrypts two-factor secrets",
    "CHAIN_HEADS_BUCKET": "an S3 bucket with Object Lock for the nightly chain heads",
}


def _production_missing() -> list[str]:
    """The PRODUCTION_REQUIREMENTS that the environment leaves unset or sets unsafely."""
    given = {name: env.str(name, default="").strip() for name in PRODUCTION_REQUIREMENTS}
    if given["SECRET_KEY"] == _DEV_SECRET_KEY:
        given["SECRET_KEY"] = ""
    if env.str("CLAMD_SOCKET", default="").strip():
        given["CLAMD_HOST"] = "socket"
    if not given["EMAIL_URL"].lower().startswith("smtp"):
        given["EMAIL_URL"] = ""
    return [name for name, value in given.items() if not value]


if IS_PRODUCTION and (_missing := _production_missing()):
    raise ImproperlyConfigured(
        "Production cannot start without: "
        + "; ".join(f"{name} ({PRODUCTION_REQUIREMENTS[name]})" for name in _missing)
        + "."
    )

SECRET_KEY: str = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)

# Fernet keys that encrypt TOTP secrets at rest, comma-separated: the first encrypts, every one
# decrypts, so a new key goes first and an old one is dropped once `manage.py rotate_totp_key`
# has re-encrypted. Outside production a key is derived from SECRET_KEY.
TOTP_ENCRYPTION_KEYS: list[str] = env.list("TOTP_ENCRYPTION_KEY", default=[])
# Production has refused to start without one (PRODUCTION_REQUIREMENTS).
if not TOTP_ENCRYPTION_KEYS:
    TOTP_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(f"totp:{SECRET_KEY}".encode()).digest()).decode()
    ]

# Schools are served on <slug>.<BASE_DOMAIN>; the root domain: public site and trust portal.
BASE_DOMAIN: str = env.str("BASE_DOMAIN", default="localhost").lower().strip(".")
# How links in emails are written: https in production; the demo's http on port 8000.
SITE_SCHEME: str = env.str("SITE_SCHEME", default="https" if IS_PRODUCTION else "http")
SITE_PORT: str = env.str("SITE_PORT", default="" if IS_PRODUCTION else "8000")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
if "127.0.0.1" not in ALLOWED_HOSTS and not IS_PRODUCTION:
    ALLOWED_HOSTS.append("127.0.0.1")

# --- applications -------------------------------------------------------------------------------
# Public schema: identity, tenancy, trust-level features, billing. Never child data.
SHARED_APPS = [
    # Before django_tenants so that its `migrate_schemas` (which also keeps the school template
    # schema current) overrides django-tenants' own.
    "tenants",
    "django_tenants",
    "trustplatform.accounts",
    "trustplatform.audit",
    "trustplatform.statistics",
    "trustplatform.policies",
    "trustplatform.schooldays",
    "trustplatform.portal",
    "trustplatform.transfers",
    # Also a school app: each school's alert emails are queued in its own schema.
    "trustplatform.outbox",
    "trustplatform",
    "billing",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The operator's Django admin, behind the product's own two-step sign-in.
    "trustplatform.admin_config.OperatorAdminConfig",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
]
# Each school's own schema: children, concerns, chronologies.
TENANT_APPS = [
    "safeguarding",
    "trustplatform.outbox",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New schools are cloned from a template schema kept at the latest migration (tenants/services.py)
# instead of replaying every migration: creation stays well under a second as migrations grow.
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_BASE_SCHEMA = "school_template"
# Set the search_path only when the school changes, not before every query.
TENANT_LIMIT_SET_CALLS = True

ROOT_URLCONF = "trustplatform.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "trustplatform.urls_public"

MIDDLEWARE = [
    # Outermost two: they must also mark the pages the routing middleware answers by itself.
    "trustplatform.middleware.NeverStoredMiddleware",
    "csp.middleware.CSPMiddleware",
    "trustplatform.middleware.SchoolRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trustplatform.accounts.middleware.SessionPlaceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a lockout raised by the backend into its response.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "trustplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trustplatform.context_processors.site",
                "trustplatform.permissions.permissions_context",
                "safeguarding.context_processors.menu",
            ],
            "libraries": {"when": "trustplatform.when"},
        },
    },
]

WSGI_APPLICATION = "trustplatform.wsgi.application"

# --- database -----------------------------------------------------------------------------------
# PostgreSQL only. Without DATABASE_URL, development and tests use an embedded server (pgserver)
# whose data directory is kept in .data/ between runs.
DATABASE_ENGINE = "django_tenants.postgresql_backend"
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL", engine=DATABASE_ENGINE)}
else:
    from trustplatform.embedded_postgres import EMBEDDED_OWNER_ROLE, embedded_database

    DATABASES = {"default": embedded_database(BASE_DIR / ".data", engine=DATABASE_ENGINE)}
# Session-mode pooling only: transaction pooling would mix up search_path between schools.
# Persistent connections are safe with schools: the routing middleware sets search_path at the
# start of every request (trustplatform/middleware.py). Production keeps each connection a
# minute rather than paying a new one per request; the health check replaces one the server
# closed (a restart, a failover) before the request uses it.
# Two roles (docs/security.md, "Database roles"): DATABASE_URL is the application's, which reads
# and writes rows but cannot alter a table, truncate one, switch a trigger off, or change an
# append-only row; DATABASE_OWNER_URL the owner's, which owns every table and is used only for
# migrations and for creating, restoring and destroying a school (tenants.db.owner_connection).
# Unset, the owner is the application's own role: a one-role development set-up still works.
if env.str("DATABASE_OWNER_URL", default=""):
    DATABASES["owner"] = env.db_url("DATABASE_OWNER_URL", engine=DATABASE_ENGINE)
elif env.str("DATABASE_URL", default=""):
    DATABASES["owner"] = dict(DATABASES["default"])
else:
    DATABASES["owner"] = embedded_database(
        BASE_DIR / ".data", engine=DATABASE_ENGINE, role=EMBEDDED_OWNER_ROLE
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0)
DATABASES["owner"]["CONN_MAX_AGE"] = 0
# A streaming standby for the reads that bear a little lag, trust statistics and the rendering of
# exports (tenants/replica.py, docs/scaling.md). Unset: every read goes to the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL", engine=DATABASE_ENGINE) | {
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
    }
for _database in DATABASES.values():
    _database["CONN_HEALTH_CHECKS"] = True
# The replica's router first (it answers for reads inside replica_reads() only), then ours, which
# also lets the owner's connection migrate (tenants/routers.py).
DATABASE_ROUTERS = (
    "tenants.replica.ReplicaRouter",
    "tenants.routers.SchoolRouter",
    "django_tenants.routers.TenantSyncRouter",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache --------------------------------------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
# Keys are prefixed with the current school's schema so a value cached in one school is never
# read in another.
_CACHE_KEYS = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        | _CACHE_KEYS
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"} | _CACHE_KEYS}

# --- identity -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out email+IP is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
# Links in emails, each valid once and only on the site that sent it (accounts/tokens.py):
# a password reset for an hour; an invitation for a day when the role reads child records,
# otherwise three days (an invitation sent on a Friday afternoon still works on Monday).
PASSWORD_RESET_TIMEOUT = 60 * 60
INVITATION_TIMEOUT = 3 * 24 * 60 * 60
RECORD_ROLE_INVITATION_TIMEOUT = 24 * 60 * 60
# After the password, a person with two-factor has this long to enter their code.
PASSWORD_ACCEPTED_SECONDS = 5 * 60

# Brute force: failures counted per email+IP together, with growing cool-offs and never a
# permanent lock (trustplatform/accounts/lockout.py).
AXES_FAILURE_LIMIT = 5
# And per account from any number of addresses: this many failures within 15 minutes pause
# signing in to that account, whoever tries, until they are 15 minutes old (accounts/lockout.py).
# Counted from axes' failure log, which keeps at most AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT rows.
ACCOUNT_FAILURE_LIMIT: int = env.int("ACCOUNT_FAILURE_LIMIT", default=20)
ACCOUNT_FAILURE_WINDOW_SECONDS = 15 * 60
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 100
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = "trustplatform.accounts.lockout.cooloff"
AXES_RESET_ON_SUCCESS = True
# Each attempt carries its own expiry (stretched at each lockout by lockout.py), so a grown
# cool-off is not cut short when someone else's sign-in cleans old attempts.
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Behind the load balancer the client's address is the last hop it adds to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=1 if IS_PRODUCTION else 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if IS_PRODUCTION else ("REMOTE_ADDR",)
)

# Host-only cookies: never set on the parent domain, so a session of one school's site is not
# sent to another school's site.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A working day at most; child-data readers are also signed out after 30 idle minutes
# (trustplatform/accounts/middleware.py).
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# Stored in UTC, shown in Europe/London.
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Collected into the image in production; served from the apps' folders everywhere else.
STATIC_ROOT = (
    env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")) if IS_PRODUCTION else None
)
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Outside production the app serves its own static files without collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION

# --- school documents -----------------------------------------------------------------------
# Private files per school, never under a public URL (safeguarding/storage.py); on S3 in
# production through STORAGES["documents"] (below).
SCHOOL_DOCUMENTS_ROOT = env.path(
    "SCHOOL_DOCUMENTS_ROOT", default=str(BASE_DIR / ".data" / "documents")
)
DOCUMENT_MAX_BYTES: int = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Uploads up to the limit stay in memory: never spooled unencrypted to /tmp.
FILE_UPLOAD_MAX_MEMORY_SIZE = DOCUMENT_MAX_BYTES
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Virus scanning through clamd, when one of these is set (safeguarding/scanning.py).
CLAMD_SOCKET: str = env.str("CLAMD_SOCKET", default="")
CLAMD_HOST: str = env.str("CLAMD_HOST", default="")
CLAMD_PORT: int = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT: int = env.int("CLAMD_TIMEOUT", default=30)

# --- backups of each school (docs/backups.md) -----------------------------------------------------
# Where `manage.py backup_school` and the nightly backups write: a folder (in production, an
# encrypted volume of its own, copied off the server by the platform's backup of that volume).
BACKUP_ROOT = env.path("BACKUP_ROOT", default=str(BASE_DIR / ".data" / "backups"))
# How long nightly backups are kept: 35 days, so a mistake found at a month's end (the DSL's
# monthly review of the records) can still be undone from a backup taken before it, and a record
# lawfully destroyed is gone from every backup five weeks later. Each school's newest backup is
# always kept. The S3 bucket keeps old object versions for the same period (terraform/).
BACKUP_KEEP_DAYS: int = env.int("BACKUP_KEEP_DAYS", default=35)

# --- document storage on S3 ---------------------------------------------------------------------
# With S3_BUCKET (required in production), school documents, chronology exports and approved
# policy files are kept in that private bucket instead of on the server's disk, each kind under
# its own prefix (safeguarding/storage.py, trustplatform/policies/storage.py). Nothing there is
# public: objects are written with the private ACL and encrypted at rest (KMS when S3_KMS_KEY_ID
# is set), and the storage refuses to make URLs, so every file is still streamed by the app's own
# download views, after their permission checks and access log. Credentials come from boto3's
# usual chain (the container's role, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
S3_BUCKET: str = env.str("S3_BUCKET", default="")
S3_REGION: str = env.str("S3_REGION", default="eu-west-2")
# Another S3-compatible endpoint (a local one in tests); unset for AWS itself.
S3_ENDPOINT_URL: str = env.str("S3_ENDPOINT_URL", default="")
S3_KMS_KEY_ID: str = env.str("S3_KMS_KEY_ID", default="")
if (S3_ENDPOINT_URL or S3_KMS_KEY_ID) and not S3_BUCKET:
    raise ImproperlyConfigured("S3_ENDPOINT_URL and S3_KMS_KEY_ID need S3_BUCKET.")


def s3_storage(
    *, bucket: str, prefix: str, region: str, endpoint_url: str = "", kms_key_id: str = ""
) -> dict[str, object]:
    """The STORAGES entry of one kind of file in the private bucket (also used by the tests)."""
    return {
        "BACKEND": "trustplatform.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": prefix,
            "region_name": region,
            "endpoint_url": endpoint_url or None,
            # Every name written here is a new uuid4 (documents, exports, policies: their
            # upload_to), so no two files can meet under one name: the storage is spared the
            # HEAD it would make before each PUT to look for one.
            "file_overwrite": True,
            # The request's (or task's) own thread writes and reads the file: boto3's default, a
            # pool of transfer threads per file, costs more than it saves for files of at most
            # DOCUMENT_MAX_BYTES, and its threads compete with the other requests of the process.
            "use_threads": False,
            "object_parameters": (
                {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
                if kms_key_id
                else {"ServerSideEncryption": "AES256"}
            ),
        },
    }


if S3_BUCKET:
    for _alias in ("documents", "policies"):
        STORAGES[_alias] = s3_storage(
            bucket=S3_BUCKET,
            prefix=_alias,
            region=S3_REGION,
            endpoint_url=S3_ENDPOINT_URL,
            kms_key_id=S3_KMS_KEY_ID,
        )

# --- chain heads, write-once (docs/security.md, "Chain heads") ------------------------------------
# Each night the head of every hash chain is exported where the database's owner cannot rewrite
# it: with CHAIN_HEADS_BUCKET, an S3 bucket created with Object Lock, each object kept in
# COMPLIANCE mode for CHAIN_HEADS_RETENTION_DAYS; otherwise a folder whose files are created once,
# read-only, and never replaced (development and tests).
CHAIN_HEADS_BUCKET: str = env.str("CHAIN_HEADS_BUCKET", default="")
# Ten years: longer than any chain is verified against a head, shorter than a bucket's lifetime.
CHAIN_HEADS_RETENTION_DAYS: int = env.int("CHAIN_HEADS_RETENTION_DAYS", default=3650)
CHAIN_HEADS_DIR = env.path("CHAIN_HEADS_DIR", default=str(BASE_DIR / ".data" / "chain-heads"))


def write_once_s3_storage(
    *, bucket: str, region: str, retention_days: int, endpoint_url: str = "", kms_key_id: str = ""
) -> dict[str, object]:
    """The STORAGES entry of the chain heads in a bucket with Object Lock (also used by tests)."""
    entry = s3_storage(
        bucket=bucket,
        prefix="chain-heads",
        region=region,
        endpoint_url=endpoint_url,
        kms_key_id=kms_key_id,
    )
    options = cast(dict[str, object], entry["OPTIONS"])
    return {
        "BACKEND": "trustplatform.storage.WriteOnceS3Storage",
        "OPTIONS": options | {"retention_days": retention_days},
    }


if CHAIN_HEADS_BUCKET:
    STORAGES["chain_heads"] = write_once_s3_storage(
        bucket=CHAIN_HEADS_BUCKET,
        region=S3_REGION,
        retention_days=CHAIN_HEADS_RETENTION_DAYS,
        endpoint_url=S3_ENDPOINT_URL,
        kms_key_id=S3_KMS_KEY_ID,
    )
else:
    STORAGES["chain_heads"] = {
        "BACKEND": "trustplatform.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(CHAIN_HEADS_DIR)},
    }
# Who is paged when a nightly chain check fails (an outbox email naming chains and row ids only).
OPERATOR_EMAIL: str = env.str("OPERATOR_EMAIL", default=f"operator@{BASE_DOMAIN}")

# Whom trusts pay by BACS, printed on every invoice, its page and its reminders (docs/billing.md,
# "Paying"): all four or none; without them an invoice asks the trust to contact the operator.
BILLING_PAYEE_NAME: str = env.str("BILLING_PAYEE_NAME", default="")
BILLING_SORT_CODE: str = env.str("BILLING_SORT_CODE", default="")
BILLING_ACCOUNT_NUMBER: str = env.str("BILLING_ACCOUNT_NUMBER", default="")
BILLING_VAT_NUMBER: str = env.str("BILLING_VAT_NUMBER", default="")
_payee = (BILLING_PAYEE_NAME, BILLING_SORT_CODE, BILLING_ACCOUNT_NUMBER, BILLING_VAT_NUMBER)
if any(_payee) and not all(_payee):
    raise ImproperlyConfigured(
        "BILLING_PAYEE_NAME, BILLING_SORT_CODE, BILLING_ACCOUNT_NUMBER and BILLING_VAT_NUMBER "
        "are set together."
    )

# --- email --------------------------------------------------------------------------------------
# Production has refused to start without an SMTP one (PRODUCTION_REQUIREMENTS).
EMAIL_URL: str = env.str("EMAIL_URL", default="consolemail://")
vars().update(env.email_url_config(EMAIL_URL))
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default=f"safeguarding@{BASE_DOMAIN}")

# --- security headers (production) --------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if IS_PRODUCTION else None
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
# /healthz and /readyz are probed by the load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_HSTS_SECONDS: int = env.int(
    "SECURE_HSTS_SECONDS", default=31_536_000 if IS_PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp, docs/security.md): scripts, styles,
# images and fonts from the site itself only; no inline script, no inline <style>, no eval.
# Inline style attributes are refused too: colours that come from data (a category's colour) are
# drawn as SVG fill attributes, which the policy does not govern.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # htmx's requests go back to the same site.
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    },
}

# --- Celery -------------------------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise a broker on the local filesystem that needs no server.
CELERY_BROKER_DIR = BASE_DIR / ".data" / "celery-broker"
CELERY_BROKER_URL: str = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Concerns not screened within CONCERN_SCREENING_HOURS school hours go to the deputies and
    # headteacher; a quarter of an hour is the most an escalation can be late. The same run, in
    # each school, escalates files sent outside the trust whose receipt is overdue.
    "escalate-unscreened-concerns": {
        "task": "tenants.escalate_unscreened_concerns",
        "schedule": 15 * 60,
    },
    # Policy review reminders (60/30/7 days before, on the day, weekly while overdue), once a
    # day; each reminder is claimed under a unique constraint, so a second run sends nothing.
    # Safeguarding files not received within 5 school days (KCSIE): both schools' DSLs and
    # deputies told once; each transfer is claimed by a conditional UPDATE first.
    "escalate-overdue-transfers": {
        "task": "transfers.escalate_overdue",
        "schedule": crontab(minute=15),
    },
    "send-policy-review-reminders": {
        "task": "policies.policy_reminders_send",
        "schedule": crontab(hour=7, minute=0),
    },
    # Trust statistics: every school's rollup rebuilt from its schema each night, which also
    # repairs a refresh lost after a commit.
    "statistics-rebuild-nightly": {
        "task": "statistics.rebuild_all",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every school backed up each night, one task per school, before the statistics rebuild;
    # backups older than BACKUP_KEEP_DAYS removed. A school backed up today is not backed up
    # again, so a second run writes nothing.
    "schools-backup-nightly": {
        "task": "tenants.schools_backup_nightly",
        "schedule": crontab(hour=1, minute=15),
    },
    # Figures that change with time alone (a concern passing 24 hours unscreened, an action
    # passing its due date): refreshed within a quarter of an hour.
    "statistics-refresh-due": {"task": "statistics.refresh_due", "schedule": 15 * 60},
    # Unsent drafts are deleted 7 days after their last save, in each school's schema
    # (docs/security.md, "Drafts"); nightly is soon enough, and a second run deletes nothing.
    "drafts-expire": {"task": "tenants.drafts_expire", "schedule": crontab(hour=3, minute=15)},
    # Billing (docs/billing.md): terms that ended are renewed and invoiced, and joins or leaves
    # whose task was lost are invoiced; one invoice per term and per join (claimed under locks
    # and a unique constraint), so a second run issues nothing.
    "billing-renewals": {"task": "billing.renewals", "schedule": crontab(hour=4, minute=0)},
    # Unpaid invoices past their due date become overdue; reminders at 14 and 30 days go
    # through the outbox, each once (its unique kind and id).
    "billing-overdue-reminders": {
        "task": "billing.overdue_reminders",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every hash chain walked and checked against the heads exported before; a failure pages the
    # operator (docs/security.md, "Chain heads"). Before the export, so a chain rewritten during
    # the day is caught against yesterday's heads.
    "chains-verify-nightly": {
        "task": "audit.chains_verify",
        "schedule": crontab(hour=1, minute=15),
    },
    # The head of every chain written to write-once storage, once a day, after the check.
    "chain-heads-export-daily": {
        "task": "audit.chain_heads_export",
        "schedule": crontab(hour=1, minute=45),
    },
    # Export files are deleted EXPORT_RETENTION_DAYS after they were made, in each school's
    # schema (docs/rules.md, "Retention"); a second run deletes nothing.
    "exports-expire": {"task": "tenants.exports_expire", "schedule": crontab(hour=3, minute=30)},
}
# Hours (counted on school days) within which a new concern must be screened
# (docs/rules.md, "Screening a concern").
CONCERN_SCREENING_HOURS: float = env.float("CONCERN_SCREENING_HOURS", default=24)
# Minutes before the start of the next school day at which an unscreened Operation Encompass
# notification is escalated (docs/rules.md, "Operation Encompass").
ENCOMPASS_ESCALATION_MINUTES: float = env.float("ENCOMPASS_ESCALATION_MINUTES", default=60)
# Days an export's PDF is kept after it was made; then the file is deleted and the export marked
# expired (docs/rules.md, "Retention"). A new export can be asked for at any time.
EXPORT_RETENTION_DAYS: int = env.int("EXPORT_RETENTION_DAYS", default=30)
# The normal pension age of staff, for the retention of allegation records (KCSIE Part 4: until
# pension age or 10 years from the allegation, whichever is longer).
STAFF_PENSION_AGE: int = env.int("STAFF_PENSION_AGE", default=67)

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The session of the two-step sign-in only: Basic authentication would take a password
    # alone, without the second factor, the lockouts or the site the session is bound to.
    # A school's API keys (docs/api.md) are the other way in: made behind two-factor, scoped.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "safeguarding.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: no browsable API beside the schema's own docs page.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["safeguarding.api.auth.ApiThrottle"],
    "EXCEPTION_HANDLER": "safeguarding.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per API key (or signed-in person) on the cache; DRF's "N/second|minute|hour|day".
API_RATE_PER_KEY: str = env.str("API_RATE_PER_KEY", default="600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Safeguarding records API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "A school's records: see docs/api.md. Every error has the Error shape.",
    # The docs page's scripts from this site, not a CDN: the Content-Security-Policy allows no
    # other origin (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- logging ------------------------------------------------------------------------------------
# Logs carry ids, never names or concern text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Exception messages can quote data; tracebacks keep the type and the frames only.
    "formatters": {"safe": {"()": "trustplatform.logformat.NoExceptionTextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "safe"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # django-axes logs every successful sign-in at INFO; the audit log records them already.
        "axes": {"level": "WARNING"},
    },
}

# --- Sentry -------------------------------------------------------------------------------------
SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from trustplatform.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=ENVIRONMENT)

# --- resilience: cache, queues, outbox -----------------------------------------------------------
# The cache and the broker are optimisations: signing in, recording a concern and every page work
# while Redis is down (docs/outbox.md). Sessions and sign-in lockouts live in PostgreSQL.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# django-axes counts failures in its tables (never its cache handler); the growing cool-off reads
# accounts.SignInLockout (trustplatform/accounts/lockout.py).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
if REDIS_URL:
    # mypy typed CACHES from its first value, whose options are all strings.
    CACHES["default"] = {  # type: ignore[assignment]
        # Redis, whose errors read as a cache miss (trustplatform/cache.py), within half a second.
        "BACKEND": "trustplatform.cache.ForgivingRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    } | _CACHE_KEYS
# A mail server that stops answering fails the attempt (retried by the outbox), never hangs it.
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=10)
# Outbox emails: attempts 1, 2, 4 ... minutes apart; after the last, shown as "not delivered".
OUTBOX_MAX_ATTEMPTS: int = env.int("OUTBOX_MAX_ATTEMPTS", default=6)
# The pause after the first failed attempt, doubled after each next one (at most an hour).
OUTBOX_RETRY_AFTER_SECONDS: int = env.int("OUTBOX_RETRY_AFTER_SECONDS", default=60)
# A message still unsent this long after it was added is queued again by the sweeper.
OUTBOX_SWEEP_AFTER_SECONDS: int = env.int("OUTBOX_SWEEP_AFTER_SECONDS", default=2 * 60)
# A dead broker answers a sender within about two seconds instead of retrying for longer.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A message a worker took and never acknowledged (the worker was killed) is handed to another
# worker this long after it was taken. Longer than the hard time limit of the slowest task (a
# chronology export, 15 minutes), or a task still running would be started a second time. A
# claim of a job or an email lapses no later than this (CELERY_VISIBILITY_TIMEOUT_SECONDS is read
# by safeguarding/services/exports.py and trustplatform/outbox/services.py); the fault tests
# shorten it to see a killed worker's task redone within seconds.
CELERY_VISIBILITY_TIMEOUT_SECONDS: int = env.int("CELERY_VISIBILITY_TIMEOUT", default=20 * 60)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "max_retries": 1,
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    }
# Alerts never wait behind PDF exports or statistics: each has a queue of its own, and workers
# take one message at a time, acknowledged when done (tasks are safe to run twice).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "outbox.*": {"queue": "alerts"},
    "safeguarding.concern_alert_emails": {"queue": "alerts"},
    "safeguarding.chronology_export": {"queue": "exports"},
    "statistics.*": {"queue": "statistics"},
}
# What `manage.py demo` and deploy/ start a worker with: every queue.
WORKER_QUEUES = ["alerts", "exports", "statistics", "default"]
CELERY_TASK_ACKS_LATE = True
# A worker child killed mid-task (the out-of-memory killer, SIGKILL) while its worker lives on:
# the message goes back to the queue and runs again, instead of being acknowledged as failed and
# lost. Every task is safe to run twice; the export takes over its own claim when run again
# (safeguarding/services/exports.py) and gives up after EXPORT_MAX_RUNS, so a PDF that kills its
# worker each time does not go round for ever. (A hard time limit is a failure, not a loss.)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# And any message whose runs kill their worker each time is logged and given up after this many
# deliveries (trustplatform/celery.py, DeliveryCappedTask): more than the export's own runs, so
# the export is shown as failed first.
TASK_MAX_DELIVERIES: int = env.int("TASK_MAX_DELIVERIES", default=5)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks that set no limits of their own are stopped after five minutes.
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_BEAT_SCHEDULE["outbox-sweep"] = {
    # Emails whose task was lost or not queued (broker down), and retries that are due: sent
    # within a minute of OUTBOX_SWEEP_AFTER_SECONDS.
    "task": "outbox.sweep",
    "schedule": 60,
}
