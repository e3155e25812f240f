"""The shot list (issue "The planning workspace, complete", section 3): the RPCs as the owner,
another user, an admin, anon and the service role; field errors; the 1,000-shot bound; the rules
on direct table writes; numbers staying 1..n when two connections edit one list at once.
"""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace

import psycopg
import pytest
from psycopg.rows import dict_row

from workers.db import FunctionNotFound, call_as_postgrest, jwt_claims, postgrest_request, rpc_signature


def rpc(conn, claims, name, params):
    """PostgREST's body: the read's rows (setof music_video_shot_row) as an array, a write's one
    music_video_shot_list row as an object."""
    with postgrest_request(conn, claims) as c:
        return call_as_postgrest(c, name, params).body


def rpc_error(conn, claims, name, params) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as err:
        rpc(conn, claims, name, params)
    return err.value


def problems(err: psycopg.Error) -> list[dict]:
    import json

    return json.loads(err.diag.message_detail)["problems"]


@pytest.fixture
def s(conn, factory):
    owner, other, admin = factory.user(), factory.user(), factory.user(admin=True)
    rel = factory.release(owner, "Shots LP")
    video = factory.video(rel, "Night Drive", slug="night-drive")
    other_video = factory.video(rel, "B-side", slug="b-side")
    opts = conn.execute("select id, name from public.music_video_cast_options order by name limit 2").fetchall()
    cast = [conn.execute("insert into public.music_video_cast_assignments (music_video_id, cast_option_id)"
                         " values (%s, %s) returning id", (video, o["id"])).fetchone()["id"] for o in opts]
    foreign_cast = conn.execute("insert into public.music_video_cast_assignments (music_video_id, cast_option_id)"
                                " values (%s, %s) returning id", (other_video, opts[0]["id"])).fetchone()["id"]
    return SimpleNamespace(owner=owner, other=other, admin=admin, rel=rel, video=video, other_video=other_video,
                           cast=cast, cast_names=[o["name"] for o in opts], foreign_cast=foreign_cast)


def add(conn, s, claims=None, **fields):
    return rpc(conn, claims or s.owner.claims(), "add_music_video_shot",
               {"music_video_id": str(s.video), **fields})


def numbers(doc):
    """(number, description) of a write's list document or of the read's rows."""
    shots = doc["shots"] if isinstance(doc, dict) else doc
    return [(x["shot_number"], x["description"]) for x in shots]


