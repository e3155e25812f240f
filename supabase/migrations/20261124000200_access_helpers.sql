-- Access decisions in one place. Every policy and RPC asks these functions, so adapting the
-- feature to another ownership model (bands, teams) means changing one function. They live in
-- a schema PostgREST does not expose.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create schema if not exists private;
grant usage on schema private to authenticated, service_role;

-- The releases the current user may access: today, the ones it owns (releases.user_id).
-- This is the one ownership rule; policies use it as `release_id in (select ...)`, which the
-- planner evaluates once per query. security definer so the answer does not depend on the
-- host app's own RLS on releases. rows 10 is a planner estimate only (a user has a handful of
-- releases, not the default 1,000): with it, policies probe music_videos by release_id instead
-- of hashing a Seq Scan of the whole table. plpgsql rather than sql only for speed: every
-- policy check calls it, and a plpgsql body's plan is cached per session while a non-inlinable
-- sql body is planned again on every call.
create or replace function private.accessible_release_ids()
returns setof uuid
language plpgsql
stable
security definer
rows 10
set search_path = ''
as $$
begin
  return query
  select r.id
  from public.releases as r
  where r.user_id = (select auth.uid());
end
$$;

-- Single-release form of the same rule, for RPCs that check one release. The service role
-- (operators, the workers) bypasses RLS anyway and may act on any release, so for it the
-- ownership rule is skipped and only existence is checked (a missing release stays the RPCs'
-- PT404 rather than a foreign-key error). Never null: a caller's `not can_access_release(x)`
-- must not let a null through.
create or replace function private.can_access_release(p_release_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select case
      when coalesce((select auth.role()) = 'service_role', false)
        then exists (select 1 from public.releases as r where r.id = p_release_id)
      else coalesce(p_release_id in (select private.accessible_release_ids()), false)
    end
  );
end
$$;

-- Admins are recognised from app_metadata, which only the service role can set.
create or replace function private.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role', '') = 'admin'
$$;

-- Keeps updated_at accurate on every table that has one (spec 2.4).
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Parses a uuid from untrusted text (storage paths), or null; never raises.
create or replace function private.try_uuid(p_text text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when p_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then p_text::uuid
  end
$$;

revoke all on function private.accessible_release_ids() from public;
revoke all on function private.can_access_release(uuid) from public;
revoke all on function private.is_admin() from public;
revoke all on function private.set_updated_at() from public;
revoke all on function private.try_uuid(text) from public;
grant execute on function private.accessible_release_ids() to authenticated, service_role;
grant execute on function private.can_access_release(uuid) to authenticated, service_role;
grant execute on function private.is_admin() to authenticated, service_role;
grant execute on function private.try_uuid(text) to authenticated, service_role;
