-- Failed rows of an import (spec 3.3, acceptance criterion 7: "failed rows are reported with
-- actionable error messages"): one row per bad CSV cell or record, with its physical line
-- number, the column, the raw value and the reason, so the import dialog can page through them.
-- The broadcast worker writes them in batches (COPY) as the service role; owners of the video
-- and admins read them. Rows go with their import (on delete cascade).

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table public.music_video_import_row_errors (
  id bigint generated always as identity primary key,
  import_id uuid not null references public.music_video_metric_imports (id) on delete cascade,
  -- Copied from the import, so the read policy needs no join.
  music_video_id uuid references public.music_videos (id) on delete cascade,
  -- 1-based physical line where the record starts (the header is line 1).
  line integer not null,
  -- The mapped column (their header), null for a record-level problem (too few fields).
  column_name text,
  -- The cell as uploaded, stored as data (never evaluated; exports neutralise formulas).
  raw_value text,
  reason text not null,
  created_at timestamptz not null default timezone('utc'::text, now()),
  constraint music_video_import_row_errors_line_positive check (line >= 1)
);
-- The page query walks (import_id, line, id); the read policy filters on music_video_id.
create index music_video_import_row_errors_import_line_idx
on public.music_video_import_row_errors (import_id, line, id);
create index music_video_import_row_errors_video_idx on public.music_video_import_row_errors (music_video_id);

alter table public.music_video_import_row_errors enable row level security;
revoke all on table public.music_video_import_row_errors from anon, authenticated;
grant select on table public.music_video_import_row_errors to authenticated;
grant select, insert, update, delete on table public.music_video_import_row_errors to service_role;

create policy "Release owners and admins read import row errors" on public.music_video_import_row_errors
for select to authenticated
using ((select private.is_admin()) or music_video_id in (select private.accessible_video_ids()));

-- GET /imports/:id/errors?after_line=: one page of an import's failed rows, by line. A page
-- never splits a line: it ends at a line boundary (so it may hold a few more than p_limit rows
-- when the last line has several bad cells), and next_after_line is the cursor of the next page.
create or replace function private.music_video_import_errors(
  p_import_id uuid, p_after_line integer, p_limit integer
)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_found boolean;
  v_last_line integer;
begin
  -- the import as the caller may see it (RLS on the imports table): missing and not yours alike
  select true into v_found from public.music_video_metric_imports as i where i.id = p_import_id;
  if p_import_id is null or v_found is null then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception using
      errcode = '22023',
      message = 'Invalid page size',
      detail = jsonb_build_object('page_size', 'must be between 1 and 1000')::text;
  end if;

  select max(f.line) into v_last_line
  from (
    select e.line
    from public.music_video_import_row_errors as e
    where e.import_id = p_import_id and (p_after_line is null or e.line > p_after_line)
    order by e.line, e.id
    limit p_limit
  ) as f;

  return (
    select jsonb_build_object(
      'import_id', p_import_id,
      'total', (select count(*) from public.music_video_import_row_errors as t where t.import_id = p_import_id),
      'errors', coalesce(jsonb_agg(jsonb_build_object(
        'line', e.line, 'column', e.column_name, 'value', e.raw_value, 'reason', e.reason
      ) order by e.line, e.id), '[]'::jsonb),
      'next_after_line', case when exists (
        select 1 from public.music_video_import_row_errors as n
        where n.import_id = p_import_id and n.line > v_last_line
      ) then v_last_line end
    )
    from public.music_video_import_row_errors as e
    where e.import_id = p_import_id
      and (p_after_line is null or e.line > p_after_line)
      and e.line <= v_last_line
  );
end
$$;
revoke all on function private.music_video_import_errors(uuid, integer, integer) from public;
grant execute on function private.music_video_import_errors(uuid, integer, integer) to authenticated, service_role;

-- The API's form (plain parameter names; a malformed id is a 404).
create or replace function public.music_video_import_errors(
  import_id text, after_line integer default null, page_size integer default 100
)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.music_video_import_errors(private.try_uuid(import_id), after_line, page_size)
$$;
revoke all on function public.music_video_import_errors(text, integer, integer) from public, anon;
grant execute on function public.music_video_import_errors(text, integer, integer) to authenticated, service_role;
