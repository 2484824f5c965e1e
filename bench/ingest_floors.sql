-- Floors of a results ingest at 1 M rows (decision 0051): what the statements an ingest needs cost
-- on this PostgreSQL, without any application code. Run:
--   createdb -h 127.0.0.1 -U postgres verval_floor
--   psql -h 127.0.0.1 -U postgres verval_floor -v rows=1000000 -f bench/ingest_floors.sql
-- Tables mirror the registry (fillfactor 50, the two indexes, decision 0006) and the dump rows;
-- the stage holds one result per dumped row, 75 % AKTIF. Each measured step runs in a transaction
-- that is rolled back, and both tables are vacuumed before each (a rolled-back UPDATE leaves dead
-- rows that fill the room HOT updates need).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP TABLE IF EXISTS r, items, stage, results;
CREATE TABLE r (id uuid PRIMARY KEY, school_id int NOT NULL, kind text NOT NULL, grade int, name text NOT NULL,
  nisn text NOT NULL, nik text NOT NULL, phone_raw text NOT NULL, phone_e164 text NOT NULL, operator text NOT NULL,
  status text NOT NULL, reason text NOT NULL, reason_note text NOT NULL, status_changed_at timestamptz,
  updated_at timestamptz NOT NULL, version int NOT NULL, active bool NOT NULL, row_hash text NOT NULL) WITH (fillfactor=50);
INSERT INTO r SELECT gen_random_uuid(), (i % 20000), 'PD', (i % 12)+1, 'NAMA SISWA ' || i, lpad(i::text,10,'0'), lpad(i::text,16,'0'),
  '0812' || lpad(i::text, 8, '0'), '+62812' || lpad(i::text, 8, '0'), 'telkomsel', 'MENUNGGU_PROVIDER', '', '', now(), now(), 1, true, md5(i::text)
  FROM generate_series(1, :rows) i;
CREATE INDEX ON r (school_id, kind, grade, name);
CREATE INDEX ON r (phone_e164);
CREATE TABLE items (id bigserial PRIMARY KEY, batch_id text NOT NULL, recipient_id uuid NOT NULL, phone text NOT NULL,
  grade int, npsn text NOT NULL, result text NOT NULL DEFAULT '', note text NOT NULL DEFAULT '', answered_at timestamptz,
  is_open bool NOT NULL DEFAULT true, superseded bool NOT NULL DEFAULT false, applied bool NOT NULL DEFAULT false,
  conflict_result text NOT NULL DEFAULT '', answered_by_id int, answered_in_id bigint) WITH (fillfactor=50);
INSERT INTO items (batch_id, recipient_id, phone, grade, npsn) SELECT 'B1', id, phone_e164, grade, '20100001' FROM r;
CREATE INDEX ON items (batch_id, recipient_id);
CREATE INDEX ON items (recipient_id);
CREATE UNLOGGED TABLE stage (line bigint, rid uuid, phone text, status text, note text);
INSERT INTO stage SELECT row_number() over (), recipient_id, phone, CASE WHEN random() < 0.75 THEN 'AKTIF' ELSE 'TIDAK_AKTIF' END, '' FROM items;
VACUUM ANALYZE r; VACUUM ANALYZE items; ANALYZE stage;
\copy stage TO '/tmp/verval_floor_stage.csv' csv
SET work_mem = '256MB';
\timing on
\echo '== COPY of the results into a staging table'
BEGIN;
CREATE TEMP TABLE s2 (line bigint, rid uuid, phone text, status text, note text) ON COMMIT DROP;
\copy s2 FROM '/tmp/verval_floor_stage.csv' csv
ROLLBACK;
\echo '== classify against the batch and the registry (today) / against the batch only'
BEGIN;
CREATE TEMP TABLE cls AS SELECT s.line, s.rid, s.status, d.id AS item_id, CASE WHEN d.id IS NULL THEN 'X' WHEN s.phone <> d.phone THEN 'N' WHEN d.result <> '' THEN 'S' WHEN r.phone_e164 <> d.phone THEN 'C' WHEN r.status <> 'MENUNGGU_PROVIDER' THEN 'T' ELSE 'OK' END code
 FROM stage s LEFT JOIN items d ON d.batch_id = 'B1' AND d.recipient_id = s.rid LEFT JOIN r ON r.id = s.rid;
ROLLBACK;
BEGIN;
CREATE TEMP TABLE cls2 AS SELECT s.line, s.rid, s.status, d.id AS item_id, CASE WHEN d.id IS NULL THEN 'X' WHEN s.phone <> d.phone THEN 'N' WHEN d.result <> '' THEN 'S' ELSE 'OK' END code
 FROM stage s LEFT JOIN items d ON d.batch_id = 'B1' AND d.recipient_id = s.rid;
ROLLBACK;
\timing off
VACUUM ANALYZE r; VACUUM ANALYZE items; CHECKPOINT;
\timing on
\echo '== today: UPDATE the dump rows, then the recipients (both heap-only)'
BEGIN;
UPDATE items d SET result = s.status, note = s.note, answered_at = now(), is_open = false, applied = true FROM stage s WHERE d.batch_id = 'B1' AND d.recipient_id = s.rid;
UPDATE r SET status = CASE WHEN s.status = 'AKTIF' THEN 'AKTIF' ELSE 'RESIDU' END, reason = CASE WHEN s.status = 'AKTIF' THEN '' ELSE s.status END, status_changed_at = now(), updated_at = now(), version = r.version + 1 FROM stage s WHERE r.id = s.rid;
ROLLBACK;
\echo '== appended: INSERT the results into their own table, then its recipient index'
BEGIN;
CREATE TABLE results (batch_id text NOT NULL, recipient_id uuid NOT NULL, status text NOT NULL, note text NOT NULL, answered_at timestamptz NOT NULL, job_id bigint);
INSERT INTO results SELECT 'B1', rid, status, note, now(), 1 FROM stage;
CREATE INDEX ON results (recipient_id);
ROLLBACK;
