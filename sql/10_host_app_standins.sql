-- Local stand-ins for the host app's tables. A real project already has these (with more
-- columns); our migrations assume only the columns below (see ARCHITECTURE.md).

create table if not exists public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  full_name text
);

create table if not exists public.releases (
  id uuid primary key default extensions.uuid_generate_v4(),
  user_id uuid not null references auth.users (id) on delete cascade,
  title text
);
create index if not exists releases_user_id_idx on public.releases (user_id);

create table if not exists public.release_profiles (
  release_id uuid primary key references public.releases (id) on delete cascade,
  genre text
);

alter table public.profiles enable row level security;
alter table public.releases enable row level security;
alter table public.release_profiles enable row level security;

grant select, insert, update, delete on public.profiles, public.releases, public.release_profiles
  to authenticated, service_role;

-- The host app's own rules, reduced to ownership.
create policy "Users read their own profile" on public.profiles
  for select to authenticated using (id = (select auth.uid()));
create policy "Owners read their releases" on public.releases
  for select to authenticated using (user_id = (select auth.uid()));
create policy "Owners create releases" on public.releases
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "Owners update their releases" on public.releases
  for update to authenticated using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "Owners delete their releases" on public.releases
  for delete to authenticated using (user_id = (select auth.uid()));
create policy "Owners read their release profiles" on public.release_profiles
  for select to authenticated using (
    exists (select 1 from public.releases as r
            where r.id = release_id and r.user_id = (select auth.uid()))
  );
