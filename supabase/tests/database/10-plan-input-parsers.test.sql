-- The input parsers behind the plan RPCs: never raise, null for what they cannot read.
begin;
select plan(33);

select is(private.json_to_int('42'), 42, 'int: a JSON integer');
select is(private.json_to_int('"  -7 "'), -7, 'int: a string of digits');
select is(private.json_to_int('5.0'), 5, 'int: an integral JSON number');
select is(private.json_to_int('5.5'), null, 'int: a fraction is not an integer');
select is(private.json_to_int('2147483648'), null, 'int: over the integer range');
select is(private.json_to_int('"1e3"'), null, 'int: exponent strings are not digits');
select is(private.json_to_int('true'), null, 'int: a boolean is not a number');
select is(private.json_to_int('[1]'), null, 'int: an array is not a number');

select is(private.json_to_date('"2027-02-28"'), date '2027-02-28', 'date: ISO');
select is(private.json_to_date('"2027-02-30"'), null, 'date: an impossible day is null, not an error');
select is(private.json_to_date('"0000-01-01"'), null, 'date: year zero is null');
select is(private.json_to_date('"2027-2-3"'), null, 'date: only YYYY-MM-DD');
select is(private.json_to_date('20270203'), null, 'date: numbers are not dates');

select is(private.json_to_bool('true'), true, 'bool: JSON true');
select is(private.json_to_bool('" FALSE "'), false, 'bool: the string false');
select is(private.json_to_bool('"yes"'), null, 'bool: yes is not a boolean');

select is(private.slugify('Café Nights: Part 2!'), 'cafe-nights-part-2', 'slug: unaccented, lowercase, hyphens');
select is(private.slugify('  --Hello   World--  '), 'hello-world', 'slug: trimmed, runs collapsed');
select is(private.slugify('夜の街'), null, 'slug: nothing left is null');
select is(length(private.slugify(repeat('ab ', 100))) <= 60, true, 'slug: at most 60 characters');
select ok(private.slugify(repeat('ab ', 100)) !~ '-$', 'slug: a cut never ends in a hyphen');

select is(private.youtube_video_id('https://www.youtube.com/watch?v=dQw4w9WgXcQ'), 'dQw4w9WgXcQ', 'yt: watch?v=');
select is(private.youtube_video_id('https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=4'), 'dQw4w9WgXcQ',
  'yt: v after other params, timestamp');
select is(private.youtube_video_id('https://youtu.be/dQw4w9WgXcQ?t=42'), 'dQw4w9WgXcQ', 'yt: youtu.be with t=');
select is(private.youtube_video_id('https://www.youtube.com/embed/dQw4w9WgXcQ'), 'dQw4w9WgXcQ', 'yt: /embed/');
select is(private.youtube_video_id('https://youtube.com/shorts/dQw4w9WgXcQ?feature=share'), 'dQw4w9WgXcQ', 'yt: /shorts/');
select is(private.youtube_video_id('https://www.youtube.com/live/dQw4w9WgXcQ'), 'dQw4w9WgXcQ', 'yt: /live/');
select is(private.youtube_video_id('https://www.youtube.com/v/dQw4w9WgXcQ'), 'dQw4w9WgXcQ', 'yt: /v/');
select is(private.youtube_video_id('https://m.youtube.com/watch?v=dQw4w9WgXcQ#t=30'), 'dQw4w9WgXcQ', 'yt: m. + fragment');
select is(private.youtube_video_id('https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=x'), 'dQw4w9WgXcQ',
  'yt: music.youtube.com');
select is(private.youtube_video_id('https://vimeo.com/123'), null, 'yt: another site is null');
select is(private.youtube_video_id('https://evil-youtube.com/watch?v=dQw4w9WgXcQ'), null, 'yt: look-alike host is null');
select is(private.youtube_video_id('https://www.youtube.com/watch?v=tooShort'), null, 'yt: an id must be 11 characters');

select * from finish();
rollback;
