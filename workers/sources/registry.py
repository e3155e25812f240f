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
from workers.sources.webhook.job import WebhookHandler
from workers.sources.youtube.job import YouTubeHandler

__all__ = ["HANDLERS", "build_handlers", "build_serving_handlers", "unservable"]

# source (music_video_metric_imports.source) -> factory(settings) -> Handler
HANDLERS: dict[str, HandlerFactory] = {
    "youtube": YouTubeHandler,
    "charts": ChartsHandler,
    "broadcast": BroadcastHandler,
    "export": ExportHandler,
    "moodboard_check": MoodboardCheckHandler,
    "storage_cleanup": StorageCleanupHandler,
    "webhook": WebhookHandler,
}


def build_handlers(settings: Settings, sources: Iterable[str] | None = None) -> dict[str, Handler]:
    """Instantiate the handlers of ``sources`` (default: every source)."""
    wanted = set(sources) if sources is not None else set(HANDLERS)
    missing = wanted - set(HANDLERS)
    if missing:
        raise ConfigError(f"no handler for source(s) {sorted(missing)}; known: {sorted(HANDLERS)}")
    return {s: HANDLERS[s](settings) for s in sorted(wanted)}


def unservable(settings: Settings, sources: Iterable[str]) -> dict[str, str]:
    """source -> why a worker with these settings cannot serve it (the handler class's
    ``cannot_serve(settings)``: no YouTube key, no chart feed), for the sources that lack something."""
    reasons = {}
    for s in sources:
        check = getattr(HANDLERS.get(s), "cannot_serve", None)
        reason = check(settings) if check else None
        if reason:
            reasons[s] = reason
    return reasons


def build_serving_handlers(settings: Settings) -> dict[str, Handler]:
    """The handlers a worker runs: ``MV_WORKER_SOURCES`` (default all) less ``MV_WORKER_SKIP_SOURCES``.

    Refuses (:class:`ConfigError`) when a wanted source cannot be served and was not skipped, so a
    worker never claims jobs it can only fail. The claim runs per served source, so a skipped
    source's jobs stay pending for a worker that has what they need.
    """
    wanted = list(settings.worker_sources) if settings.worker_sources is not None else list(HANDLERS)
    skip = set(settings.worker_skip_sources)
    unknown = skip - set(HANDLERS)
    if unknown:
        raise ConfigError(f"cannot skip unknown source(s) {sorted(unknown)}; known: {sorted(HANDLERS)}")
    serving = [s for s in wanted if s not in skip]
    reasons = unservable(settings, serving)
    if reasons:
        why = "; ".join(f"{s}: {r}" for s, r in sorted(reasons.items()))
        raise ConfigError(f"this worker cannot serve {', '.join(sorted(reasons))} ({why}); configure it, or skip "
                          f"it with --skip-sources {','.join(sorted(reasons))} (MV_WORKER_SKIP_SOURCES)")
    return build_handlers(settings, serving)
