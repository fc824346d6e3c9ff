"""Imbizo settings. Everything that differs between machines comes from the environment."""

import json
import os
from pathlib import Path

import dj_database_url
import django_cache_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is not set (./imbizo sets one up in var/secret_key)")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "gisplatform",
    "accounts",
    "wards",
    "assets",
    "residents",
    "layers",
    "notices",
    "triage",
    "heatmaps",
    "directory",
    "channels",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "toolkit.middleware.RefuseNulCharacters",
    "toolkit.middleware.HeadWithoutBody",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gisplatform.urls"
WSGI_APPLICATION = "gisplatform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gisplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The README's commands export DATABASE_URL for the project-local PostGIS when none is given.
DATABASE_URL = os.environ.get("DATABASE_URL", "postgis://imbizo@127.0.0.1:54329/imbizo")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, engine="django.contrib.gis.db.backends.postgis")}
# Persistent connections: opening one costs about 15 ms, more than a whole point-in-ward lookup.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "300"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No JIT: every web query is short, and a compile set off by a high cost estimate can add 400 ms to a 9 ms lookup.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrPhoneBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = "en-za"
TIME_ZONE = "Africa/Johannesburg"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "imbizo@localhost")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["toolkit.api.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "EXCEPTION_HANDLER": "toolkit.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Imbizo API",
    "DESCRIPTION": "Citizen engagement for municipalities: areas, assets, facilities and issues.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's scripts come from the drf-spectacular-sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "toolkit.api.lift_defaults_out_of_one_of",
                             "toolkit.api.document_error_responses", "toolkit.api.required_text_is_not_empty"],
}

OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


def basemap_from_environment(environ) -> tuple[str, str, str]:
    """(tile URL template, attribution, MBTiles path). IMBIZO_TILE_URL names any tile server ("" for none:
    ward outlines only); else IMBIZO_BASEMAP_MBTILES, a raster MBTiles file the platform serves itself
    (fully offline installations); else OpenStreetMap's standard tiles, with the attribution they require."""
    mbtiles = environ.get("IMBIZO_BASEMAP_MBTILES", "")
    if "IMBIZO_TILE_URL" in environ:
        url, attribution = environ["IMBIZO_TILE_URL"], ""
    elif mbtiles:
        url, attribution = "/basemap/{z}/{x}/{y}", ""
    else:
        url, attribution = OSM_TILE_URL, OSM_ATTRIBUTION
    return url, environ.get("IMBIZO_TILE_ATTRIBUTION", attribution), mbtiles


# Imbizo's own settings, in one namespaced dict: toolkit/conf.py documents each with its default, and
# the code reads them through toolkit.conf.imbizo_setting.
IMBIZO = {
    "STORAGE_SRID": 4326,
    "SHARED_DATA": os.environ.get("IMBIZO_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")),
    "DEFAULT_MUNICIPALITY": os.environ.get("IMBIZO_DEFAULT_MUNICIPALITY", ""),
    "PUBLIC_URL": os.environ.get("IMBIZO_PUBLIC_URL", "http://127.0.0.1:8000"),
    # The street base map: OpenStreetMap's tiles unless IMBIZO_TILE_URL (or an MBTiles file) says otherwise.
    **dict(zip(("TILE_URL", "TILE_ATTRIBUTION", "BASEMAP_MBTILES"), basemap_from_environment(os.environ), strict=True)),
    # Email only: until an SMS or push gateway is configured here, their messages wait, queued.
    "CHANNELS": {"email": "notices.channels.EmailChannel"},
    "DELIVERY": os.environ.get("IMBIZO_DELIVERY", "celery"),
    "MEDIA_LIMITS": {"image": 15 * 2**20, "video": 50 * 2**20, "audio": 20 * 2**20, "pdf": 10 * 2**20},
    "MEDIA_PER_ISSUE": 10,
}
if IMBIZO["DELIVERY"] not in ("celery", "worker", "on_commit"):
    raise ImproperlyConfigured(f"IMBIZO_DELIVERY is '{IMBIZO['DELIVERY']}'; it must be 'celery', 'worker' or 'on_commit'.")