def test_owner_adds_reads_updates_moves_reorders_and_removes(conn, s):
    a = add(conn, s, description="Wide of the car", scene="Highway", shot_size="WS", duration_seconds=8,
            cast_assignment_ids=[str(s.cast[0])], lens="24mm", angle="low", movement="dolly", location="Route 9")
    assert a["shot"]["shot_number"] == 1 and a["shot"]["shot_size"] == "WS" and a["shot"]["status"] == "planned"
    assert a["shot"]["cast"] == [{"assignment_id": str(s.cast[0]), "name": s.cast_names[0],
                                  "role": a["shot"]["cast"][0]["role"]}]
    add(conn, s, description="Close on hands", scene="Highway", shot_size="CU", duration_seconds=4)
    c = add(conn, s, description="Opening title", scene="Intro", shot_number=1, duration_seconds=5,
            cast_assignment_ids=[str(x) for x in s.cast])
    assert numbers(c) == [(1, "Opening title"), (2, "Wide of the car"), (3, "Close on hands")]
    assert c["shot_count"] == 3 and c["total_duration_seconds"] == 17
    assert [x["name"] for x in c["shot"]["cast"]] == sorted(s.cast_names)

    rows = rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": str(s.video)})
    # the read's rows are the write's shots, key for key (one builder)
    assert rows == c["shots"] and c["title"] == "Night Drive"
    assert list(rows[0]) == ["id", "shot_number", "scene", "description", "shot_size", "angle", "movement", "lens",
                             "location", "duration_seconds", "status", "cast", "updated_at"]
    ids = [x["id"] for x in rows]

    # fields, a cleared field, a cut shot (not counted in the duration), a move from 3 to 1
    u = rpc(conn, s.owner.claims(), "update_music_video_shot", {
        "music_video_id": str(s.video), "shot_id": ids[2],
        "patch": {"status": "cut", "lens": "", "shot_size": "ecu", "shot_number": 1, "cast_assignment_ids": [
            str(s.cast[1])]}})
    assert numbers(u) == [(1, "Close on hands"), (2, "Opening title"), (3, "Wide of the car")]
    assert u["shot"]["status"] == "cut" and u["shot"]["shot_size"] == "ECU" and u["shot"]["lens"] is None
    assert u["total_duration_seconds"] == 13 and [x["assignment_id"] for x in u["shot"]["cast"]] == [str(s.cast[1])]
    # move down: 1 -> 3
    u = rpc(conn, s.owner.claims(), "update_music_video_shot", {
        "music_video_id": str(s.video), "shot_id": ids[2], "patch": {"shot_number": 3}})
    assert numbers(u) == [(1, "Opening title"), (2, "Wide of the car"), (3, "Close on hands")]

    r = rpc(conn, s.owner.claims(), "reorder_music_video_shots",
            {"music_video_id": str(s.video), "shot_ids": [ids[1], ids[2], ids[0]]})
    assert numbers(r) == [(1, "Wide of the car"), (2, "Close on hands"), (3, "Opening title")]
    # one music_video_shot_list row: every key present, the ones that do not apply null
    assert list(r) == list(LIST_KEYS) and r["shot"] is None and r["removed_shot_id"] is None
    assert a["removed_shot_id"] is None and u["removed_shot_id"] is None

    d = rpc(conn, s.owner.claims(), "remove_music_video_shot", {"music_video_id": str(s.video), "shot_id": ids[1]})
    assert numbers(d) == [(1, "Close on hands"), (2, "Opening title")] and d["removed_shot_id"] == ids[1]
    assert conn.execute("select count(*) as n from public.music_video_shot_cast where shot_id = %s",
                        (ids[1],)).fetchone()["n"] == 0

    # removing a cast assignment takes it off the shots
    conn.execute("delete from public.music_video_cast_assignments where id = %s", (s.cast[0],))
    rows = rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": str(s.video)})
    assert all(x["assignment_id"] != str(s.cast[0]) for shot in rows for x in shot["cast"])


LIST_KEYS = ("music_video_id", "title", "shot_count", "total_duration_seconds", "shots", "shot", "removed_shot_id")
# The parameters each write cannot do without (20261202020000: no default, so the types say so).
REQUIRED = {"add_music_video_shot": {"music_video_id", "description"},
            "update_music_video_shot": {"music_video_id", "shot_id", "patch"},
            "reorder_music_video_shots": {"music_video_id", "shot_ids"},
            "remove_music_video_shot": {"music_video_id", "shot_id"}}


def test_writes_return_one_typed_row_and_require_their_ids(conn, s):
    """The writes' contract as PostgREST and the type generator see it: a composite row (not
    json), the required parameters without defaults (leaving one out is PGRST202), ids as text
    (a malformed id is PT404, not a cast error), a null description the field problem."""
    for name, required in REQUIRED.items():
        sig = rpc_signature(conn, name, fresh=True)
        assert sig is not None and sig.composite and not sig.setof and sig.required == required, name
        assert {t for n, t in zip(sig.names, sig.types, strict=True) if n.endswith("id")} == {"text"}, name
        full = {"music_video_id": str(s.video), "description": "x", "shot_id": str(uuid.uuid4()), "patch": {},
                "shot_ids": []}
        for left_out in required:
            params = {k: full[k] for k in required if k != left_out}
            with pytest.raises(FunctionNotFound) as nf, postgrest_request(conn, s.owner.claims()) as c:
                call_as_postgrest(c, name, params)
            assert nf.value.sqlstate == "PGRST202", (name, left_out)
        err = rpc_error(conn, s.owner.claims(), name, {k: full[k] for k in required} | {"music_video_id": "nope"})
        assert (err.sqlstate, err.diag.message_primary) == ("PT404", "Music video not found"), name
    err = rpc_error(conn, s.owner.claims(), "add_music_video_shot", {"music_video_id": str(s.video),
                                                                     "description": None})
    assert err.sqlstate == "PT422" and [(p["field"], p["code"]) for p in problems(err)] == [
        ("description", "required")]
    d = add(conn, s, description="only")
    removed = rpc(conn, s.owner.claims(), "remove_music_video_shot",
                  {"music_video_id": str(s.video), "shot_id": d["shot"]["id"]})
    assert list(removed) == list(LIST_KEYS)
    assert (removed["shot"], removed["removed_shot_id"], removed["shots"], removed["shot_count"]) == (
        None, d["shot"]["id"], [], 0)


