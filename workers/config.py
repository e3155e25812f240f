"""Settings, read from the environment with the ``MV_`` prefix (or a ``.env`` file).

Build them once in ``main()`` with :func:`load_settings` and pass them down; nothing reads the
environment at import time. There are no default secrets: the YouTube key and the Supabase
service key are ``None`` until configured, and what needs them refuses to start without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.errors import ConfigError

DEFAULT_KEY_NAME = "default"  # the single MV_YOUTUBE_API_KEY's name in the quota count
YOUTUBE_DAILY_UNITS_DEFAULT = 10_000  # a YouTube Data API project's default daily quota


class YouTubeApiKey(BaseModel):
    """One YouTube Data API key and the units it may spend per quota day (its project's quota).

    ``name`` identifies the key in the shared quota count (``private.youtube_quota_usage``) and in
    logs; the key itself never leaves the settings.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    key: SecretStr
    daily_units: int = Field(YOUTUBE_DAILY_UNITS_DEFAULT, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MV_", env_file=".env", extra="ignore",
                                      env_nested_delimiter="__")

    # Database (every command needs it; `python -m devtools run` points it at the embedded cluster).
    database_url: str | None = None
    db_pool_min: int = 1
    db_pool_max: int = 10

    # Worker runtime (the import table is the job queue).
    worker_concurrency: int = Field(4, ge=1, le=256)
    poll_interval: float = Field(2.0, gt=0, description="seconds between polls when NOTIFY is silent")
    lease_seconds: float = Field(60.0, gt=0)
    max_attempts: int = Field(5, ge=1)
    backoff_base: float = Field(2.0, gt=0, description="seconds; doubled per attempt, with jitter")
    backoff_max: float = Field(900.0, gt=0)
    shutdown_grace: float = Field(20.0, ge=0)
    claim_batch: int = Field(50, ge=1, le=500)
    # Sources this worker serves (None: every registered handler), e.g. MV_WORKER_SOURCES='["youtube"]'.
    worker_sources: list[str] | None = None
    # Sources this worker leaves alone although it could be asked to serve them: a worker refuses
    # to start for a source it cannot serve (no YouTube key, no chart feed) unless it is listed
    # here (or in --skip-sources), and it never claims a skipped source's jobs.
    worker_skip_sources: list[str] = Field(default_factory=list)
    # Port of the worker's Prometheus endpoint (None: not served); `music-videos worker --metrics-port`.
    worker_metrics_port: int | None = Field(None, ge=0, le=65535)

    # YouTube Data API v3.
    youtube_api_key: SecretStr | None = None
    # When deployed: name of the Supabase Vault secret holding the key (used if the env var is unset).
    youtube_api_key_secret: str | None = None
    youtube_base_url: str = "https://www.googleapis.com/youtube/v3"
    # The units every key together may spend per quota day (Pacific time); the nightly plans within it.
    youtube_daily_units: int = Field(YOUTUBE_DAILY_UNITS_DEFAULT, ge=0)
    # Several keys, each with its own budget, tried in order; a key YouTube answers quotaExceeded
    # for is skipped until the quota resets, and only when all are spent is the source paused, e.g.
    # MV_YOUTUBE_API_KEYS='[{"name": "a", "key": "...", "daily_units": 10000}, {"name": "b", "key": "..."}]'.
    # Without it, MV_YOUTUBE_API_KEY (or its Vault secret) is the one key, named "default", with
    # MV_YOUTUBE_DAILY_UNITS as its budget.
    youtube_api_keys: list[YouTubeApiKey] = Field(default_factory=list)
    http_timeout: float = Field(10.0, gt=0)

    # Chart feeds: chart id -> URL or local path (a ``{date}`` placeholder takes the chart date).
    chart_locations: dict[str, str] = Field(default_factory=dict)

    # Broadcast CSV imports.
    broadcast_max_error_ratio: float = Field(0.5, ge=0, le=1)
    broadcast_day_first: bool = False

    # Storage of raw payloads, broadcast uploads and exports.
    storage_backend: Literal["local", "supabase"] = "local"
    # Relative paths resolve against the working directory (the checkout under `scripts/run`).
    storage_local_dir: Path = Path(".local") / "storage"
    supabase_url: str | None = None
    # Raw payloads fetched while Storage is down wait here (workers.raw_spool) until the worker,
    # when idle, uploads them: a fetch that cost API quota is never repeated nor lost for an outage.
    raw_spool_dir: Path = Path(".local") / "raw-spool"
    supabase_service_key: SecretStr | None = None

    # Partner webhooks (workers/service/): partner source -> its Standard Webhooks secrets
    # ("whsec_<base64>"), e.g. MV_WEBHOOK_SECRETS='{"mtv": ["whsec_..."]}'. Two at once during a
    # rotation (the old one and the new one); a source without a secret accepts nothing.
    webhook_secrets: dict[str, list[SecretStr]] = Field(default_factory=dict)
    # The PubSubHubbub topics we subscribe to at Google's hub (workers/service/hub.py), exactly as
    # subscribed, e.g. ["https://www.youtube.com/xml/feeds/videos.xml?channel_id=UC..."]: the hub's
    # verification GET is confirmed for these only.
    webhook_youtube_hub_topics: list[str] = Field(default_factory=list)
    # A push's body is read up to this many bytes; a longer one is refused (413) while reading.
    webhook_max_body_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Delivery rows (the replay check by webhook-id) older than this are purged by the scheduler:
    # a replay outside the Standard Webhooks timestamp window (5 minutes either way) is refused by
    # its signature check first, so a row serves at most 10 minutes; the rest is a margin (clocks).
    webhook_delivery_retention_seconds: int = Field(3600, ge=600)
    # How often the scheduler purges, and how many rows per statement (at most 100 statements a run).
    webhook_purge_interval_seconds: int = Field(300, ge=10)
    webhook_purge_batch: int = Field(5000, ge=1, le=100_000)
    # The HTTP service (`music-videos service`): where it listens and how many processes.
    service_host: str = "127.0.0.1"
    service_port: int = Field(54331, ge=0, le=65535)
    service_workers: int = Field(2, ge=1, le=64)
    # Database connections per service process.
    service_db_pool_max: int = Field(8, ge=1, le=200)
    # Group commit of the intake (workers/service/batcher.py): at most this many pushes per
    # statement (below 64, PostgreSQL's per-backend cache of subtransaction ids: a YouTube push's
    # enqueue runs in one of its own), and at most this many waiting per process before the
    # service answers 503 instead of queueing longer.
    service_intake_batch_max: int = Field(50, ge=1, le=60)
    service_intake_queue_max: int = Field(1024, ge=1, le=100_000)
    # Batches in flight at once per process (the next one forms while they run).
    service_intake_inflight: int = Field(2, ge=1, le=16)

    # The nightly scheduler.
    sync_cron: str = "0 3 * * *"
    sync_timezone: str = "UTC"
    # On start, the scheduler re-runs (idempotently) a nightly run that fired this recently.
    sync_catchup_hours: float = Field(6.0, ge=0)

    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def _empty_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _unique_key_names(self) -> Settings:
        names = [k.name for k in self.youtube_api_keys]
        if len(names) != len(set(names)):
            raise ValueError("MV_YOUTUBE_API_KEYS: every key needs its own name")
        return self

    def youtube_key_budgets(self) -> dict[str, int]:
        """Each key's daily units by name, as the nightly planner and the quota count know them."""
        if self.youtube_api_keys:
            return {k.name: k.daily_units for k in self.youtube_api_keys}
        return {DEFAULT_KEY_NAME: self.youtube_daily_units}

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError("MV_DATABASE_URL is not set: give the PostgreSQL URL of the database to work on "
                              "(for the embedded development database: python -m devtools db url)")
        return self.database_url

    def webhook_secret_values(self, source: str) -> list[str]:
        """The configured secrets of one webhook source (empty: the source accepts nothing)."""
        return [s.get_secret_value() for s in self.webhook_secrets.get(source, []) if s.get_secret_value()]

    def require_youtube_key(self) -> str:
        if self.youtube_api_key is None or not self.youtube_api_key.get_secret_value():
            raise ConfigError("MV_YOUTUBE_API_KEY is not set")
        return self.youtube_api_key.get_secret_value()


def load_settings(**overrides) -> Settings:
    return Settings(**overrides)