# django-leaflet draws the admin map widgets with its own packaged Leaflet (no CDN). A base
# layer is optional: the platform must work offline, so none is configured unless asked for.
LEAFLET_CONFIG = {
    "TILES": [("Base map", IMBIZO["TILE_URL"], {"attribution": IMBIZO["TILE_ATTRIBUTION"]})]
    if IMBIZO["TILE_URL"]
    else [],
    "DEFAULT_CENTER": (-26.5, 28.4),
    "DEFAULT_ZOOM": 9,
    "RESET_VIEW": False,
}

# GDAL 3.6 (Debian 12) cannot block network access from spatial references; Imbizo opens only
# files that staff chose to import, so the warning is acknowledged here rather than ignored.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- HTTPS and the Content-Security-Policy ---------------------------------------------------------
# The defaults suit http://127.0.0.1:8000; behind TLS, the variables of docs/operations.md
# ("Production") turn everything on, and `./imbizo manage check --deploy` is then clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_SSL_REDIRECT)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
# The header a TLS-terminating proxy sets to "https" (e.g. X-Forwarded-Proto). Only when that proxy
# always sets it, overwriting a client's: otherwise any client could claim a secure connection.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None

# django-csp. Every script and style is served by the site itself (no CDN); the few inline <script>
# and <style> elements carry the request's nonce (`{{ request.csp_nonce }}`), and scripts set styles
# through the CSSOM, which the policy does not restrict, so no 'unsafe-inline' is needed.
MIDDLEWARE.append("csp.middleware.CSPMiddleware")