def test_field_problems_come_all_at_once(conn, s):
    err = rpc_error(conn, s.owner.claims(), "add_music_video_shot", {
        "music_video_id": str(s.video), "description": "  ", "scene": "x" * 121, "duration_seconds": 0,
        "cast_assignment_ids": [str(s.foreign_cast)], "shot_number": 5})
    assert err.sqlstate == "PT422"
    got = {(p["field"], p["code"]) for p in problems(err)}
    assert got == {("description", "required"), ("scene", "too_long"), ("duration_seconds", "out_of_range"),
                   ("cast_assignment_ids", "unknown_cast_assignment"), ("shot_number", "out_of_range")}
    add(conn, s, description="one")
    shot_id = rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": str(s.video)})[0]["id"]
    err = rpc_error(conn, s.owner.claims(), "update_music_video_shot", {
        "music_video_id": str(s.video), "shot_id": shot_id,
        "patch": {"shot_size": "XXL", "status": None, "lens": 35, "colour": "red", "shot_number": 2,
                  "cast_assignment_ids": [str(s.cast[0]), str(s.cast[0])]}})
    assert err.sqlstate == "PT422"
    assert {(p["field"], p["code"]) for p in problems(err)} == {
        ("shot_size", "invalid"), ("status", "invalid"), ("lens", "invalid_type"), ("colour", "unknown_field"),
        ("shot_number", "out_of_range"), ("cast_assignment_ids", "duplicate")}
    # a shot of another video is not found through this video
    err = rpc_error(conn, s.owner.claims(), "update_music_video_shot", {
        "music_video_id": str(s.other_video), "shot_id": shot_id, "patch": {}})
    assert err.sqlstate == "PT404" and "Shot not found" in str(err)
    err = rpc_error(conn, s.owner.claims(), "reorder_music_video_shots",
                    {"music_video_id": str(s.video), "shot_ids": [shot_id, str(uuid.uuid4())]})
    assert err.sqlstate == "PT409" and problems(err)[0]["code"] == "stale_order"
    err = rpc_error(conn, s.owner.claims(), "reorder_music_video_shots",
                    {"music_video_id": str(s.video), "shot_ids": {"a": 1}})
    assert err.sqlstate == "PT422"


def test_a_video_holds_at_most_1000_shots(conn, s):
    conn.execute("insert into public.music_video_shots (music_video_id, shot_number, description)"
                 " select %s, g, 'shot ' || g from generate_series(1, 1000) as g", (s.video,))
    err = rpc_error(conn, s.owner.claims(), "add_music_video_shot",
                    {"music_video_id": str(s.video), "description": "one more"})
    assert err.sqlstate == "PT409" and problems(err)[0]["code"] == "too_many_shots"
    assert "at most 1,000 shots" in str(err)
    # the table holds the bound too (number 1..1000, unique per video)
    with pytest.raises(psycopg.errors.CheckViolation), postgrest_request(conn, s.owner.claims()) as c:
        c.execute("insert into public.music_video_shots (music_video_id, shot_number, description)"
                  " values (%s, 1001, 'x')", (s.video,))


