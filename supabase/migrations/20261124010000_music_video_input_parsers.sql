-- Parsers for untrusted RPC input. The plan RPCs take their scalar arguments as text and their
-- nested lists as jsonb, so that a malformed value (a bad uuid, 2026-02-30, "12.5" views)
-- reaches our code and is reported as a field error (PT422) instead of failing in PostgREST's
-- argument conversion with 22P02. Each parser returns null for a value it cannot read and
-- never raises.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Slugs are generated from titles without accents ("Café Nights" -> "cafe-nights").
create extension if not exists unaccent with schema extensions;

-- An integer from a JSON number or a string of digits, within the integer range; else null.
create or replace function private.json_to_int(p_value jsonb)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_num numeric;
begin
  if jsonb_typeof(p_value) = 'number' then
    v_num := (p_value #>> '{}')::numeric;
  elsif jsonb_typeof(p_value) = 'string' and btrim(p_value #>> '{}') ~ '^[+-]?[0-9]{1,12}$' then
    v_num := btrim(p_value #>> '{}')::numeric;
  else
    return null;
  end if;
  if v_num <> trunc(v_num) or v_num < -2147483648 or v_num > 2147483647 then
    return null;
  end if;
  return v_num::integer;
end
$$;

-- A calendar date from a JSON string 'YYYY-MM-DD'; null for anything else (2026-02-30 too).
create or replace function private.json_to_date(p_value jsonb)
returns date
language plpgsql
stable
set search_path = ''
as $$
begin
  if jsonb_typeof(p_value) <> 'string' or (p_value #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return null;
  end if;
  -- ISO dates read the same under every DateStyle.
  return (p_value #>> '{}')::date;
exception
  when others then
    return null;
end
$$;

-- A boolean from a JSON boolean or the strings 'true'/'false'; else null.
create or replace function private.json_to_bool(p_value jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_value) = 'boolean' then (p_value #>> '{}')::boolean
    when jsonb_typeof(p_value) = 'string' and lower(btrim(p_value #>> '{}')) in ('true', 'false')
      then lower(btrim(p_value #>> '{}'))::boolean
  end
$$;

-- A url-safe slug from a title: unaccented, lowercase, runs of other characters become one
-- hyphen, at most 60 characters; null when nothing is left (e.g. a title in another script).
create or replace function private.slugify(p_text text)
returns text
language sql
stable
set search_path = ''
as $$
  select nullif(
    btrim(left(btrim(regexp_replace(
      lower(extensions.unaccent('extensions.unaccent'::regdictionary, coalesce(p_text, ''))),
      '[^a-z0-9]+', '-', 'g'), '-'), 60), '-'),
    '')
$$;

-- The 11-character YouTube video id in a launch URL, in any of YouTube's forms: watch?v=
-- (v anywhere in the query), youtu.be/<id>, /embed/, /shorts/, /live/, /v/, /e/, on www., m.,
-- music. or youtube-nocookie.com, with or without a scheme, extra query parameters, a
-- timestamp or a fragment. Null when the URL is not a YouTube video URL.
create or replace function private.youtube_video_id(p_url text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when u.m is null then null
    when lower(u.m[1]) = 'youtu.be' then substring(u.m[2] from '^/([A-Za-z0-9_-]{11})(?:[/&;].*)?$')
    when u.m[2] ~* '^/watch/?$' then substring(u.m[3] from '[?&;]v=([A-Za-z0-9_-]{11})(?:[&;]|$)')
    else substring(u.m[2] from '^/(?:embed|shorts|live|v|e)/([A-Za-z0-9_-]{11})(?:[/&;].*)?$')
  end
  from (
    select regexp_match(
      btrim(coalesce(p_url, '')),
      '^(?:https?://)?(?:(?:www|m|music)\.)?(youtube\.com|youtube-nocookie\.com|youtu\.be)'
      || '(?::[0-9]+)?(/[^?#]*)?(\?[^#]*)?(#.*)?$',
      'i') as m
  ) as u
$$;

revoke all on function private.json_to_int(jsonb) from public;
revoke all on function private.json_to_date(jsonb) from public;
revoke all on function private.json_to_bool(jsonb) from public;
revoke all on function private.slugify(text) from public;
revoke all on function private.youtube_video_id(text) from public;
grant execute on function private.json_to_int(jsonb) to authenticated, service_role;
grant execute on function private.json_to_date(jsonb) to authenticated, service_role;
grant execute on function private.json_to_bool(jsonb) to authenticated, service_role;
grant execute on function private.slugify(text) to authenticated, service_role;
grant execute on function private.youtube_video_id(text) to authenticated, service_role;
