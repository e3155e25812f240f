-- The broadcast-imports bucket (20261130190300): private, at most 200 MB, CSV/TSV/text only.
begin;
select plan(4);

select is(
  (select file_size_limit from storage.buckets where id = 'music-video-broadcast-imports'),
  209715200::bigint, 'broadcast uploads are limited to 200 MB'
);
select is(
  (select allowed_mime_types from storage.buckets where id = 'music-video-broadcast-imports'),
  array['text/csv', 'text/plain', 'text/tab-separated-values', 'application/vnd.ms-excel']::text[],
  'broadcast uploads are CSV, TSV or text'
);
select is(
  (select public from storage.buckets where id = 'music-video-broadcast-imports'), false,
  'the bucket stays private'
);
select ok(
  not exists (
    select 1 from storage.buckets as b
    where b.id = 'music-video-broadcast-imports' and 'image/png' = any(b.allowed_mime_types)
  ),
  'an image is not a broadcast upload'
);

select * from finish();
rollback;
