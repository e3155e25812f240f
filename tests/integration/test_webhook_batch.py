"""The intake's group commit in the database: ``private.accept_metrics_webhooks`` answers each push
of a batch on its own (accepted, replayed, refused) in one statement, and a refusal never costs the
other pushes of its batch anything; concurrent batches naming the same ids neither deadlock nor
enqueue twice."""

from __future__ import annotations

import json
import threading
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from workers.sources.webhook.intake import ACCEPT_BATCH_SQL, refusal_of


def _webhook_video(factory, owner, strategy: str = "webhook", platform: str = "mtv"):
    vid = factory.video(factory.release(owner), sync_strategy=strategy)
    ref = f"MTV-{uuid.uuid4().hex[:8]}"
    factory.conn.execute("insert into public.music_video_platform_targets (music_video_id, platform, external_id)"
                         " values (%s, %s, %s)", (vid, platform, ref))
    return vid, ref


def _push(refs: list[str], webhook_id: str | None = None, source: str = "mtv") -> dict:
    return {"source": source, "webhook_id": webhook_id or f"msg_{uuid.uuid4().hex}", "refs": refs,
            "path": f"webhook/{source}/{uuid.uuid4().hex}.json", "metadata": {"format": "broadcast_json"}}


def _accept(conn, pushes: list[dict]) -> list[dict]:
    return conn.execute(ACCEPT_BATCH_SQL, (Jsonb(pushes),)).fetchone()["results"]


def _deliveries(conn, webhook_ids) -> dict[str, dict]:
    rows = conn.execute("select webhook_id, raw_payload_path, import_ids from private.metrics_webhook_deliveries"
                        " where webhook_id = any(%s)", (list(webhook_ids),)).fetchall()
    return {r["webhook_id"]: r for r in rows}


def test_each_push_of_a_batch_gets_its_own_answer(conn, factory, owner):
    v1, r1 = _webhook_video(factory, owner)
    v2, r2 = _webhook_video(factory, owner)
    scheduled, r_sched = _webhook_video(factory, owner, strategy="scheduled")
    earlier = _push([r1])
    [first] = _accept(conn, [earlier])
    assert first["outcome"] == "accepted" and len(first["import_ids"]) == 1

    twice = _push([r2])
    pushes = [
        _push([r1, r2]),                              # 0: accepted, one job naming both videos
        _push(["MTV-nobody"]),                        # 1: unknown reference -> PT404
        {**earlier, "path": "webhook/mtv/again.json"},  # 2: a replay of an earlier batch's id
        _push([r_sched]),                             # 3: not a webhook video -> PT422
        twice,                                        # 4: accepted
        {**twice, "path": "webhook/mtv/twice.json"},  # 5: the same id again in this batch -> duplicate of 4
        _push([r2, "MTV-nobody-either"]),             # 6: one bad reference refuses the whole push
    ]
    out = _accept(conn, pushes)
    assert [o.get("outcome") or o["sqlstate"] for o in out] == [
        "accepted", "PT404", "duplicate", "PT422", "accepted", "duplicate", "PT404"]
    assert out[2]["import_ids"] == first["import_ids"] and out[5]["import_ids"] == out[4]["import_ids"]
    status, problems = refusal_of(out[1]["sqlstate"], out[1]["message"], out[1]["detail"])
    assert status == 404 and problems == [{"field": "video_reference", "code": "unknown_video",
                                           "message": "no music video has the mtv reference 'MTV-nobody'"}]
    status, problems = refusal_of(out[3]["sqlstate"], out[3]["message"], out[3]["detail"])
    assert status == 422 and problems[0]["code"] == "wrong_sync_strategy" and str(scheduled) in problems[0]["message"]
    assert [p["message"] for p in json.loads(out[6]["detail"])["problems"]] == [
        "no music video has the mtv reference 'MTV-nobody-either'"]

    kept = _deliveries(conn, [p["webhook_id"] for p in pushes])
    # refused pushes leave no delivery row; accepted ones name their job and the first body's path
    assert set(kept) == {pushes[0]["webhook_id"], earlier["webhook_id"], twice["webhook_id"]}
    assert kept[twice["webhook_id"]]["raw_payload_path"] == twice["path"]
    assert [str(i) for i in kept[pushes[0]["webhook_id"]]["import_ids"]] == out[0]["import_ids"]
    jobs = conn.execute("select id, music_video_id, metadata from public.music_video_metric_imports"
                        " where source = 'webhook' and id = any(%s::uuid[])",
                        ([out[0]["import_ids"][0], out[4]["import_ids"][0]],)).fetchall()
    by_id = {str(j["id"]): j for j in jobs}
    both = by_id[out[0]["import_ids"][0]]
    assert both["music_video_id"] is None and both["metadata"]["videos"] == {r1: str(v1), r2: str(v2)}
    assert both["metadata"]["raw_payload"] == {"bucket": "music-video-raw-payloads", "path": pushes[0]["path"]}
    one = by_id[out[4]["import_ids"][0]]
    assert one["music_video_id"] == v2 and one["metadata"]["webhook_id"] == twice["webhook_id"]
    assert conn.execute("select count(*) as n from public.music_video_metric_imports where source = 'webhook'"
                        ).fetchone()["n"] == 3  # earlier, 0 and 4: nothing for the replays and refusals


