"""Imbizo's own settings: one namespaced dict, `settings.IMBIZO`, read through `imbizo_setting(name)`.

DEFAULTS lists every setting with its default; a deployment's `IMBIZO` overrides any of them (as DRF's
`api_settings` reads `REST_FRAMEWORK`). gisplatform/settings.py fills `IMBIZO` from the environment.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    # The one storage SRID: every geometry column is WGS 84 longitude/latitude.
    "STORAGE_SRID": 4326,
    # Where the real reference data lives (tests and the demo); absent in a user's own clone.
    "SHARED_DATA": str(Path(__file__).resolve().parents[2] / "shared" / "data"),
    # The country (ISO 3166 alpha-2) whose way of writing phone numbers is assumed where no
    # municipality says otherwise (logging in by phone); each municipality has its own country.
    "DEFAULT_COUNTRY": "ZA",
    # The municipality code the public home page shows when the URL names none ("": the first with real boundaries).
    "DEFAULT_MUNICIPALITY": "",
    # The address residents reach the site at, for links in messages.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # The street base map's tile URL template ("": none, ward outlines only) and the attribution it requires
    # (HTML); gisplatform/settings.py makes OpenStreetMap's tiles the default.
    "TILE_URL": "",
    "TILE_ATTRIBUTION": "",
    # A raster MBTiles file served at /basemap/{z}/{x}/{y} for installations with no internet ("": none).
    "BASEMAP_MBTILES": "",
    # Outbound channels (notices.channels): channel name -> dotted path of a class with deliver(message).
    "CHANNELS": {"email": "notices.channels.EmailChannel"},
    # Who sends messages (notices.outbound): "celery", a Celery task sent after the commit (notices.tasks);
    # "worker", the LISTEN/NOTIFY delivery worker (notices.worker); "on_commit", the request itself.
    "DELIVERY": "celery",
    # Celery rate limits per worker for each channel's delivery task (e.g. {"sms": "20/s"}): a provider's limit.
    "CHANNEL_RATE_LIMITS": {},
    # Seconds a message may stay queued before the outbox sweep queues its delivery task again
    # (Redis lost it, or it was never sent because Redis was away).
    "OUTBOX_DEADLINE": 300,
    # /readyz answers 503 when a Celery queue holds more tasks than this (the workers are not keeping up).
    "READY_QUEUE_LIMIT": 100_000,
    # The read replica (DATABASE_REPLICA_URL, toolkit.replica): reads go to the primary while the replica
    # is further behind than this many seconds or down; each process checks it at most this often.
    "REPLICA_MAX_LAG_S": 5.0,
    "REPLICA_CHECK_INTERVAL_S": 2.0,
    # Networks (CIDR) that may read /metrics: the machine itself unless the monitoring network is added.
    "METRICS_ALLOW": ["127.0.0.1/32", "::1/128"],
    # Issue media (triage.media): the largest upload per kind, in bytes, and files per issue.
    "MEDIA_LIMITS": {"image": 15 * 2**20, "video": 50 * 2**20, "audio": 20 * 2**20, "pdf": 10 * 2**20},
    "MEDIA_PER_ISSUE": 10,
    # The most pixels an uploaded image (issue photos, logos, facility photos) may have, read from its header
    # before decoding: a 48-megapixel phone photo fits; decoding 88 megapixels took 4.7 s and 252 MB.
    "IMAGE_MAX_PIXELS": 50_000_000,
    # How each interface answers errors no view answered (toolkit.errors): path prefix -> dotted path of a
    # function (request, status, message, parameter) -> response. Other paths are pages: Django's error pages.
    "ERROR_FORMATS": {
        "/api/": "toolkit.errors.rest_error",
        "/open311/": "triage.open311.views.error_response",
        "/ogc": "toolkit.errors.coded_error",
        "/tiles/": "toolkit.errors.coded_error",
        "/layers/": "toolkit.errors.coded_error",
    },
    # Limits on writes (toolkit.ratelimit): per scope, a rate per client (account, API key or
    # X-Client-Id), per IP address, and per IP address and issue. A deployment's RATE_LIMITS replaces
    # the scopes it names; a rate of None lifts that limit, {} a scope's, and RATE_LIMITS None all of
    # them (benchmarks). Per-IP rates are generous: mobile networks put many residents behind one address.
    "RATE_LIMITS": {
        "report": {"client": "20/hour", "ip": "100/hour"},  # POST /api/v1/issues
        "comment": {"client": "30/hour", "ip": "120/hour"},  # POST .../comments
        "upvote": {"client": "120/hour", "ip": "300/hour", "ip_target": "10/day"},  # "me too"
        "follow": {"client": "30/hour", "ip": "60/hour", "ip_target": "5/day"},  # POST .../follow
        "media": {"client": "60/hour", "ip": "200/hour"},  # uploads and the photo-location check
        "login": {"client": "20/hour", "ip": "60/hour"},  # admin log-in posts; client: the login name
        "open311": {"client": "1000/hour", "ip": "2000/hour"},  # Open311 POSTs; client: the api_key
        "channel": {"client": "60/hour"},  # messages from one phone by SMS, WhatsApp or USSD; client: the number
    },
    # How many proxies in front of the app append to X-Forwarded-For (0: the client is REMOTE_ADDR).
    # `./imbizo run` adds its own nginx to the count.
    "TRUSTED_PROXIES": 0,
    # Failed log-ins (django-axes, accounts.lockout): a login name is locked on one address after
    # this many failures, first for LOGIN_COOL_OFF seconds, twice as long for each lockout of the
    # address in the last day, at most LOGIN_COOL_OFF_MAX.
    "LOGIN_FAILURE_LIMIT": 5,
    "LOGIN_COOL_OFF": 15 * 60,
    "LOGIN_COOL_OFF_MAX": 24 * 3600,
    # SMS, WhatsApp and USSD (channels): provider secrets by name (ProviderAccount.credentials_setting),
    # and the minutes an unfinished conversation waits for its next answer.
    "CHANNEL_CREDENTIALS": {},
    "CONVERSATION_MINUTES": 30,
    # CORS (gisplatform.cors, django-cors-headers): the origins whose web pages may read the public APIs
    # (["*"]: any; []: none), and the paths that are public reads. Only GET and HEAD (and their preflight)
    # without credentials get the headers: staff endpoints, writes, and requests carrying a session cookie
    # or an Authorization header never do.
    "CORS_ORIGINS": ["*"],
    "CORS_PUBLIC_PATHS": [
        r"^/ogc(/|$)",  # OGC API - Features (public collections; staff ones answer 401 without credentials)
        r"^/tiles/",  # vector tiles and TileJSON
        r"^/layers/",  # downloads and QGIS projects
        r"^/open311/v2/",  # Open311 GeoReport v2 reads
        r"^/api/v1/(areas/lookup|wards/|municipalities/|facilities/|facilities/nearest|facility-types/"
        r"|assets/nearest|categories|issues|issues/clusters|issues/[^/]+|issues/[^/]+/(history|comments))$",
    ],
    # Layer downloads (layers.downloads): where exports are spooled ("": the system's temporary folder), and
    # how long HEAD and range requests (GDAL's /vsicurl/ reading a GeoPackage in pieces) reuse one.
    "DOWNLOAD_SPOOL_DIR": "",
    "DOWNLOAD_REUSE_SECONDS": 600,
    # Days a follow-by-email confirmation link stays valid (triage.issues.services.issue_follow).
    "FOLLOW_CONFIRMATION_DAYS": 7,
}


def imbizo_setting(name: str):
    """`settings.IMBIZO[name]`, else its default; a name not in DEFAULTS is a mistake, not a None."""
    if name not in DEFAULTS:
        raise ImproperlyConfigured(f"'{name}' is not an Imbizo setting (toolkit.conf.DEFAULTS lists them).")
    return getattr(settings, "IMBIZO", {}).get(name, DEFAULTS[name])


def storage_srid() -> int:
    """The SRID of every geometry column."""
    return imbizo_setting("STORAGE_SRID")


# For geometry field declarations: read once, as the models load. Migrations record the number, so a
# different storage SRID needs migrations of its own.
STORAGE_SRID: int = storage_srid()


def shared_data_dir() -> Path:
    """The real reference data beside the project (../shared/data) or IMBIZO_SHARED_DATA."""
    return Path(imbizo_setting("SHARED_DATA"))
