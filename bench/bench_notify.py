"""The daily digest (`verval notify`, decision 0043) over synthetic schools on PostgreSQL.

    DATABASE_URL is not read: pass --url (the database is dropped and created).
    python bench/bench_notify.py --url postgres://postgres@127.0.0.1:5432/verval_bench_notify \
        --schools 20000 --per-school 50

Loads N schools (each with one operator), N x per-school recipients (2 % put in FORMAT_SALAH
today), one answered dump batch over all of them (10 % residue today), 1 % failed injections
and the dashboard summary rows; then times the set-based queries and a whole run with Django's
in-memory mail backend (the mail server's own time is not in it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from benchdb import drop_database, fresh_database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--schools", type=int, default=20000)
    ap.add_argument("--per-school", type=int, default=50)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    fresh_database(args.url)

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from verval.accounts import digest

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    n, per = args.schools, args.per_school
    now = timezone.now()
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            """INSERT INTO reference_school (npsn, name, bentuk, status, region_id, regency_id, province_id,
                 active, created_at, updated_at)
               SELECT lpad((30000000 + g)::text, 8, '0'), 'SD Negeri ' || g || ' Bench', 'SD', 'N',
                 '020501', '020500', '020000', TRUE, now(), now() FROM generate_series(1, %s) g""",
            [n],
        )
        cur.execute(
            """INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                 is_staff, is_active, date_joined, role, school_id, provider, phone, digest_enabled)
               SELECT '!', FALSE, 'op' || g, '', '', 'op' || g || '@example.test', FALSE, TRUE, now(),
                 'OPERATOR', lpad((30000000 + g)::text, 8, '0'), '', '', TRUE FROM generate_series(1, %s) g""",
            [n],
        )
        cur.execute(
            """INSERT INTO registry_recipient (id, kind, category, name, nisn, nik, grade, school_id, phone_raw,
                 phone_e164, operator, status, reason, reason_note, status_changed_at, needs_validation,
                 locked, active, row_hash, version, created_at, updated_at)
               SELECT gen_random_uuid(), 'PD', 'DIKDASMEN', 'Siswa', '', '', 4,
                 lpad((30000000 + (g %% %s) + 1)::text, 8, '0'), '', '', 'telkomsel',
                 CASE WHEN g %% 50 = 0 THEN 'FORMAT_SALAH' ELSE 'MENUNGGU_PROVIDER' END, '', '',
                 CASE WHEN g %% 50 = 0 THEN %s ELSE %s - interval '30 days' END, FALSE, FALSE, TRUE, '', 1,
                 now(), now()
               FROM generate_series(1, %s) g""",
            [n, now, now, n * per],
        )
        cur.execute(
            """INSERT INTO exchange_dumpbatch (id, provider, created_at, rows, sha256, size, file_path,
                 manifest_path, state, number_format, answered, aktif, residu, superseded, contradictions,
                 last_result_at) VALUES ('DMP-BENCH', 'telkomsel', now(), 0, '', 0, '', '', 'COMPLETE',
                 'msisdn', 0, 0, 0, 0, 0, %s)""",
            [now],
        )
        cur.execute(
            """INSERT INTO exchange_dumpitem (batch_id, recipient_id, phone, grade, npsn, result, note,
                 answered_at, is_open, superseded, conflict_result, applied)
               SELECT 'DMP-BENCH', r.id, '', '4', r.school_id,
                 CASE WHEN random() < 0.1 THEN 'TIDAK_AKTIF' ELSE 'AKTIF' END, '', %s, FALSE, FALSE, '', TRUE
               FROM registry_recipient r""",
            [now],
        )
        cur.execute(
            """INSERT INTO dashboard_schoolsummary (school_id, regency, province, level, imported, belum,
                 format_salah, menunggu, sent, aktif, residu, sptjm_printed, sptjm_uploaded, sptjm_approved,
                 sptjm_returned, berhasil, gagal, score, sptjm_carried, sptjm_state, sptjm_to_print)
               SELECT npsn, regency_id, province_id, 'SD', 50, 0, 1, 0, 50, 45, 4, 0, 0, 0, 0, 0, 0, 1000, 0, '', 45
               FROM reference_school"""
        )
        cur.execute("ANALYZE")
    print(f"loaded {n} schools, {n * per} recipients and dump rows in {time.perf_counter() - t0:.1f} s")

    day = timezone.localdate()
    floor, until = digest.window(day)
    t = time.perf_counter()
    changes = digest.school_changes(day=day, floor=floor, until=until)
    print(f"school_changes: {len(changes)} schools in {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    digest.region_late_counts(day)
    print(f"region_late_counts: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    out = digest.run(actor=None, as_of=day)
    print(f"run: {out['sent']} mails composed, sent (locmem) and recorded in {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    again = digest.run(actor=None, as_of=day)
    print(f"second run the same day: {again['sent']} mails in {time.perf_counter() - t:.2f} s")
    if not args.keep:
        drop_database(args.url)


if __name__ == "__main__":
    main()
