"""Property: whatever JSON a client sends to the plan RPCs, the answer is a success or one of the
documented typed errors (PT404/PT409/PT422) with a person-readable message and, for PT422, the
field problems in detail. Never an internal error (XX000), a 22P02/22008 from a cast, a
constraint violation (23xxx) or a 42xxx leaking out.

Payloads mix valid values with arbitrary JSON per field, as the frontend (or anyone with a JWT)
could send them through PostgREST. JSON cannot carry NUL characters into jsonb (PostgREST
rejects \\u0000 before the function runs), so generated text leaves them out.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers.plan_rpc import (
    DOCUMENTED_CODES,
    NO_SUCH_FUNCTION,
    RpcError,
    cast_id,
    future,
    is_cast_error,
    rpc,
    valid_plan,
)
from workers.db import rpc_signature

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)), max_leaves=12)

DATES = st.one_of(st.dates().map(lambda d: d.isoformat()), st.sampled_from(
    ["2027-02-30", "0000-01-01", "2027-1-1", "tomorrow", future(10), future(-10), future(0)]))
INTS = st.one_of(st.integers(min_value=-5, max_value=200_000), st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
                 st.sampled_from(["12", "1e3", "5.0", " 7 ", "-0"]))


def maybe(valid):
    """A field's value: a plausible one, arbitrary JSON, or left out (None is dropped)."""
    return st.one_of(valid, JSON)


def fields(conn):
    cast_ids = [cast_id(conn, n) for n in ("Maya Chen", "Sam Okafor", "Jordan Blake")]
    line_item = st.fixed_dictionaries(
        {"category": maybe(st.sampled_from(["direction", "cinematography", "post", "marketing"])),
         "amount": maybe(INTS)}, optional={"notes": maybe(TEXT), "id": JSON})
    cast_item = st.fixed_dictionaries(
        {"cast_option_id": maybe(st.sampled_from([*cast_ids, "00000000-0000-0000-0000-000000000000"]))},
        optional={"cost_estimate": maybe(INTS), "confirmed": maybe(st.booleans()), "role_override": maybe(TEXT),
                  "role": maybe(TEXT),
                  "notes": JSON, "bogus": JSON})
    target = st.fixed_dictionaries(
        {"platform": maybe(st.sampled_from(["youtube", "mtv", "vevo", "tiktok", "YouTube"]))},
        optional={"launch_url": maybe(st.sampled_from(["https://youtu.be/dQw4w9WgXcQ", "https://youtu.be/x",
                                                       "https://www.youtube.com/shorts/dQw4w9WgXcQ?t=1"])),
                  "external_id": maybe(st.sampled_from(["dQw4w9WgXcQ", "short", "x" * 300])),
                  "priority": maybe(INTS), "auto_sync": maybe(st.booleans())})
    plan = valid_plan(conn, "00000000-0000-0000-0000-000000000000")
    return {
        "title": maybe(st.sampled_from(["Midnight Drive", "  ", "Café", "x" * 400])),
        "slug": maybe(st.sampled_from(["midnight-drive", "Bad Slug", "", "a--b", "ok-1"])),
        "video_theme_id": maybe(st.sampled_from([plan["video_theme_id"], "nope"])),
        "art_style_id": maybe(st.sampled_from([plan["art_style_id"], plan["budget_band_id"]])),
        "budget_band_id": maybe(st.just(plan["budget_band_id"])),
        "quality_tier": maybe(st.sampled_from(["indie", "standard", "Premium"])),
        "narrative_outline": maybe(TEXT),
        "budget_estimate": maybe(INTS),
        "target_release_date": maybe(DATES),
        "shoot_start_date": maybe(DATES),
        "shoot_end_date": maybe(DATES),
        "kpi_view_target": maybe(INTS),
        "kpi_chart_target": maybe(st.sampled_from(["billboard_hot_100", "nope"])),
        "primary_platform": maybe(st.sampled_from(["youtube", "fax"])),
        "sync_strategy": maybe(st.sampled_from(["manual", "scheduled", "hourly"])),
        "promo_only": maybe(st.sampled_from([True, False, "true", "no"])),
        "isrc": maybe(st.sampled_from(["USRC17607839", "us-rc1-76-07839", "nope"])),
        "line_items": maybe(st.one_of(st.lists(line_item, max_size=5),
                                      st.dictionaries(st.sampled_from(["direction", "post", "x"]), INTS))),
        "cast_assignments": maybe(st.lists(cast_item, max_size=4)),
        "platform_targets": maybe(st.lists(target, max_size=4)),
    }