def _csp_origin(url: str) -> list[str]:
    """The origin of a tile URL template as a CSP source ({s} subdomains become a wildcard)."""
    scheme, _, rest = url.partition("://")
    return [f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}"] if rest else []


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the images Leaflet's and Swagger UI's stylesheets carry; the optional base map's tiles.
        "img-src": [SELF, "data:", *_csp_origin(IMBIZO["TILE_URL"])],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "upgrade-insecure-requests": SECURE_SSL_REDIRECT,
        "report-uri": os.environ.get("CSP_REPORT_URI") or None,
    },
}
# --- Limits on abuse (docs/operations.md, "Limits on abuse") -----------------------------------
# A cache every worker process shares: rate-limit counters live there. CACHE_URL names it
# (`redis://host:6379/0`, `db://table`); the default is a table in the database, made by
# `migrate` (gisplatform.apps).
CACHES = {
    "default": django_cache_url.config(default="db://imbizo_cache"),
    # What each worker keeps for itself (aggregated map tiles, layers.views): never shared.
    "per_process": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # The same table, with an increment that two workers cannot interleave (toolkit/cache.py).
    CACHES["default"]["BACKEND"] = "toolkit.cache.DatabaseCache"
    # The stock limit (300 entries) would cull live counters; expired ones go first at this size.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 50_000)
IMBIZO["TRUSTED_PROXIES"] = int(os.environ.get("IMBIZO_TRUSTED_PROXIES", "0"))
if os.environ.get("IMBIZO_RATE_LIMITS"):
    # JSON in the shape of toolkit.conf's RATE_LIMITS (the scopes it names replace the defaults); "off": none.
    IMBIZO["RATE_LIMITS"] = (None if os.environ["IMBIZO_RATE_LIMITS"].strip().lower() == "off"
                             else json.loads(os.environ["IMBIZO_RATE_LIMITS"]))

# Failed log-ins lock out (django-axes): its backend first, its middleware last. The limits are
# Imbizo settings (LOGIN_FAILURE_LIMIT, LOGIN_COOL_OFF, ...), read by accounts.lockout.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "accounts.lockout.cool_off"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "toolkit.ratelimit.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_name"
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out are refused without being counted: a locked-out resident trying again
# does not lengthen the lockout (repeated lockouts do, accounts.lockout.cool_off).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Every failure is kept (not only the current streak): the cool-off doubles with each lockout of a day.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# --- SMS, WhatsApp and USSD (channels): outbound SMS and WhatsApp go through the provider accounts
# kept in the admin; their secrets there, or here from the environment as JSON, by name
# ({"lesedi-at": {"username": ..., "api_key": ...}}), named by an account's credentials_setting.
IMBIZO["CHANNELS"] = {**IMBIZO["CHANNELS"], "sms": "channels.outbound.SmsChannel",
                      "whatsapp": "channels.outbound.WhatsAppChannel"}
if os.environ.get("IMBIZO_CHANNEL_CREDENTIALS"):
    IMBIZO["CHANNEL_CREDENTIALS"] = json.loads(os.environ["IMBIZO_CHANNEL_CREDENTIALS"])
# --- CORS: web maps on other origins read the public APIs (django-cors-headers) -------------------------
# gisplatform.cors decides per request (public read paths, GET/HEAD, no credentials): never by path alone.
INSTALLED_APPS += ["corsheaders"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.common.CommonMiddleware"), "corsheaders.middleware.CorsMiddleware")
IMBIZO["CORS_ORIGINS"] = [origin.strip() for origin in os.environ.get("IMBIZO_CORS_ORIGINS", "*").split(",")
                          if origin.strip()]
CORS_URLS_REGEX = r"^(?!)"
CORS_ALLOW_ALL_ORIGINS = "*" in IMBIZO["CORS_ORIGINS"]
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "if-none-match", "if-modified-since", "if-range", "range"]
CORS_EXPOSE_HEADERS = ["Content-Crs", "Content-Disposition", "Content-Length", "Content-Range", "Accept-Ranges",
                       "ETag", "Link"]
CORS_PREFLIGHT_MAX_AGE = 86400
# --- Background work: Celery on Redis (gisplatform/celery.py, docs/operations.md "Background work") ---
# `./imbizo` starts a project-local Redis and exports REDIS_URL for it; set REDIS_URL to use another.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Task modules beyond the apps' `tasks` (autodiscovered).
CELERY_IMPORTS = ["notices.delivery"]
CELERY_TASK_IGNORE_RESULT = True  # tasks record their outcome in the database; a task that reports progress keeps its own
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Queues by kind, so a flood of notices never delays an issue's acknowledgement. Routes by task name
# (Celery 5.7 deprecates a task's own queue= option, which still wins where given).
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name} for name in ("messages", "fanout", "reports", "maintenance")}
CELERY_TASK_DEFAULT_QUEUE = "maintenance"
CELERY_TASK_ROUTES = {
    "notices.deliver*": {"queue": "messages"},
    "notices.sweep*": {"queue": "messages"},
    "channels.*": {"queue": "messages"},
    "*.fanout*": {"queue": "fanout"},
    "*report*": {"queue": "reports"},
    "imbizo.*": {"queue": "maintenance"},
}
# At least once: a task is acknowledged after it ran, and one whose worker died goes back on the
# queue. Every task is therefore idempotent (the outbox's claim makes a delivery run once).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
# Redis hands an unacknowledged task to another worker after this long: above the longest task and
# the longest retry countdown (a purge batch task re-queues itself; retries wait at most 10 minutes).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600, "socket_connect_timeout": 2}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues a task while Redis is away waits at most about a second, then goes on: the
# outbox sweep sends what was not queued (notices.tasks).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Celery's Django fix-up closes every database connection before and after each task unless this is
# set: a new PostgreSQL connection per task, half of a fan-out chunk's time. Connections follow
# CONN_MAX_AGE and CONN_HEALTH_CHECKS instead, as in a request (gisplatform/celery.py).
CELERY_DB_REUSE_MAX = 10**9
# A worker process that grew past 400 MB is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000
# Schedules live in the database, editable in the admin (django-celery-beat); gisplatform/schedules.py creates the defaults.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
INSTALLED_APPS += ["django_celery_beat"]
if os.environ.get("IMBIZO_CHANNEL_RATE_LIMITS"):
    # JSON, channel -> Celery rate per worker (e.g. {"sms": "20/s"}): what the SMS or WhatsApp provider allows.
    IMBIZO["CHANNEL_RATE_LIMITS"] = json.loads(os.environ["IMBIZO_CHANNEL_RATE_LIMITS"])

# --- Health and metrics (gisplatform/health.py, gisplatform/metrics.py) --------------------------
SECURE_REDIRECT_EXEMPT += [r"^readyz$", r"^metrics$"]
# Request latency per view (django-prometheus): first and last of the middleware.
MIDDLEWARE = ["django_prometheus.middleware.PrometheusBeforeMiddleware", *MIDDLEWARE,
              "django_prometheus.middleware.PrometheusAfterMiddleware"]
if os.environ.get("IMBIZO_METRICS_ALLOW"):
    IMBIZO["METRICS_ALLOW"] = env_list("IMBIZO_METRICS_ALLOW", "")
