-- Anonymous sign-ins (Supabase's `is_anonymous` JWT claim): when the host app enables them, an
-- anonymous user gets the `authenticated` role and a real auth.uid(), so without this it would
-- be a full user. The feature gives anonymous users nothing beyond the anon role's rights (which
-- are none): the one access rule answers no releases for them, admin rights never apply, and the
-- catalogs are read by signed-in (non-anonymous) users only.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- Whether the request comes from an anonymous sign-in. Only the literal JSON true counts; a
-- missing or malformed claim is a regular user.
create or replace function private.is_anonymous()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'is_anonymous' = 'true'::jsonb, false)
$$;
revoke all on function private.is_anonymous() from public;
grant execute on function private.is_anonymous() to authenticated, service_role;

-- The one ownership rule (20261124000200), now empty for anonymous users: every policy, RPC and
-- Storage policy asks it (directly or through accessible_video_ids / can_access_*), so they all
-- follow. security definer and plpgsql for the same reasons as before.
create or replace function private.accessible_release_ids()
returns setof uuid
language plpgsql
stable
security definer
rows 10
set search_path = ''
as $$
begin
  if (select private.is_anonymous()) then
    return;
  end if;
  return query
  select r.id
  from public.releases as r
  where r.user_id = (select auth.uid());
end
$$;

-- Admins are recognised from app_metadata (only the service role sets it); an anonymous session
-- is never an admin, whatever its metadata says.
create or replace function private.is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((select auth.jwt()) -> 'app_metadata' ->> 'role', '') = 'admin'
    and not private.is_anonymous()
$$;

-- Catalogs: readable by every signed-in user except anonymous ones (one policy per table).
do $$
declare
  t text;
begin
  foreach t in array array[
    'music_video_themes', 'music_video_art_styles', 'music_video_quality_tiers',
    'music_video_budgets', 'music_video_cast_options', 'music_video_chart_sources',
    'music_video_settings'
  ] loop
    execute format('drop policy "Signed-in users read the catalog" on public.%I', t);
    execute format('create policy "Signed-in users read the catalog" on public.%I '
                   'for select to authenticated using (not (select private.is_anonymous()))', t);
  end loop;
end
$$;
