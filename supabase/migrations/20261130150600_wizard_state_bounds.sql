-- wizard_state (the draft's free-form form state) is bounded. It took 20 MB, 100,000 keys and
-- 5,000 levels of nesting, and it is returned in every list_music_videos draft card and sent over
-- realtime with each change. Now, on every write that sets it (the draft RPC, a direct PATCH, the
-- service role alike): at most 64 KB as JSON text, 1,000 keys in all, 20 levels deep. A
-- violation answers PT422 with detail {"problems": [...]} as the other plan field errors do.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- The problems of a wizard state (an empty array when it is within bounds). The size is checked
-- first, so the key and depth walks only ever see at most 64 KB.
create or replace function private.wizard_state_problems(p_state jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_bytes integer := octet_length(p_state::text);
  v_keys bigint;
begin
  if p_state is null then
    return '[]'::jsonb;
  end if;
  if v_bytes > 65536 then
    return jsonb_build_array(private.plan_problem('wizard_state', 'too_large',
      format('The saved wizard state is %s bytes; it can be at most 65536 (64 KB).', v_bytes),
      jsonb_build_object('limit', 65536)));
  end if;
  if jsonb_path_exists(p_state, 'strict $.**{21 to last}') then
    return jsonb_build_array(private.plan_problem('wizard_state', 'too_deep',
      'The saved wizard state can nest at most 20 levels deep.', jsonb_build_object('limit', 20)));
  end if;
  select count(*) into v_keys
  from jsonb_path_query(p_state, 'strict $.** ? (@.type() == "object").keyvalue()');
  if v_keys > 1000 then
    return jsonb_build_array(private.plan_problem('wizard_state', 'too_many_keys',
      format('The saved wizard state has %s keys; it can have at most 1000.', v_keys),
      jsonb_build_object('limit', 1000)));
  end if;
  return '[]'::jsonb;
end
$$;
revoke all on function private.wizard_state_problems(jsonb) from public;
grant execute on function private.wizard_state_problems(jsonb) to authenticated, service_role;

create or replace function private.check_music_video_wizard_state()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.wizard_state is distinct from old.wizard_state then
    perform private.raise_plan_problems(private.wizard_state_problems(new.wizard_state));
  end if;
  return new;
end
$$;
revoke all on function private.check_music_video_wizard_state() from public;

create trigger check_wizard_state before insert or update of wizard_state on public.music_videos
for each row execute function private.check_music_video_wizard_state();
