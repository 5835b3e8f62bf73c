"""LMB settings, read from the environment (django-environ).

Defaults give the embedded setup: SQLite in the project folder, Celery tasks run eagerly,
e-mail to the console. Production sets DATABASE_URL (PostgreSQL), REDIS_URL, DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS and DJANGO_HTTPS=1 (see README and docker-compose.yml).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
HTTPS = env.bool("DJANGO_HTTPS", default=False)
# The development key is marked insecure so that `check --deploy` flags it; production (HTTPS)
# refuses to start without a key of its own.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if HTTPS:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production (DJANGO_HTTPS=1).")
    SECRET_KEY = "django-insecure-development-key-not-for-production-0123456789"
# The health check is called on localhost by the container's probe.
ALLOWED_HOSTS = [*env.list("DJANGO_ALLOWED_HOSTS", default=["testserver"]), "127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "lmb",
    "crm",
    "catalog",
    "stock",
    "purchasing",
    "sales",
    "accounting",
    "dunning",
    "stats",
    "connectors.prestashop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lmb.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lmb.urls"
WSGI_APPLICATION = "lmb.wsgi.application"

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
                "lmb.context_processors.navigation",
            ],
            "builtins": ["lmb.templatetags.lmb"],
        },
    },
]
FORM_RENDERER = "lmb.forms.BootstrapFormRenderer"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 default, opted into now

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers: take the write lock when the transaction starts, so two
    # transactions that read then write (sequences, stock levels) wait instead of deadlocking.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    # PostgreSQL: parameters bound by the server, and a statement run twice on a connection is
    # prepared there, so the planner does not plan the same issuing statements again for every
    # invoice (Django disables psycopg's prepared statements by default). Behind a connection
    # pooler in transaction mode (PgBouncer < 1.21), set DATABASE_PREPARE_THRESHOLD=0 (off).
    # JIT compiling off: it costs about a second to compile the report statements (aged
    # balance, receivables, analyses) and never pays back on a back-office's statements.
    # Plans always made for the values bound: after five runs of a prepared statement PostgreSQL
    # may keep a generic plan, blind to the words searched — on a connection kept between requests
    # (``?conn_max_age=`` in DATABASE_URL) the product search by one reference then read the
    # whole catalogue (9 ms became 590 ms at 100,000 products). Re-planning costs a pay-to-ticket
    # (82 statements) about 6 ms; the statements are still parsed once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "server_side_binding": True,
            "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=2) or None,
            "options": "-c jit=off -c plan_cache_mode=force_custom_plan",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A PostgreSQL read replica for analyses and dashboards (lmb.routers): DATABASE_READ_URL.
READ_DATABASE_ALIAS = "default"
if env("DATABASE_READ_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_READ_URL")
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the tests read the primary through it
    READ_DATABASE_ALIAS = "replica"
    DATABASE_ROUTERS = ["lmb.routers.ReadReplicaRouter"]

# --- Cache, Celery, e-mail ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Without a broker the embedded setup runs every task in-process, at once.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not (REDIS_URL or env("CELERY_BROKER_URL", default="")))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What survives a killed worker (lmb/celery.py tells the whole story): a message is acknowledged
# once its task has run; a worker process killed mid-task gives it back at once (jobs) or as a
# retry bounded by the task's max_retries (every other task); a whole worker killed leaves its
# messages to Redis, which hands them out again after the visibility timeout. The timeout must
# outlast the longest time a message stays with a live worker: the longest retry countdown
# (send_push's backoff, 900 s: a message waiting for its ETA sits unacknowledged in the worker)
# plus the run of a task that is not a job (a shop poll, a minute or two). Jobs and the PrestaShop
# outbox do not wait for it: Celery beat's sweepers send them again within a minute or two.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_RETRY_ON_WORKER_LOST = True
VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=20 * 60)
# 20 minutes against Redis' default hour. A broker that vanished without closing the connection
# must not hold a request (a webhook, a till sale) for ever: each attempt to connect gives up after
# 5 s, and what was not sent is swept up later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": VISIBILITY_TIMEOUT, "socket_connect_timeout": 5}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Background jobs (lmb.jobs): a running job's worker writes a heartbeat every JOB_HEARTBEAT_SECONDS;
# a job whose heartbeat is older than three beats has lost its worker, and the sweeper (Celery beat,
# every minute) re-queues it, at most JOB_MAX_ATTEMPTS runs in all, then fails it with a message.
# A pending job whose message was sent JOB_REQUEUE_SECONDS ago and not taken is sent again.
JOB_HEARTBEAT_SECONDS = env.int("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=3 * JOB_HEARTBEAT_SECONDS)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
JOB_REQUEUE_SECONDS = env.int("JOB_REQUEUE_SECONDS", default=5 * 60)

# The Factur-X of an invoice or credit note is rendered and stored by a worker right after issue
# (sales.tasks.store_issued_pdf), so the first download, e-mail or archive reads it at once. Off,
# it is made on first use (the fallback, always there). Off by default when tasks run in-process:
# there the render (~0.5 s) would hold up the request that issues (a till sale).
ISSUED_PDF_ON_ISSUE = env.bool("ISSUED_PDF_ON_ISSUE", default=not CELERY_TASK_ALWAYS_EAGER)

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="LMB <no-reply@localhost>")

# --- Authentication and security --------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling: this many failures for one user name or one address lock it for the window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# Behind a reverse proxy, the client's address is the last one the proxy appends to X-Forwarded-For.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
# The PrestaShop client sends the webservice key with every request: by default it only calls
# public addresses (never this machine, its network, or a cloud metadata service). Set to 1 for
# a shop hosted on the local network.
PRESTASHOP_ALLOW_PRIVATE_ADDRESSES = env.bool("PRESTASHOP_ALLOW_PRIVATE_ADDRESSES", default=False)

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # probes call it over plain HTTP inside the network
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation: French first --------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
# Third-party assets come from the npm registry at install time (package.json); never committed.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    # Charts (dashboard, analyses): Chart.js, drawn by static/js/charts.js from the pages' data.
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lmb.api_access.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["lmb.api_access.RolePermissions"],
    "DEFAULT_PAGINATION_CLASS": "lmb.api_access.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "lmb.api_access.SearchFilter",
        "lmb.api_access.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "lmb.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "lmb.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LMB API",
    "DESCRIPTION": "API REST de LMB : catalogue, tiers, chronologie, tâches.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "crm.models.TimelineEntry.IncidentStatus",
        "ThirdPartyKindEnum": "crm.models.ThirdParty.Kind",
        "AddressKindEnum": "crm.models.Address.Kind",
        "TimelineEntryKindEnum": "crm.models.TimelineEntry.Kind",
        "ProductKindEnum": "catalog.models.Product.Kind",
        "StockMoveKindEnum": "stock.models.StockMove.Kind",
        "InventoryStatusEnum": "stock.models.Inventory.Status",
        "SupplierOrderStatusEnum": "purchasing.models.SupplierOrder.Status",
        "ReceptionStatusEnum": "purchasing.models.Reception.Status",
        "SupplierInvoiceStatusEnum": "purchasing.models.SupplierInvoice.Status",
        # Till (s5)
        "TicketKindEnum": "sales.till.models.Ticket.Kind",
        "CashMovementKindEnum": "sales.till.models.CashMovement.Kind",
        "TillEventKindEnum": "sales.till.models.TillEvent.Kind",
        "ClosureKindEnum": "sales.till.models.Closure.Kind",
        "SettlementEnum": "sales.models.CreditNote.Settlement",
        "ReturnSettlementEnum": "sales.till.serializers.RETURN_SETTLEMENTS",
        "RefundMethodEnum": "sales.till.serializers.REFUND_METHODS",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # WeasyPrint logs every rendering step at INFO; keep its warnings only.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
