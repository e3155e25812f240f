-- =============================================================================================
-- DEMO DATA. Never apply to a real project. Local databases only (the embedded one, or the one
-- `supabase start` runs on 127.0.0.1:54322); `python -m devtools` refuses any other host.
--
-- What `./scripts/run` loads after the migrations and the catalog seed (supabase/seed.sql), so a
-- fresh checkout is a living product: a signed-in user with two releases, a video in every
-- board lane, a year of daily YouTube metrics, chart runs, a TV import with failed rows, a
-- metric override and the alerts the database raises from that data. See the README, "The demo".
--
-- The files run in name order, all in ONE transaction:
--   00_users_and_releases.sql  removes the previous demo, then the users (GoTrue-compatible) and
--                              their releases (the host app's tables)
--   10_plans.sql               the plans, written as the demo user through the RPCs and the table
--                              endpoints, so every plan rule and RLS policy judges them
--   15_board.sql               their life so far: submits, board moves, timeline, shots, actuals
--   20_metrics.sql             what the workers would have written: imports, samples, chart runs
--   90_checks.sql              fails the load when the demo is not what the README promises
-- Dates are relative to the day the demo is loaded (current_date, UTC).
--
-- Load it by hand (psql, one transaction):
--   psql "$URL" -v ON_ERROR_STOP=1 --single-transaction \
--     -f supabase/demo/00_users_and_releases.sql -f supabase/demo/10_plans.sql \
--     -f supabase/demo/15_board.sql -f supabase/demo/20_metrics.sql -f supabase/demo/90_checks.sql
-- Running it again replaces the demo (the same ids for users and releases).
-- =============================================================================================

-- Dates and times of the demo are UTC whatever the server's or the client's time zone.
set local timezone to 'UTC';

-- pg_temp.demo_act_as(role, sub, email) does what PostgREST does at the start of a request, for
-- the rest of this transaction (until the next call): the role and the JWT's claims.
-- demo_act_as('owner') goes back to the database owner without a JWT, as the workers run.
create or replace function pg_temp.demo_act_as(p_role text, p_sub uuid default null, p_email text default null)
returns void
language plpgsql
as $$
begin
  if p_role = 'owner' then
    perform set_config('request.jwt.claims', '', true);
    perform set_config('role', 'none', true);
  else
    perform set_config('request.jwt.claims', jsonb_strip_nulls(jsonb_build_object(
      'sub', p_sub, 'role', p_role, 'aud', p_role, 'email', p_email,
      'app_metadata', case when p_sub is not null then '{"provider": "email"}'::jsonb end
    ))::text, true);
    perform set_config('role', p_role, true);
  end if;
end
$$;

-- The demo user (demo@example.com) and another user (other@example.com); both sign in with the
-- password `music-videos-demo`. Fixed ids, so the README can name them.
--   demo user   d3e0d3e0-0000-4000-8000-000000000001
--   other user  d3e0d3e0-0000-4000-8000-000000000002

-- 1. Forget the previous demo: the releases first (cascading to their videos and everything
--    hanging off those: metrics, imports, alerts, history, timeline), then the users with their
--    profiles. (Deleting the users alone lets the profile's cascade touch milestones whose video
--    is being deleted in the same statement.)
delete from public.releases
where user_id in ('d3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000002');

delete from auth.users
where id in ('d3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000002');

-- 2. The users, as GoTrue stores an email sign-up whose address is confirmed: bcrypt password
--    (pgcrypto's crypt with a 'bf' salt is what GoTrue verifies), aud/role authenticated.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
values
(
  '00000000-0000-0000-0000-000000000000', 'd3e0d3e0-0000-4000-8000-000000000001',
  'authenticated', 'authenticated', 'demo@example.com',
  extensions.crypt('music-videos-demo', extensions.gen_salt('bf')), now() - interval '400 days',
  '{"provider": "email", "providers": ["email"]}', '{"full_name": "Dana Demo"}',
  now() - interval '400 days', now()
),
(
  '00000000-0000-0000-0000-000000000000', 'd3e0d3e0-0000-4000-8000-000000000002',
  'authenticated', 'authenticated', 'other@example.com',
  extensions.crypt('music-videos-demo', extensions.gen_salt('bf')), now() - interval '90 days',
  '{"provider": "email", "providers": ["email"]}', '{"full_name": "Omar Other"}',
  now() - interval '90 days', now()
);

-- 3. What a real GoTrue schema needs beyond our baseline's subset (supabase start's database):
--    its token columns must be '' rather than null, or password sign-in fails with "converting
--    NULL to string is unsupported" (supabase/auth#1940); and an email identity per user. Both
--    are skipped where the columns or the table do not exist (the embedded database).
do $$
declare
  v_col text;
begin
  foreach v_col in array array[
    'confirmation_token', 'recovery_token', 'email_change_token_new', 'email_change_token_current',
    'email_change', 'phone_change', 'phone_change_token', 'reauthentication_token'
  ] loop
    if exists (
      select 1 from information_schema.columns as c
      where c.table_schema = 'auth' and c.table_name = 'users' and c.column_name = v_col
    ) then
      execute format(
        'update auth.users set %1$I = coalesce(%1$I, %2$L) where id in (%3$L, %4$L)',
        v_col, '', 'd3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000002'
      );
    end if;
  end loop;
  if to_regclass('auth.identities') is not null then
    execute $sql$
      insert into auth.identities (id, user_id, provider_id, provider, identity_data, last_sign_in_at, created_at, updated_at)
      select extensions.uuid_generate_v4(), u.id, u.id::text, 'email',
             jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),
             now(), u.created_at, now()
      from auth.users as u
      where u.id in ('d3e0d3e0-0000-4000-8000-000000000001', 'd3e0d3e0-0000-4000-8000-000000000002')
    $sql$;
  end if;
end
$$;

-- The profiles: the host app may create them itself when a user is inserted (a common trigger),
-- and its profiles table may not have our stand-in's full_name; both are allowed for.
insert into public.profiles (id)
values ('d3e0d3e0-0000-4000-8000-000000000001'), ('d3e0d3e0-0000-4000-8000-000000000002')
on conflict (id) do nothing;

do $$
begin
  if exists (
    select 1 from information_schema.columns as c
    where c.table_schema = 'public' and c.table_name = 'profiles' and c.column_name = 'full_name'
  ) then
    update public.profiles as p
    set full_name = n.full_name
    from (values
      ('d3e0d3e0-0000-4000-8000-000000000001'::uuid, 'Dana Demo'),
      ('d3e0d3e0-0000-4000-8000-000000000002'::uuid, 'Omar Other')
    ) as n (id, full_name)
    where p.id = n.id;
  end if;
end
$$;

-- 4. The releases (the host app's tables): two of the demo user's, one of the other user's.
insert into public.releases (id, user_id, title)
values
('d3e0d3e0-0000-4000-8000-0000000000a1', 'd3e0d3e0-0000-4000-8000-000000000001', 'Luna Vega - Neon Hearts'),
('d3e0d3e0-0000-4000-8000-0000000000a2', 'd3e0d3e0-0000-4000-8000-000000000001', 'Luna Vega - Coastline (single)'),
('d3e0d3e0-0000-4000-8000-0000000000b1', 'd3e0d3e0-0000-4000-8000-000000000002', 'The Basement Tapes');

insert into public.release_profiles (release_id, genre)
values
('d3e0d3e0-0000-4000-8000-0000000000a1', 'pop'),
('d3e0d3e0-0000-4000-8000-0000000000a2', 'indie'),
('d3e0d3e0-0000-4000-8000-0000000000b1', 'rock');
