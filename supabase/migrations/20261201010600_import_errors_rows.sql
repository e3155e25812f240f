-- music_video_import_errors as typed rows (issue 12, sections 1-2): the import dialog's read
-- returned {import_id, total, errors: [{line, column, value, reason}], next_after_line} as jsonb.
-- It now returns one row per failed cell or record (public.music_video_import_error), by line;
-- a page still never splits a line, and its last row carries next_after_line when another page
-- follows (pass it as after_line). total (all failed rows of the import) is on every row.

-- Fail fast instead of queueing behind live traffic.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create type public.music_video_import_error as (
  -- 1-based physical line where the record starts (the header is line 1)
  line integer,
  -- the mapped column (their header); null for a record-level problem
  column_name text,
  -- the cell as uploaded
  raw_value text,
  reason text,
  -- every failed row of the import, not only this page's
  total bigint,
  -- set on the page's last row only when another page follows: pass it as after_line
  next_after_line integer
);
grant usage on type public.music_video_import_error to authenticated, service_role;

-- A new return type (typed rows) needs drop + create; no overload is left behind.
-- squawk-ignore ban-drop-function
drop function public.music_video_import_errors(text, integer, integer);
-- Its jsonb page builder had no other caller: the public function now reads the rows itself.
-- squawk-ignore ban-drop-function
drop function private.music_video_import_errors(uuid, integer, integer);

-- GET /imports/:id/errors?after_line=. security invoker: RLS on the imports and their errors
-- decides; an import that is missing or not yours is PT404 alike. The page query walks
-- music_video_import_row_errors_import_line_idx.
create function public.music_video_import_errors(
  import_id text, after_line integer default null, page_size integer default 100
)
returns setof public.music_video_import_error
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_import uuid := private.try_uuid(btrim(music_video_import_errors.import_id));
  v_after integer := music_video_import_errors.after_line;
  v_limit integer := music_video_import_errors.page_size;
  v_found boolean;
  v_last_line integer;
  v_total bigint;
  v_more boolean;
begin
  select true into v_found from public.music_video_metric_imports as i where i.id = v_import;
  if v_import is null or v_found is null then
    raise exception using errcode = 'PT404', message = 'Import not found';
  end if;
  if v_limit is null or v_limit < 1 or v_limit > 1000 then
    perform private.raise_bad_argument('page_size', 'out_of_range', 'page_size must be between 1 and 1000.');
  end if;

  -- the page ends at the last line of its first page_size rows, whole
  select max(f.line) into v_last_line
  from (
    select e.line
    from public.music_video_import_row_errors as e
    where e.import_id = v_import and (v_after is null or e.line > v_after)
    order by e.line, e.id
    limit v_limit
  ) as f;
  select count(*) into v_total from public.music_video_import_row_errors as t where t.import_id = v_import;
  v_more := exists (
    select 1 from public.music_video_import_row_errors as n
    where n.import_id = v_import and n.line > v_last_line
  );

  return query
  select
    e.line, e.column_name, e.raw_value, e.reason, v_total,
    case when v_more and row_number() over (order by e.line desc, e.id desc) = 1 then v_last_line end
  from public.music_video_import_row_errors as e
  where e.import_id = v_import
    and (v_after is null or e.line > v_after)
    and e.line <= v_last_line
  order by e.line, e.id;
end
$$;
revoke all on function public.music_video_import_errors(text, integer, integer) from public, anon;
grant execute on function public.music_video_import_errors(text, integer, integer) to authenticated, service_role;
