"""Service settings: defaults, then environment variables, then explicit arguments.

Every setting is documented in the README (a test checks). Outside dev mode the service refuses
to start with a missing or placeholder secret key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from geo import DISTRICT_ADCODE
from geo.adcodes import is_county_code
from geo.errors import InputError
from geo.messages import Term, quoted, text
from geo.sqlite_urls import sqlite_held_in_memory, sqlite_url_holds_nul
from maps.basemap import Basemap

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "development"}
MIN_SECRET_LENGTH = 32
DEV_SECRET = "development-only-secret-not-for-production-use"
MIN_REPLICA_LAG_S, MAX_REPLICA_LAG_S = 0.1, 3600.0
# A worker's database connections: at least one; more than 100 would pass PostgreSQL's default max_connections
# from one worker alone.
MIN_CONNECTIONS, MAX_CONNECTIONS = 1, 100
MAX_UPLOAD_SECONDS = 86_400  # a day: no upload takes longer on any network a phone has
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgis://", "postgresql+psycopg://")
# sqlite:/// then the file (or sqlite:// alone, refused below as a database in memory); `sqlite://var/x.db`, a
# slash short, names a host SQLite has not
_DATABASE_URL_FORM = re.compile(r"sqlite(\+\w+)?:///|sqlite(\+\w+)?://$|(postgresql|postgres|postgis)(\+\w+)?://")
DATABASE_URL_FIELD = "--database-url / XINCHENG_DATABASE_URL"
NEW_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # how to make a secret key


@dataclass(frozen=True)
class Settings:
    """All settings of one service instance (environment variable: XINCHENG_ + upper-case name)."""

    database_url: str = "sqlite:///var/xincheng.db"
    # The service's own district (its pages' and commands' default); a PostGIS database holds many (#19).
    district: str = DISTRICT_ADCODE
    secret_key: str = ""
    dev_mode: bool = False
    token_ttl_minutes: int = 480
    default_page_size: int = 100
    max_page_size: int = 1000
    max_upload_bytes: int = 50 * 1024 * 1024
    max_request_bytes: int = 8 * 1024 * 1024
    max_concurrent_imports: int = 2
    # An upload that sends nothing for this long is answered 408 and its import place given back (a phone that lost
    # its signal mid-upload often never closes its connection).
    upload_stall_seconds: int = 60
    # ... and one that arrives slower than this on average is answered 408 too (Apache's MinRate): it may take
    # upload_stall_seconds plus a second for each this many bytes, so a trickle does not hold an import place.
    upload_min_bytes_per_second: int = 500
    # ... and no body may take longer than this, however it arrives (a client sending at exactly the minimum rate).
    upload_max_seconds: int = 1800
    # Database connections a worker process keeps open and never exceeds (geo.store.store.pool_options).
    database_connections: int = 10
    log_level: str = "INFO"
    cookie_secure: bool = True
    public_base_url: str = "http://127.0.0.1:8000"
    qr_keys: str = ""
    public_rate_per_minute: int = 120
    report_rate_per_hour: int = 10
    login_max_failures: int = 5
    login_window_minutes: int = 15
    basemap_url: str = ""
    basemap_attribution: str = ""
    basemap_review_number: str = ""
    # A streaming read replica for the public reads (#19): empty is none. Reads go to the primary while
    # the replica is down or more than replica_max_lag_s behind (geo/store/replica.py).
    replica_url: str = ""
    replica_max_lag_s: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, require_secret: bool = True,
                 **overrides: object) -> Settings:
        """Build settings from defaults, ``XINCHENG_*`` variables and ``overrides``, validated."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"XINCHENG_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("bool", bool):
                word = raw.strip().lower()
                if word not in TRUE_WORDS + FALSE_WORDS:  # a typo must not turn a safeguard off
                    raise InputError(text("settings.not_a_switch", field=f"XINCHENG_{f.name.upper()}",
                                          value=quoted(raw, max_chars=20), words=", ".join(TRUE_WORDS + FALSE_WORDS)),
                                     field=f.name)
                values[f.name] = word in TRUE_WORDS
            elif f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise InputError(text("settings.not_whole", field=f"XINCHENG_{f.name.upper()}",
                                          value=quoted(raw, max_chars=20)), field=f.name) from None
            elif f.type in ("float", float):
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise InputError(text("replica.not_a_number", field=f"XINCHENG_{f.name.upper()}",
                                          value=quoted(raw, max_chars=20)), field=f.name) from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).validated(require_secret=require_secret)  # type: ignore[arg-type]

    @property
    def basemap(self) -> Basemap | None:
        """Return the configured tile basemap, or ``None`` (maps then draw without tiles, offline)."""
        if not self.basemap_url.strip():
            return None
        return Basemap(self.basemap_url, self.basemap_attribution, self.basemap_review_number or None)

    def validated(self, *, require_secret: bool = True) -> Settings:
        """Return these settings checked; a dev instance gets a dev secret if it has none."""
        for name in ("token_ttl_minutes", "default_page_size", "max_page_size", "max_upload_bytes", "max_request_bytes",
                     "max_concurrent_imports", "upload_stall_seconds", "upload_min_bytes_per_second",
                     "upload_max_seconds", "public_rate_per_minute", "report_rate_per_hour",
                     "login_max_failures", "login_window_minutes"):
            if getattr(self, name) <= 0:
                raise InputError(text("settings.not_positive", field=f"XINCHENG_{name.upper()}",
                                      value=quoted(getattr(self, name), max_chars=20)), field=name)
        if self.log_level.upper() not in LOG_LEVELS:
            raise InputError(text("settings.not_a_choice", field="XINCHENG_LOG_LEVEL",
                                  value=quoted(self.log_level, max_chars=20),
                                  allowed=", ".join(LOG_LEVELS)), field="log_level")
        # an upload's pace (api/body_pace.py): a 400-digit rate was accepted and overflowed formatting the 408 (review)
        # and the other counts a worker keeps in memory, opens or runs at once (400 digits were accepted: review)
        bounds = {"upload_stall_seconds": (1, MAX_UPLOAD_SECONDS // 24),
                  "upload_min_bytes_per_second": (1, 10_000_000),
                  "upload_max_seconds": (min(self.upload_stall_seconds, MAX_UPLOAD_SECONDS), MAX_UPLOAD_SECONDS),
                  "max_concurrent_imports": (1, 64), "max_page_size": (1, 100_000),
                  "database_connections": (MIN_CONNECTIONS, MAX_CONNECTIONS)}
        for name, (low, high) in bounds.items():
            if not low <= getattr(self, name) <= high:
                stall = "XINCHENG_UPLOAD_STALL_SECONDS"  # the longest time's lower bound is that setting's value
                shown_low = (Term(f"{low:,}（{stall}）", f"{low:,} ({stall})") if name == "upload_max_seconds"
                             else f"{low:,}")
                raise InputError(text("settings.out_of_range", field=f"XINCHENG_{name.upper()}", low=shown_low,
                                      high=f"{high:,}", value=quoted(getattr(self, name), max_chars=20)), field=name)
        if not is_county_code(self.district):  # ASCII digits, a province's, no city's: １５０１０２, 999999
            raise InputError(text("districts.not_a_code", field="--district / XINCHENG_DISTRICT",
                                  value=quoted(self.district, max_chars=20)), field="district")
        if self.default_page_size > self.max_page_size:
            raise InputError(text("settings.page_sizes", field="XINCHENG_DEFAULT_PAGE_SIZE",
                                  limit="XINCHENG_MAX_PAGE_SIZE", default=self.default_page_size,
                                  maximum=self.max_page_size), field="default_page_size")
        if self.basemap_url.strip() and not self.basemap_attribution.strip():
            raise InputError(text("settings.attribution_needed", field="XINCHENG_BASEMAP_ATTRIBUTION",
                                  url_field="XINCHENG_BASEMAP_URL"), field="basemap_attribution")
        if not _DATABASE_URL_FORM.match(self.database_url):  # an empty value, a space before it, SQLITE:, sqlite:
            raise InputError(text("store.database_url", field=DATABASE_URL_FIELD,
                                  value=quoted(self.database_url, max_chars=60)),
                             field="database_url")
        if sqlite_url_holds_nul(self.database_url):  # `%00`: SQLite and the system read it apart
            raise InputError(text("store.database_url_nul", field=DATABASE_URL_FIELD,
                                  value=quoted(self.database_url, max_chars=60)), field="database_url")
        if sqlite_held_in_memory(self.database_url):
            raise InputError(text("settings.memory_database", field=DATABASE_URL_FIELD,
                                  value=quoted(self.database_url, max_chars=60)), field="database_url")
        self._check_replica()
        if self.dev_mode:
            return self if self.secret_key else replace(self, secret_key=DEV_SECRET)
        if not require_secret:
            return self
        if self.secret_key == DEV_SECRET:
            raise InputError(text("settings.dev_secret", field="XINCHENG_SECRET_KEY", how=NEW_SECRET),
                             field="secret_key")
        if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < MIN_SECRET_LENGTH:
            raise InputError(text("settings.weak_secret", field="XINCHENG_SECRET_KEY", length=MIN_SECRET_LENGTH,
                                  how=NEW_SECRET), field="secret_key")
        return self

    def _check_replica(self) -> None:
        """Refuse a replica that is not PostgreSQL (or beside a SQLite primary), the primary itself, or a
        lag bound that is not a sane number of seconds."""
        if not (MIN_REPLICA_LAG_S <= self.replica_max_lag_s <= MAX_REPLICA_LAG_S):  # NaN fails too
            raise InputError(text("replica.bad_lag", field="XINCHENG_REPLICA_MAX_LAG_S",
                                  value=quoted(self.replica_max_lag_s, max_chars=20)), field="replica_max_lag_s")
        url = self.replica_url.strip()
        if not url:
            return
        if not (url.startswith(_POSTGRES_PREFIXES) and self.database_url.startswith(_POSTGRES_PREFIXES)):
            raise InputError(text("replica.not_postgres", field="XINCHENG_REPLICA_URL",
                                  value=quoted(url.split(":")[0], max_chars=20)),
                             field="replica_url")
        if url == self.database_url.strip():
            raise InputError(text("replica.same_as_primary", field="XINCHENG_REPLICA_URL"), field="replica_url")