if os.environ.get("IMBIZO_READY_QUEUE_LIMIT"):
    IMBIZO["READY_QUEUE_LIMIT"] = int(os.environ["IMBIZO_READY_QUEUE_LIMIT"])

# --- Behind PgBouncer in transaction mode (docs/operations.md "Connection pooling") ------------------
# A server connection serves another client after each transaction: no server-side cursors (they live
# past a transaction), no startup options (PgBouncer refuses them: set jit = off on the role instead).
if env_bool("DATABASE_PGBOUNCER"):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"]["OPTIONS"].pop("options", None)
# --- Reads off the primary (docs/operations.md "Read replica"; toolkit/replica.py, gisplatform/replica.py) ---
# A streaming replica of the primary: the heavy public GET views (tiles, OGC items, downloads, heatmap
# figures, public issue lists) read from it while it is healthy; the tests mirror "default" onto it.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {**dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"],
                                                    engine="django.contrib.gis.db.backends.postgis"),
                            "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"], "CONN_HEALTH_CHECKS": True,
                            "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS", False),
                            "TEST": {"MIRROR": "default"}}
    # A replica that is down answers "no" within 2 s and the reads go to the primary.
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], "connect_timeout": 2}
    DATABASE_ROUTERS = ["gisplatform.replica.ReplicaRouter"]
for _name in ("REPLICA_MAX_LAG_S", "REPLICA_CHECK_INTERVAL_S"):
    if os.environ.get(f"IMBIZO_{_name}"):
        IMBIZO[_name] = float(os.environ[f"IMBIZO_{_name}"])
# --- Residents' accounts (django-allauth; docs/architecture.md, "Residents") ----------------------
# Sign up and log in by email (password or emailed code) or by mobile number (SMS code); codes and
# links go out through notices.outbound.notify (gisplatform.account_adapter). Staff keep /admin/login/.
INSTALLED_APPS += ["allauth", "allauth.account"]
MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "allauth.account.middleware.AccountMiddleware")
ACCOUNT_ADAPTER = "gisplatform.account_adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
# Email or phone, each optional in the form; accounts.forms.SignupForm requires one of them.
ACCOUNT_SIGNUP_FIELDS = ["email", "phone", "password1"]
ACCOUNT_EMAIL_VERIFICATION = "optional"  # sent on sign-up; claiming past reports needs it verified
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}  # typed on a phone keypad
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None  # ask ("Remember me"); otherwise the session ends with the browser
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Imbizo: "
# Codes, resets, sign-ups and log-in failures are limited by allauth's own default rates (its
# ACCOUNT_RATE_LIMITS), counted in the shared cache per address and per email or number.
LOGIN_REDIRECT_URL = "/me/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
SILENCED_SYSTEM_CHECKS += ["account.W001"]  # neither email nor phone is required alone: one of them is (the form)
# --- Languages (docs/architecture.md, "Languages") ------------------------------------------------
# The resident pages in English, Afrikaans, isiZulu, Sesotho and isiXhosa: the language comes from the person's
# choice (a cookie set by /i18n/setlang/, and Preferences.language for a resident who logs in), else
# the browser's Accept-Language. A language whose catalogue is under 80% translated is not offered
# (gisplatform/languages.py; `manage.py translation_coverage` prints the figures).
from django.conf.locale import LANG_INFO  # noqa: E402

# Django ships no isiZulu, Sesotho or isiXhosa locale: their names, for the switcher and get_language_info.
LANG_INFO.update({
    "zu": {"bidi": False, "code": "zu", "name": "Zulu", "name_local": "isiZulu"},
    "st": {"bidi": False, "code": "st", "name": "Southern Sotho", "name_local": "Sesotho"},
    "xh": {"bidi": False, "code": "xh", "name": "Xhosa", "name_local": "isiXhosa"},
})
LANGUAGES = [("en", "English"), ("af", "Afrikaans"), ("zu", "isiZulu"), ("st", "Sesotho"), ("xh", "isiXhosa")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "imbizo_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
                  "django.middleware.locale.LocaleMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "gisplatform.languages.PreferredLanguageMiddleware")
TEMPLATES[0]["OPTIONS"]["context_processors"] += ["gisplatform.languages.offered_languages",
                                                  "gisplatform.basemap.basemap"]