@pytest.mark.parametrize("who", ["other", "admin"])
def test_other_users_and_admins_get_404_from_every_rpc(conn, s, who):
    add(conn, s, description="mine")
    shot_id = rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": str(s.video)})[0]["id"]
    claims = getattr(s, who).claims()
    v = str(s.video)
    calls = {"get_music_video_shots": {"music_video_id": v},
             "add_music_video_shot": {"music_video_id": v, "description": "x"},
             "update_music_video_shot": {"music_video_id": v, "shot_id": shot_id, "patch": {"description": "x"}},
             "reorder_music_video_shots": {"music_video_id": v, "shot_ids": [shot_id]},
             "remove_music_video_shot": {"music_video_id": v, "shot_id": shot_id},
             "request_music_video_shotlist_export": {"music_video_id": v, "format": "pdf"}}
    for name, params in calls.items():
        err = rpc_error(conn, claims, name, params)
        assert err.sqlstate == "PT404", (name, err.sqlstate)
    # nor do their table reads see anything
    with postgrest_request(conn, claims, method="GET") as c:
        assert c.execute("select count(*) as n from public.music_video_shots").fetchone()["n"] == 0
    mine = rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": v})
    assert mine[0]["description"] == "mine"


def test_anon_may_call_nothing_and_the_service_role_everything(conn, s):
    v = str(s.video)
    for name, params in {"get_music_video_shots": {"music_video_id": v},
                         "add_music_video_shot": {"music_video_id": v, "description": "x"},
                         "remove_music_video_shot": {"music_video_id": v, "shot_id": v},
                         "reorder_music_video_shots": {"music_video_id": v, "shot_ids": []},
                         "update_music_video_shot": {"music_video_id": v, "shot_id": v, "patch": {}},
                         "request_music_video_shotlist_export": {"music_video_id": v, "format": "csv"}}.items():
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            rpc(conn, jwt_claims(role="anon"), name, params)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, jwt_claims(role="anon")) as c:
        c.execute("select * from public.music_video_shots")
    svc = jwt_claims(role="service_role")
    a = add(conn, s, claims=svc, description="by the service", cast_assignment_ids=[str(s.cast[0])])
    b = add(conn, s, claims=svc, description="second")
    r = rpc(conn, svc, "reorder_music_video_shots",
            {"music_video_id": v, "shot_ids": [b["shot"]["id"], a["shot"]["id"]]})
    assert numbers(r) == [(1, "second"), (2, "by the service")]
    u = rpc(conn, svc, "update_music_video_shot", {"music_video_id": v, "shot_id": a["shot"]["id"],
                                                   "patch": {"status": "shot"}})
    assert u["shot"]["status"] == "shot"
    assert numbers(rpc(conn, svc, "remove_music_video_shot", {"music_video_id": v, "shot_id": b["shot"]["id"]})) == [
        (1, "by the service")]
    assert len(rpc(conn, svc, "get_music_video_shots", {"music_video_id": v})) == 1
    # the service role still gets a 404 for a video that does not exist
    assert rpc_error(conn, svc, "get_music_video_shots", {"music_video_id": str(uuid.uuid4())}).sqlstate == "PT404"


