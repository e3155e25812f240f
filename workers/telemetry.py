"""Prometheus metrics of the worker and the webhook service (the operator's view, issue 12 section 5).

Two kinds, by where the truth lives:

* **Queue state, from the database at scrape time** (:func:`queue_families`): jobs by source
  and status, queue depth and the oldest due job's age per source. The queue table is shared by
  every worker and service process on every machine, so any one of them answers the same, and
  no process-local gauge can drift or double count when several processes are scraped.
* **Events, counted in the process that saw them** (module-level counters and a histogram): job
  outcomes and durations, source API calls, quota pauses (the worker), webhook outcomes (the
  service). The service runs several uvicorn processes: it uses prometheus-client's multiprocess
  mode (``PROMETHEUS_MULTIPROC_DIR``, set by :func:`workers.service.server.run_service` before
  the processes start), so one scrape of any process sums the counters of all of them.

Names carry the ``mv_`` prefix; this is not :mod:`workers.metrics` (the metric sample upsert).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "API_CALLS",
    "JOBS_FINISHED",
    "JOB_DURATION",
    "QUEUE_SQL",
    "QUOTA_PAUSES",
    "WEBHOOKS",
    "QueueCollector",
    "queue_families",
    "queue_lag",
    "scrape_registry",
    "serve_worker_metrics",
]

JOBS_FINISHED = Counter(
    "mv_jobs_finished_total",
    "Import jobs this worker finished, by source and status (pending = a retry or deferral)",
    ["source", "status"],
)
JOB_DURATION = Histogram(
    "mv_job_duration_seconds",
    "Time from a batch's start to its outcome's commit, per job",
    ["source"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
API_CALLS = Counter(
    "mv_source_api_calls_total",
    "Calls to outside APIs and feeds, by source and result (HTTP status class, or error)",
    ["source", "result"],
)
QUOTA_PAUSES = Counter("mv_quota_pauses_total", "Source-wide pauses after a quota answer", ["source"])
WEBHOOKS = Counter(
    "mv_webhook_requests_total",
    "Partner pushes received, by source and outcome (accepted, duplicate, or the refusal's code)",
    ["source", "outcome"],
)

# The queue's state in one scan: per source and status, the count; for due pending jobs, the
# count and the oldest run_after's age (seconds).
QUEUE_SQL = """
select j.source, j.status::text as status, count(*) as jobs,
  count(*) filter (where j.status = 'pending' and j.run_after <= now()) as due,
  coalesce(extract(epoch from now() - min(j.run_after) filter (
    where j.status = 'pending' and j.run_after <= now())), 0)::float8 as oldest_due_age
from public.music_video_metric_imports as j
group by j.source, j.status
order by 1, 2
"""


def queue_families(rows: Iterable[Mapping[str, Any]]) -> list[Metric]:
    """The queue gauges from :data:`QUEUE_SQL`'s rows."""
    jobs = GaugeMetricFamily(
        "mv_jobs", "Import jobs in the queue table, by source and status", labels=["source", "status"]
    )
    depth = GaugeMetricFamily("mv_queue_depth", "Pending jobs due now, by source", labels=["source"])
    oldest = GaugeMetricFamily(
        "mv_queue_oldest_due_age_seconds",
        "Age of the oldest due pending job, by source (0: none due)",
        labels=["source"],
    )
    per_source: dict[str, tuple[int, float]] = {}
    for r in rows:
        jobs.add_metric([r["source"], r["status"]], r["jobs"])
        due, age = per_source.get(r["source"], (0, 0.0))
        per_source[r["source"]] = (due + r["due"], max(age, r["oldest_due_age"]))
    for source, (due, age) in sorted(per_source.items()):
        depth.add_metric([source], due)
        oldest.add_metric([source], age)
    return [jobs, depth, oldest]


def queue_lag(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What /healthz reports of the queue: due jobs and the oldest due age, overall and per source."""
    per = {}
    for r in rows:
        if r["due"]:
            d, a = per.get(r["source"], (0, 0.0))
            per[r["source"]] = (d + r["due"], max(a, r["oldest_due_age"]))
    return {
        "due": sum(d for d, _ in per.values()),
        "oldest_due_age_seconds": round(max((a for _, a in per.values()), default=0.0), 3),
        "by_source": {s: {"due": d, "oldest_due_age_seconds": round(a, 3)} for s, (d, a) in sorted(per.items())},
    }


class QueueCollector(Collector):
    """Reads the queue's state at every scrape through ``fetch()`` (rows of :data:`QUEUE_SQL`)."""

    def __init__(self, fetch) -> None:
        self.fetch = fetch

    def collect(self) -> Iterable[Metric]:
        return queue_families(self.fetch())


class _Fixed(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def scrape_registry(queue_rows: Iterable[Mapping[str, Any]] | None) -> CollectorRegistry:
    """A registry for one scrape: this process's counters (all processes' in multiprocess mode)
    plus the queue gauges of ``queue_rows`` (none when the database could not be read)."""
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (JOBS_FINISHED, JOB_DURATION, API_CALLS, QUOTA_PAUSES, WEBHOOKS):
            registry.register(metric)
    if queue_rows is not None:
        registry.register(_Fixed(queue_families(queue_rows)))
    return registry


def serve_worker_metrics(fetch, host: str, port: int) -> Any:
    """Serve a worker's Prometheus metrics on ``host:port`` (0: any free port) in a thread: this
    process's counters and the queue read through ``fetch()`` at each scrape (rows of
    :data:`QUEUE_SQL`). Returns the server (``server_port``; ``shutdown()``, ``server_close()``)."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    for metric in (JOBS_FINISHED, JOB_DURATION, API_CALLS, QUOTA_PAUSES, QueueCollector(fetch)):
        registry.register(metric)
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
