"""App-requested exports in a test: request as a user, poll the job, ask storage RLS about the file."""

from __future__ import annotations

from workers.db import call_as_postgrest, postgrest_request
from workers.exports.job import EXPORT_BUCKET


def request_export(conn, user_or_claims, release_id, fmt):
    claims = user_or_claims if isinstance(user_or_claims, dict) else user_or_claims.claims()
    with postgrest_request(conn, claims) as c:
        return call_as_postgrest(c, "request_music_video_export", {"release_id": str(release_id), "format": fmt}).body


def job_as(conn, claims, job_id):
    with postgrest_request(conn, claims, method="GET") as c:
        return c.execute("select id, status, metadata from public.music_video_metric_imports where id = %s",
                         (job_id,)).fetchone()


def can_select_object(conn, claims, name):
    with postgrest_request(conn, claims, method="GET") as c:
        return c.execute("select count(*) as n from storage.objects where bucket_id = %s and name = %s",
                         (EXPORT_BUCKET, name)).fetchone()["n"] == 1
