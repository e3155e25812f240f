-- Shot-list speed (benchmarks/bench_shotlist.py: a 300-shot list, 169 KB of JSON, read p95 was
-- 20.6 ms as the owner for a 5 ms target; every write ~45 ms). Where the time went, from
-- EXPLAIN (ANALYZE, BUFFERS) and auto_explain of the nested statements:
--
-- 1. Writes: the deferred contiguity trigger of 20261130220000 runs once per changed row, and
--    each run counted the whole list under the caller's RLS (one call of the access rule per
--    run). A renumbering of 300 rows ran it 300 times: about 20 ms of a ~40 ms write. It now probes
--    only the numbers next to the row it fires for (two index probes; see below), as the owner
--    of the table (security definer), so the access rule is not asked 300 times.
-- 2. Reads: the document was built with jsonb_build_object/jsonb_agg (every shot object built as
--    jsonb, then copied into the aggregate, then the whole 170 KB printed as text), scanned the
--    shots three times (count, sum, list; each scan asking the access rule again) and was a SQL
--    function, planned afresh on every call. It is now one plpgsql function (plans cached) that
--    scans the shots once and builds json (text, rows as records), as list_music_videos does;
--    PostgREST forwards json as it is. The RPCs therefore return json instead of jsonb (the same
--    document: same keys and values; keys in the documented order rather than jsonb's), which
--    needs a drop and create: same arguments, same security, same grants (20261130231010).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Contiguous numbers at commit, checked locally. The numbers of a video were 1..n before the
-- transaction (this check held then), so a gap at commit is next to a number the transaction
-- wrote or vacated: the lowest number above a gap either was written here (its row's event finds
-- the number below it missing) or was there before, and then the row that held the number below
-- it was deleted or moved here (that row's event finds its old number empty with a number above
-- it). So each event checks: for the row's current number (re-read: a later change has its own
-- event), that number - 1 exists; for the old number of a delete or a move, that it is taken or
-- that nothing follows it. A failure reports count and max as before (same code, message, problem).
-- security definer: as the table's owner, past RLS, reading only the numbers of the video the
-- caller has just written (which the caller may see anyway).
create or replace function private.check_music_video_shot_numbers()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_video uuid := case when tg_op = 'DELETE' then old.music_video_id else new.music_video_id end;
  v_number integer;
  v_gap boolean := false;
  v_count integer;
  v_max integer;
begin
  if tg_op <> 'DELETE' then
    select s.shot_number into v_number from public.music_video_shots as s where s.id = new.id;
    v_gap := v_number > 1 and not exists (
      select 1 from public.music_video_shots as s where s.music_video_id = v_video and s.shot_number = v_number - 1
    );
  end if;
  if not v_gap and tg_op <> 'INSERT' then
    v_gap := not exists (
      select 1 from public.music_video_shots as s
      where s.music_video_id = old.music_video_id and s.shot_number = old.shot_number
    ) and exists (
      select 1 from public.music_video_shots as s
      where s.music_video_id = old.music_video_id and s.shot_number = old.shot_number + 1
    );
    v_video := old.music_video_id;
  end if;
  if v_gap then
    select count(*), coalesce(max(s.shot_number), 0) into v_count, v_max
    from public.music_video_shots as s
    where s.music_video_id = v_video;
    raise exception using
      errcode = 'PT422',
      message = format('Shot numbers must run from 1 to %s without gaps (the highest is %s).', v_count, v_max),
      detail = jsonb_build_object('problems', jsonb_build_array(private.plan_problem(
        'shot_number', 'not_contiguous',
        format('Shot numbers must run from 1 to %s without gaps (the highest is %s).', v_count, v_max))))::text,
      hint = 'Use reorder_music_video_shots or remove_music_video_shot, which renumber for you.';
  end if;
  return null;
end
$$;
revoke all on function private.check_music_video_shot_numbers() from public;

-- The list document, as json: {music_video_id, title, shot_count, total_duration_seconds (shots
-- not cut), shots: [{id, shot_number, scene, description, shot_size, angle, movement, lens,
-- location, duration_seconds, status, cast: [{assignment_id, name, role}], updated_at}]} ordered
-- by number; with p_shot_id also "shot" (that shot's object, as in the list), with
-- p_removed_shot_id also "removed_shot_id". One scan of the shots gives the count, the total and
-- the list. Cast: each of the video's assignments is built once (a few rows) and ranked by name,
-- then the join rows are aggregated per shot from one sorted scan (by shot, then rank). json_agg
-- takes its input in that order (a sorted subquery feeding the aggregate, as the manual's
-- "Aggregate Expressions" describes): 0.4 ms less for 300 shots than json_agg(... order by ...),
-- which sorts each shot's group on its own. Security invoker: the caller's RLS, as before. null
-- for a video the caller cannot see.
create or replace function private.music_video_shot_list_json(
  p_music_video_id uuid, p_shot_id uuid default null, p_removed_shot_id uuid default null
)
returns json
language plpgsql
stable
set search_path = ''
as $$
declare
  v_title text;
  v_count bigint;
  v_total bigint;
  v_shots json;
  v_shot json;
begin
  select v.title into v_title from public.music_videos as v where v.id = p_music_video_id;
  if not found then
    return null;
  end if;
  with members as (
    select
      a.id,
      json_build_object('assignment_id', a.id, 'name', o.name, 'role', coalesce(a.role_override, o.role)) as member,
      row_number() over (order by o.name, a.id) as member_rank
    from public.music_video_cast_assignments as a
    inner join public.music_video_cast_options as o on a.cast_option_id = o.id
    where a.music_video_id = p_music_video_id
  ),

  cast_rows as (
    select
      x.shot_id,
      json_agg(x.member) as cast_list
    from (
      select
        sc.shot_id,
        m.member
      from public.music_video_shot_cast as sc
      inner join members as m on sc.cast_assignment_id = m.id
      where sc.music_video_id = p_music_video_id
      order by sc.shot_id, m.member_rank
    ) as x
    group by x.shot_id
  ),

  shot_rows as (
    select
      s.id, s.shot_number, s.scene, s.description, s.shot_size, s.angle, s.movement, s.lens, s.location,
      s.duration_seconds, s.status, coalesce(c.cast_list, '[]'::json) as "cast", s.updated_at
    from public.music_video_shots as s
    left join cast_rows as c on s.id = c.shot_id
    where s.music_video_id = p_music_video_id
  )

  select
    count(*),
    coalesce(sum(r.duration_seconds) filter (where r.status <> 'cut'), 0),
    coalesce(json_agg(r order by r.shot_number), '[]'::json),
    (array_agg(to_json(r)) filter (where r.id = p_shot_id))[1]
  into v_count, v_total, v_shots, v_shot
  from shot_rows as r;
  if p_shot_id is not null then
    return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
      'total_duration_seconds', v_total, 'shots', v_shots, 'shot', v_shot);
  elsif p_removed_shot_id is not null then
    return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
      'total_duration_seconds', v_total, 'shots', v_shots, 'removed_shot_id', p_removed_shot_id);
  end if;
  return json_build_object('music_video_id', p_music_video_id, 'title', v_title, 'shot_count', v_count,
    'total_duration_seconds', v_total, 'shots', v_shots);
end
$$;
revoke all on function private.music_video_shot_list_json(uuid, uuid, uuid) from public;
grant execute on function private.music_video_shot_list_json(uuid, uuid, uuid) to authenticated, service_role;
