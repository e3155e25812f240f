-- Platform targets' launch_url is a link the app renders: it took `javascript:` URLs (the RPC
-- checked YouTube targets only, and a direct POST/PATCH on the table nothing). Now, on every
-- write: an absolute http(s) URL with a host and no credentials, at most 2,048 characters; for
-- the youtube platform a recognised YouTube video URL (youtube.com/watch?v=, youtu.be/,
-- youtube.com/shorts/, /embed/, /live/ on www., m. or music.youtube.com; see
-- private.youtube_video_id). A YouTube link typed without its scheme (youtu.be/<id>, which the
-- RPC has always accepted) is stored with https:// in front. A violation answers PT422 with
-- detail {"problems": [...]}.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Whether a URL is an absolute http(s) URL: scheme, a host of letters, digits, dots and dashes
-- (no user:password@), an optional port, then a path, query or fragment without spaces or
-- control characters.
create or replace function private.is_http_url(p_url text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(
    char_length(p_url) <= 2048
    and p_url ~* '^https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?([/?#][^[:space:][:cntrl:]]*)?$',
    false
  )
$$;
revoke all on function private.is_http_url(text) from public;
grant execute on function private.is_http_url(text) to authenticated, service_role;

create or replace function private.check_music_video_launch_url()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.launch_url is null then
    return new;
  end if;
  new.launch_url := btrim(new.launch_url);
  if new.platform = 'youtube' and new.launch_url !~* '^[a-z][a-z0-9+.-]*:'
     and private.youtube_video_id(new.launch_url) is not null then
    new.launch_url := 'https://' || new.launch_url;
  end if;
  if not private.is_http_url(new.launch_url) then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'launch_url', 'invalid_url',
      'The launch URL must be a web address starting with https:// or http://.')));
  end if;
  if new.platform = 'youtube' and private.youtube_video_id(new.launch_url) is null then
    perform private.raise_plan_problems(jsonb_build_array(private.plan_problem(
      'launch_url', 'invalid_youtube_url',
      'A YouTube launch URL must link to a video, such as https://www.youtube.com/watch?v=<id> '
      || 'or https://youtu.be/<id>.')));
  end if;
  return new;
end
$$;
revoke all on function private.check_music_video_launch_url() from public;

create trigger check_launch_url before insert or update of launch_url, platform
on public.music_video_platform_targets
for each row execute function private.check_music_video_launch_url();

-- The RPCs' parser reports the same rule as a field error of the list item
-- (platform_targets[i].launch_url), together with the request's other problems: the parser of
-- 20261124010400 checks YouTube URLs only, so it is kept under another name and wrapped.
-- The name is taken again below in the same transaction, so no caller ever misses it.
-- squawk-ignore renaming-object
alter function private.music_video_parse_platform_target(jsonb, text) rename to music_video_parse_platform_target_fields;

create or replace function private.music_video_parse_platform_target(p_item jsonb, p_prefix text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_parsed jsonb := private.music_video_parse_platform_target_fields(p_item, p_prefix);
  v_url text := btrim(p_item ->> 'launch_url');
begin
  if jsonb_typeof(p_item) = 'object' and jsonb_typeof(p_item -> 'launch_url') = 'string' and v_url <> ''
     and (p_item ->> 'platform') is distinct from 'youtube'
     and char_length(v_url) <= private.music_video_max_length('launch_url')
     and not private.is_http_url(v_url) then
    return jsonb_build_object('item', null, 'problems', (v_parsed -> 'problems') || private.plan_problem(
      p_prefix || 'launch_url', 'invalid_url',
      'The launch URL must be a web address starting with https:// or http://.'));
  end if;
  return v_parsed;
end
$$;
revoke all on function private.music_video_parse_platform_target(jsonb, text) from public;
grant execute on function private.music_video_parse_platform_target(jsonb, text) to authenticated, service_role;
