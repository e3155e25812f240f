"""Structured logging for the services: one JSON object per line (or ``key=value`` text).

Every line about a job carries ``job_id``, ``video``, ``source`` and ``duration_ms`` (pass them
with :func:`job_fields` as ``extra=``); batch lines carry ``job_ids``. Fields are taken from
the record's ``extra`` attributes, so ``log.info("msg", extra={...})`` is all a caller writes.
Secrets never reach a record: settings hold them as ``SecretStr`` and the YouTube client
redacts ``key=`` from URLs.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workers.config import Settings

__all__ = ["JsonFormatter", "KeyValueFormatter", "configure_logging", "job_fields"]

_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        doc.update(_extras(record))
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=_default, separators=(",", ":"))


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [ts, record.levelname, record.name, record.getMessage()]
        for k, v in _extras(record).items():
            text = json.dumps(v, default=_default) if not isinstance(v, str) else v
            parts.append(f"{k}={text}")
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Replace the root handlers with one structured handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_json else KeyValueFormatter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # httpx logs every request at INFO; keep it at WARNING unless debugging.
    if root.level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def job_fields(job: Any, *, duration: float | None = None, **more: Any) -> dict[str, Any]:
    """``extra=`` for a line about one job: job_id, video, source, duration_ms, attempt."""
    get = (lambda k: job.get(k)) if isinstance(job, Mapping) else (lambda k: getattr(job, k, None))
    fields = {
        "job_id": str(get("id")),
        "video": str(get("music_video_id")) if get("music_video_id") else None,
        "source": get("source"),
        "attempt": get("attempts"),
        "duration_ms": round(duration * 1000, 1) if duration is not None else None,
    }
    fields.update(more)
    return fields