def test_a_refused_push_replayed_in_the_same_batch_is_refused_again(conn, factory, owner):
    push = _push(["MTV-nobody"])
    out = _accept(conn, [push, {**push, "path": "webhook/mtv/other.json"}])
    assert [o["sqlstate"] for o in out] == ["PT404", "PT404"]
    assert _deliveries(conn, [push["webhook_id"]]) == {}


def test_concurrent_batches_with_the_same_ids_enqueue_once_and_do_not_deadlock(db_url, conn, factory, owner):
    refs = [_webhook_video(factory, owner)[1] for _ in range(6)]
    pushes = [_push([ref]) for ref in refs]
    orders = {"forward": pushes, "reversed": list(reversed(pushes))}  # the same ids in the other order
    answers: dict[str, list[dict]] = {}
    barrier = threading.Barrier(2)

    def batch(name: str) -> None:
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            barrier.wait()
            answers[name] = _accept(c, orders[name])

    threads = [threading.Thread(target=batch, args=(name,)) for name in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 2
    by_id = {}
    for name, out in answers.items():
        for p, o in zip(orders[name], out, strict=True):
            by_id.setdefault(p["webhook_id"], []).append(o)
    for outs in by_id.values():  # each id: accepted once, answered as a replay with the same job once
        assert sorted(o["outcome"] for o in outs) == ["accepted", "duplicate"]
        assert outs[0]["import_ids"] == outs[1]["import_ids"] and len(outs[0]["import_ids"]) == 1
    assert conn.execute("select count(*) as n from public.music_video_metric_imports where source = 'webhook'"
                        ).fetchone()["n"] == len(pushes)


def test_the_one_push_function_of_the_previous_release_answers_as_before(conn, factory, owner):
    """Service processes of the previous release, still running during a deploy, call it."""
    _vid, ref = _webhook_video(factory, owner)
    call = "select private.accept_metrics_webhook(%s, %s, %s, %s, %s) as r"
    first = conn.execute(call, ("mtv", "msg_old_release", [ref], "webhook/mtv/a.json", Jsonb({}))).fetchone()["r"]
    assert first["outcome"] == "accepted" and len(first["import_ids"]) == 1
    again = conn.execute(call, ("mtv", "msg_old_release", [ref], "webhook/mtv/b.json", Jsonb({}))).fetchone()["r"]
    assert again == {"outcome": "duplicate", "import_ids": first["import_ids"]}
    with pytest.raises(psycopg.Error) as refused:
        conn.execute(call, ("mtv", "msg_old_unknown", ["MTV-nobody"], "webhook/mtv/c.json", Jsonb({})))
    assert refused.value.sqlstate == "PT404"
    assert json.loads(refused.value.diag.message_detail)["problems"][0]["code"] == "unknown_video"


def test_the_batcher_batches_and_one_failing_push_never_fails_the_others(db_url, conn, factory, owner, caplog):
    """The service's batcher on a real pool: pushes arriving together share statements; a push
    that makes the whole statement fail (a source that is no platform: the cast fails) sends the
    batch back one push at a time, so only that push fails; a full queue is refused at once."""
    import asyncio

    from psycopg_pool import AsyncConnectionPool

    from workers.service.batcher import IntakeBatcher, IntakeBusy

    refs = [_webhook_video(factory, owner)[1] for _ in range(12)]
    pushes = [_push([ref]) for ref in refs]
    pushes.insert(5, _push(["MTV-x"], source="not-a-platform"))

    async def run() -> tuple[list, int, bool]:
        async with AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False,
                                       kwargs={"autocommit": True, "row_factory": dict_row}) as pool:
            batcher = IntakeBatcher(pool, max_batch=50, max_queue=len(pushes), max_inflight=1)
            batcher.start()
            try:
                answers = await asyncio.gather(*(batcher.accept(p) for p in pushes), return_exceptions=True)
                full = IntakeBatcher(pool, max_queue=1)  # not started: nothing drains its queue
                waiting = asyncio.ensure_future(full.accept(_push([refs[0]])))
                await asyncio.sleep(0)
                try:
                    await full.accept(_push([refs[1]]))
                    busy = False
                except IntakeBusy:
                    busy = True
                waiting.cancel()
                return answers, batcher.batches, busy
            finally:
                await batcher.close()

    answers, batches, busy = asyncio.run(run())
    bad = answers.pop(5)
    assert isinstance(bad, psycopg.errors.InvalidTextRepresentation)  # the failing push alone
    assert [a["outcome"] for a in answers] == ["accepted"] * 12
    assert len({a["import_ids"][0] for a in answers}) == 12
    # one statement for the 13 pushes together (it failed as a whole), then one per push (12 passed)
    [retry] = [r for r in caplog.records if "retrying its pushes one by one" in r.getMessage()]
    assert retry.pushes == 13 and batches == 12 and busy
    assert conn.execute("select count(*) as n from private.metrics_webhook_deliveries where webhook_id = any(%s)",
                        ([p["webhook_id"] for p in pushes],)).fetchone()["n"] == 12
