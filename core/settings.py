"""Settings read once from the environment (DESIGN §5)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.i18n import gettext as _

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = (
    '<a href="https://maps.gsi.go.jp/development/ichiran.html" target="_blank" rel="noopener">地理院タイル</a>'
)


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _hour(value: str | None, default: int) -> int | None:
    """An hour of the day (0-23), or None for "off"."""
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"off", "none", "no"}:
        return None
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError(f"an hour of the day is 0 to 23, not {hour}")
    return hour


def _secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, or one generated once and kept under var/ (development only)."""
    value = os.environ.get("SECRET_KEY")
    if value:
        return value
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


MIN_SECRET_KEY_LENGTH = 32
KNOWN_SECRET_KEYS = frozenset(
    {  # published keys: compose.yaml shipped the first one, and an attacker who knows a key forges admin cookies
        "change-me-to-a-long-random-string",
        "change-me",
        "changeme",
        "secret",
        "secret-key",
        "your-secret-key",
    }
)


class SettingsError(ValueError):
    """A setting the portal must not run with; the message says which and how to fix it."""


def check_secret_key(key: str, *, from_environment: bool, base_url: str) -> None:
    """Refuse a published SECRET_KEY always, and a missing or short one when the portal is public (``BASE_URL``
    is https): whoever knows the key can forge a staff session cookie and every CSRF token."""
    if key.strip().lower() in KNOWN_SECRET_KEYS:
        raise SettingsError(
            _("SECRET_KEY is a published example value; set a random one (see the README, 'Secret key').")
        )
    if not base_url.startswith("https://"):
        return
    if not from_environment:
        raise SettingsError(
            _("SECRET_KEY is not set; a public portal (BASE_URL is https) needs one (see the README, 'Secret key').")
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            _("SECRET_KEY is too short ({length} characters); use at least {minimum} random characters.").format(
                length=len(key), minimum=MIN_SECRET_KEY_LENGTH
            )
        )


@dataclass(frozen=True)
class Settings:
    """Every setting the portal and the commands read; see the README for each variable."""

    database_url: str
    secret_key: str
    base_url: str
    smtp_url: str | None
    redis_url: str | None
    tile_url: str
    tile_attribution: str
    secure_cookies: bool
    var_dir: Path
    data_credit: str | None = None  # the footer's data credit; None: the default map-tile credit
    mail_from: str = "outreach@localhost"
    plan_addressee: str = ""  # the 実施計画書's addressee as written on its cover (e.g. 金沢市長 宛); "": none
    contractor_name: str = ""  # the contractor who submits the 実施計画書 (its cover and cover sheet); "": none
    slot_minutes: int = 30
    slot_capacity: int = 6
    walk_in_share: float = 1 / 3
    outbox_interval: float = 5.0
    worker_poll_seconds: float = 2.0  # how often a job runner looks for due jobs and periodic tasks (core.jobs)
    job_lease_seconds: float = 300.0  # a running job whose runner stopped renewing its lease this long is run again
    serve_worker: bool = True  # `outreach serve` runs the job runner in each worker process (off: `outreach worker`)
    remind_hour: int | None = 9  # reminders for tomorrow's bookings are queued from this hour (Japan); None: cron
    purge_hour: int | None = 3  # the scheduled purge runs once a day from this hour (Japan); None: cron
    booking_cutoff_minutes: int = 60  # bookings close this long before a slot starts
    bookings_per_contact: int = 2  # active bookings one phone or email may hold at one booth
    max_party_size: int = 6
    booking_rate_limit: int = 60  # booking and lookup requests per client address per minute
    public_cache_seconds: float = 2.0  # how stale the public booth list may be (booking itself is always exact)
    booking_phone: str = ""  # the phone number flyers give for booking without a smartphone; "" for none
    no_show_after_minutes: int = 15  # a booking not checked in this long after its slot starts goes to walk-ins
    retention_days: int = 30  # contact data is erased this many days after the booth (DESIGN §7)
    waitlist_offer_minutes: int = 120  # a waiting list's offer holds its places this long (less near the booth)
    pickup_open_days: int = 31  # pickup reservations (交付予約) open this many days ahead
    pickup_close_hours: int = 24  # and close this many hours before the time
    pickup_slot_minutes: int = 30  # the length of a pickup reservation's time
    yield_prior_strength: float = 20.0  # applicants' worth of belief in the forecast before results (planner.yields)
    counter_grace_minutes: int = 5  # a reservation checked in this late after its slot starts still goes first
    ticket_notify_ahead: int = 3  # "your turn is near" goes to a ticket this many places from the front
    counter_stats_file: Path | None = None  # the city's monthly counter statistics (窓口統計) CSV; None: no comparison
    cli_language: str | None = None  # OUTREACH_LANG, else LANG: the language of the command line's output
    db_pool: bool = True  # DB_POOL=0: no PostgreSQL connection pool (tests whose client runs a second event loop)
    debug: bool = False
    session_max_age: int = field(default=8 * 3600)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_configured: Settings | None = None


