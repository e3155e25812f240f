"""Which handler serves which job source: the one list the worker runtime builds from."""

from __future__ import annotations

from collections.abc import Iterable

from workers.config import Settings
from workers.errors import ConfigError
from workers.exports.job import ExportHandler
from workers.queue.handler import Handler, HandlerFactory
from workers.sources.broadcast.job import BroadcastHandler
from workers.sources.charts.job import ChartsHandler
from workers.sources.moodboard.job import MoodboardCheckHandler
from workers.sources.storage_cleanup.job import StorageCleanupHandler
from workers.sources.youtube.job import YouTubeHandler

__all__ = ["HANDLERS", "build_handlers"]

# source (music_video_metric_imports.source) -> factory(settings) -> Handler
HANDLERS: dict[str, HandlerFactory] = {
    "youtube": YouTubeHandler,
    "charts": ChartsHandler,
    "broadcast": BroadcastHandler,
    "export": ExportHandler,
    "moodboard_check": MoodboardCheckHandler,
    "storage_cleanup": StorageCleanupHandler,
}


def build_handlers(settings: Settings, sources: Iterable[str] | None = None) -> dict[str, Handler]:
    """Instantiate the handlers of ``sources`` (default: every source)."""
    wanted = set(sources) if sources is not None else set(HANDLERS)
    missing = wanted - set(HANDLERS)
    if missing:
        raise ConfigError(f"no handler for source(s) {sorted(missing)}; known: {sorted(HANDLERS)}")
    return {s: HANDLERS[s](settings) for s in sorted(wanted)}