def test_direct_table_writes_keep_the_rules(conn, s):
    owner = s.owner.claims()
    with postgrest_request(conn, owner) as c:
        c.execute("insert into public.music_video_shots (music_video_id, shot_number, description)"
                  " values (%s, 1, 'a'), (%s, 2, 'b')", (s.video, s.video))
    # a gap is refused at commit, with the RPCs' problem shape
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, owner) as c:
        c.execute("insert into public.music_video_shots (music_video_id, shot_number, description)"
                  " values (%s, 9, 'gap')", (s.video,))
    assert err.value.sqlstate == "PT422" and problems(err.value)[0]["code"] == "not_contiguous"
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, owner) as c:
        c.execute("delete from public.music_video_shots where music_video_id = %s and shot_number = 1", (s.video,))
    assert err.value.sqlstate == "PT422"
    # deleting and renumbering in one transaction is fine
    with postgrest_request(conn, owner) as c:
        c.execute("delete from public.music_video_shots where music_video_id = %s and shot_number = 1", (s.video,))
        c.execute("update public.music_video_shots set shot_number = 1 where music_video_id = %s", (s.video,))
    shot = conn.execute("select id from public.music_video_shots where music_video_id = %s",
                        (s.video,)).fetchone()["id"]
    # a shot cannot move to another video
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, owner) as c:
        c.execute("update public.music_video_shots set music_video_id = %s where id = %s", (s.other_video, shot))
    assert err.value.sqlstate == "22023"
    # a cast row must name an assignment of the shot's own video (composite foreign keys)
    with pytest.raises(psycopg.errors.ForeignKeyViolation), postgrest_request(conn, owner) as c:
        c.execute("insert into public.music_video_shot_cast (shot_id, cast_assignment_id, music_video_id)"
                  " values (%s, %s, %s)", (shot, s.foreign_cast, s.video))
    with pytest.raises(psycopg.errors.ForeignKeyViolation), postgrest_request(conn, owner) as c:
        c.execute("insert into public.music_video_shot_cast (shot_id, cast_assignment_id, music_video_id)"
                  " values (%s, %s, %s)", (shot, s.foreign_cast, s.other_video))
    # over-long text is refused by the table as well
    with pytest.raises(psycopg.errors.CheckViolation), postgrest_request(conn, owner) as c:
        c.execute("update public.music_video_shots set description = repeat('x', 2001) where id = %s", (shot,))
    # another user writes nothing into the owner's video
    with pytest.raises(psycopg.errors.InsufficientPrivilege), postgrest_request(conn, s.other.claims()) as c:
        c.execute("insert into public.music_video_shots (music_video_id, shot_number, description)"
                  " values (%s, 2, 'intruder')", (s.video,))
    with postgrest_request(conn, s.other.claims()) as c:
        assert c.execute("delete from public.music_video_shots where id = %s", (shot,)).rowcount == 0
    # reusing the id of the owner's shot answers PT404, not a key violation
    with pytest.raises(psycopg.Error) as err, postgrest_request(conn, s.other.claims()) as c:
        vid = factory_video_of(conn, s.other)
        c.execute("insert into public.music_video_shots (id, music_video_id, shot_number, description)"
                  " values (%s, %s, 1, 'x')", (shot, vid))
    assert err.value.sqlstate == "PT404"



def test_contiguity_is_checked_next_to_every_changed_number(conn, s):
    """The commit-time check probes the numbers next to each row it fires for (20261130220000):
    every way to leave a gap is still refused, and transactions ending contiguous pass."""
    owner = s.owner.claims()
    sql_insert = "insert into public.music_video_shots (music_video_id, shot_number, description) values (%s, %s, %s)"
    with postgrest_request(conn, owner) as c:
        for n in (1, 2, 3):
            c.execute(sql_insert, (s.video, n, f"s{n}"))
    gaps = [
        # a middle shot moves past the end: its old number is empty with a number above it
        ("update public.music_video_shots set shot_number = 4 where music_video_id = %s and shot_number = 2",
         "from 1 to 3 without gaps (the highest is 4)"),
        # every number moves up one: nothing is left below the new number 2
        ("update public.music_video_shots set shot_number = shot_number + 1 where music_video_id = %s",
         "from 1 to 3 without gaps (the highest is 4)"),
        # the first shot goes
        ("delete from public.music_video_shots where music_video_id = %s and shot_number = 1",
         "from 1 to 2 without gaps (the highest is 3)"),
    ]
    for statement, message in gaps:
        with pytest.raises(psycopg.Error) as err, postgrest_request(conn, owner) as c:
            c.execute(statement, (s.video,))
        assert err.value.sqlstate == "PT422" and problems(err.value)[0]["code"] == "not_contiguous", statement
        assert message in str(err.value)
    # a row added and then removed in the same transaction (its event re-reads the row, now gone),
    # and the last shot removed: both end contiguous
    with postgrest_request(conn, owner) as c:
        c.execute(sql_insert, (s.video, 4, "s4"))
        c.execute("delete from public.music_video_shots where music_video_id = %s and shot_number in (3, 4)",
                  (s.video,))
    assert _numbers_in_db(conn, s.video) == [1, 2]
    # a swap in one statement
    with postgrest_request(conn, owner) as c:
        c.execute("update public.music_video_shots set shot_number = 3 - shot_number where music_video_id = %s",
                  (s.video,))
    assert _numbers_in_db(conn, s.video) == [1, 2]