def configure(settings: Settings | None) -> None:
    """Make ``settings`` the settings of this process: what ``get_settings()`` returns from now on. The portal's
    ``create_app(settings)`` does, so that the services its pages call read the settings the app was built with.
    None: back to the environment's."""
    global _configured
    _configured = settings


def get_settings() -> Settings:
    """The settings of this process: those configured (by ``create_app``), else the environment's."""
    return _configured if _configured is not None else environment_settings()


@lru_cache(maxsize=1)
def environment_settings() -> Settings:
    """The settings the environment gives, read once per process."""
    return read_settings()


def read_settings() -> Settings:
    """The settings the environment gives now (read afresh at every call; see ``environment_settings``)."""
    var_dir = Path(os.environ.get("OUTREACH_VAR_DIR", ROOT / "var"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'outreach.sqlite'}"
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    secret_key = _secret_key(var_dir)
    check_secret_key(secret_key, from_environment=bool(os.environ.get("SECRET_KEY")), base_url=base_url)
    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url,
        smtp_url=os.environ.get("SMTP_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        tile_url=os.environ.get("TILE_URL", DEFAULT_TILE_URL),
        tile_attribution=os.environ.get("TILE_ATTRIBUTION", DEFAULT_TILE_ATTRIBUTION),
        secure_cookies=_bool(os.environ.get("SECURE_COOKIES"), base_url.startswith("https://")),
        var_dir=var_dir,
        data_credit=os.environ.get("DATA_CREDIT") or None,
        mail_from=os.environ.get("MAIL_FROM") or "outreach@localhost",
        plan_addressee=(os.environ.get("PLAN_ADDRESSEE") or "").strip(),
        contractor_name=(os.environ.get("CONTRACTOR_NAME") or "").strip(),
        slot_minutes=int(os.environ.get("SLOT_MINUTES") or 30),
        slot_capacity=int(os.environ.get("SLOT_CAPACITY") or 6),
        walk_in_share=float(os.environ.get("WALK_IN_SHARE") or 1 / 3),
        outbox_interval=float(os.environ.get("OUTBOX_SEND_INTERVAL") or 5.0),
        worker_poll_seconds=float(os.environ.get("WORKER_POLL_SECONDS") or 2.0),
        job_lease_seconds=float(os.environ.get("JOB_LEASE_SECONDS") or 300.0),
        serve_worker=_bool(os.environ.get("SERVE_WORKER"), True),
        remind_hour=_hour(os.environ.get("REMIND_HOUR"), 9),
        purge_hour=_hour(os.environ.get("PURGE_HOUR"), 3),
        booking_cutoff_minutes=int(os.environ.get("BOOKING_CUTOFF_MINUTES") or 60),
        bookings_per_contact=int(os.environ.get("BOOKINGS_PER_CONTACT") or 2),
        max_party_size=int(os.environ.get("MAX_PARTY_SIZE") or 6),
        booking_rate_limit=int(os.environ.get("BOOKING_RATE_LIMIT") or 60),
        public_cache_seconds=float(os.environ.get("PUBLIC_CACHE_SECONDS") or 2.0),
        booking_phone=(os.environ.get("BOOKING_PHONE") or "").strip(),
        no_show_after_minutes=int(os.environ.get("NO_SHOW_AFTER_MINUTES") or 15),
        retention_days=int(os.environ.get("RETENTION_DAYS") or 30),
        waitlist_offer_minutes=int(os.environ.get("WAITLIST_OFFER_MINUTES") or 120),
        pickup_open_days=int(os.environ.get("PICKUP_OPEN_DAYS") or 31),
        pickup_close_hours=int(os.environ.get("PICKUP_CLOSE_HOURS") or 24),
        pickup_slot_minutes=int(os.environ.get("PICKUP_SLOT_MINUTES") or 30),
        yield_prior_strength=float(os.environ.get("YIELD_PRIOR_STRENGTH") or 20.0),
        counter_grace_minutes=int(os.environ.get("COUNTER_GRACE_MINUTES") or 5),
        ticket_notify_ahead=int(os.environ.get("TICKET_NOTIFY_AHEAD") or 3),
        counter_stats_file=Path(os.environ["COUNTER_STATS_FILE"]) if os.environ.get("COUNTER_STATS_FILE") else None,
        cli_language=os.environ.get("OUTREACH_LANG") or os.environ.get("LANG") or None,
        db_pool=os.environ.get("DB_POOL", "1") != "0",
        debug=_bool(os.environ.get("DEBUG"), False),
    )