def payloads(conn, extra=None):
    spec = fields(conn)
    if extra:
        spec.update(extra)
    return st.fixed_dictionaries({}, optional=spec)


def assert_typed(outcome, name, payload, sent=None):
    """A documented code with its problems, PostgREST's cast error for a wrong-typed value, or
    PGRST202 when (and only when) a required parameter was left out."""
    event(f"{name}: {outcome.sqlstate if isinstance(outcome, RpcError) else 'ok'}")
    if isinstance(outcome, RpcError):
        where = f"{name}({json.dumps(payload, default=str)[:800]})"
        if outcome.sqlstate == NO_SUCH_FUNCTION:
            assert sent is not None and not REQUIRED[name] <= set(sent), where
            return
        assert outcome.sqlstate in DOCUMENTED_CODES or is_cast_error(outcome.sqlstate), \
            f"{outcome.sqlstate} {outcome.message} from {where}"
        assert outcome.message, where
        if outcome.sqlstate in ("PT422", "PT409"):
            assert outcome.problems, where
            assert all({"field", "code", "message"} <= set(p) for p in outcome.problems), where
    else:
        assert isinstance(outcome, dict) and outcome.get("id"), outcome


REQUIRED: dict[str, frozenset[str]] = {}


def call(conn, claims, name, **params):
    if name not in REQUIRED:
        REQUIRED[name] = rpc_signature(conn, name).required
    try:
        return rpc(conn, claims, name, **params)
    except RpcError as err:
        return err


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def test_create_music_video_answers_random_payloads_with_typed_outcomes(conn, owner, release):
    base = valid_plan(conn, release)
    seen = set()

    @FUZZ
    @given(payload=st.one_of(
        # arbitrary payloads, and valid plans with some fields replaced by arbitrary values
        payloads(conn, {"release_id": maybe(st.sampled_from([str(release), "nope"]))}),
        payloads(conn).map(lambda changes: {**base, **changes})))
    def check(payload):
        payload.setdefault("release_id", str(release))
        out = call(conn, owner.claims(), "create_music_video", **payload)
        seen.add(out.sqlstate if isinstance(out, RpcError) else "ok")
        assert_typed(out, "create_music_video", payload, payload)

    check()
    assert {"ok", "PT422"} <= seen  # the generator reaches both sides


def test_update_music_video_answers_random_patches_with_typed_outcomes(conn, owner, release):
    video = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release)
    statuses = st.sampled_from(["draft", "planned", "in_production", "post_production", "released", "archived",
                                "deleted"])

    seen = set()

    @FUZZ
    @given(patch=st.one_of(payloads(conn, {"status": maybe(statuses), "wizard_state": JSON, "release_id": JSON,
                                           "unknown": JSON}), JSON),
           target=st.sampled_from([video["id"], draft["id"], "nope"]))
    def check(patch, target):
        out = call(conn, owner.claims(), "update_music_video", id=target, patch=patch)
        seen.add(out.sqlstate if isinstance(out, RpcError) else "ok")
        assert_typed(out, "update_music_video", patch)

    check()
    assert {"ok", "PT422", "PT404"} <= seen


def test_drafts_and_cast_and_targets_answer_random_input_with_typed_outcomes(conn, owner, release):
    video = rpc(conn, owner.claims(), "create_music_video", **valid_plan(conn, release))
    draft = rpc(conn, owner.claims(), "save_music_video_draft", release_id=release)
    spec = fields(conn)

    @FUZZ
    @given(patch=st.one_of(payloads(conn), JSON), step=maybe(TEXT), state=JSON,
           cast=spec["cast_assignments"], targets=spec["platform_targets"], strategy=spec["sync_strategy"],
           target=st.sampled_from([video["id"], draft["id"]]))
    def check(patch, step, state, cast, targets, strategy, target):
        out = call(conn, owner.claims(), "save_music_video_draft", id=draft["id"], wizard_step=step,
                   wizard_state=state, patch=patch)
        assert_typed(out, "save_music_video_draft", patch)
        item = cast[0] if isinstance(cast, list) and cast and isinstance(cast[0], dict) else {"x": cast}
        sent = {k: v for k, v in item.items() if k in ("cast_option_id", "cost_estimate", "confirmed", "role",
                                                        "notes")}
        out = call(conn, owner.claims(), "assign_music_video_cast", music_video_id=target, **sent)
        assert_typed(out, "assign_music_video_cast", item, {"music_video_id": target, **sent})
        out = call(conn, owner.claims(), "set_music_video_platform_targets", music_video_id=target,
                   targets=targets, sync_strategy=strategy)
        assert_typed(out, "set_music_video_platform_targets", {"targets": targets, "sync_strategy": strategy})

    check()