def factory_video_of(conn, user):
    """A video of a release of ``user`` (made as the superuser, outside the caller's transaction)."""
    with psycopg.connect(conn.info.dsn, autocommit=True, row_factory=dict_row) as su:
        rel = su.execute("insert into public.releases (user_id, title) values (%s, 'theirs') returning id",
                         (user.id,)).fetchone()["id"]
        return su.execute("insert into public.music_videos (release_id, title) values (%s, 'theirs') returning id",
                          (rel,)).fetchone()["id"]


def _run_together(db_url, claims, calls):
    """Each call in its own connection, all started together; returns results or errors."""
    barrier = threading.Barrier(len(calls))
    out: list[object] = [None] * len(calls)

    def run(i, name, params):
        with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as c:
            barrier.wait()
            try:
                with postgrest_request(c, claims) as cc:
                    cc.execute("select pg_sleep(0.05)")  # both inside their transaction before either locks
                    out[i] = call_as_postgrest(cc, name, params).body
            except psycopg.Error as exc:  # pragma: no cover - reported by the assertion
                out[i] = exc

    threads = [threading.Thread(target=run, args=(i, n, p)) for i, (n, p) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def _numbers_in_db(conn, video):
    return [r["shot_number"] for r in conn.execute(
        "select shot_number from public.music_video_shots where music_video_id = %s order by shot_number", (video,))]


def test_concurrent_reorders_adds_and_removes_keep_numbers_contiguous(conn, db_url, s):
    v = str(s.video)
    for i in range(1, 21):
        add(conn, s, description=f"shot {i}")
    ids = [x["id"] for x in rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": v})]
    order_a, order_b = list(reversed(ids)), ids[10:] + ids[:10]
    out = _run_together(db_url, s.owner.claims(), [
        ("reorder_music_video_shots", {"music_video_id": v, "shot_ids": order_a}),
        ("reorder_music_video_shots", {"music_video_id": v, "shot_ids": order_b})])
    assert not any(isinstance(o, Exception) for o in out), out
    final = [x["id"] for x in rpc(conn, s.owner.claims(), "get_music_video_shots", {"music_video_id": v})]
    assert final in (order_a, order_b)  # one of the two orders won whole; never a mix
    assert _numbers_in_db(conn, s.video) == list(range(1, 21))

    # adds at the same place, a move and a remove, all at once
    out = _run_together(db_url, s.owner.claims(), [
        ("add_music_video_shot", {"music_video_id": v, "description": "new A", "shot_number": 1}),
        ("add_music_video_shot", {"music_video_id": v, "description": "new B", "shot_number": 1}),
        ("update_music_video_shot", {"music_video_id": v, "shot_id": final[0], "patch": {"shot_number": 15}}),
        ("remove_music_video_shot", {"music_video_id": v, "shot_id": final[5]})])
    assert not any(isinstance(o, Exception) for o in out), out
    assert _numbers_in_db(conn, s.video) == list(range(1, 22))
    descs = [x["description"] for x in rpc(conn, s.owner.claims(), "get_music_video_shots",
                                           {"music_video_id": v})]
    assert {"new A", "new B"} <= set(descs) and len(descs) == 21
