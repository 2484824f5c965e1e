"""A results file that answers a small share of the dump rows updates them through the primary
key instead of a hash join over the whole table (decision 0088): the same rows and counts, and
the planner's settings back to their defaults for what follows in the transaction."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from tests.exchange.helpers import dump_rows, results_file
from tests.factories import RecipientFactory
from verval.exchange import actions, services
from verval.exchange.models import DumpItem
from verval.registry.models import Recipient

pytestmark = pytest.mark.postgres


def test_a_small_share_of_the_dump_rows_is_answered_by_key_lookups_with_the_same_rows_and_counts(
    school, tmp_path, monkeypatch
):
    Recipient.objects.bulk_create(
        [RecipientFactory.build(school=school, status="MENUNGGU_PROVIDER") for _ in range(400)]
    )
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_recipient")
        cursor.execute("ANALYZE exchange_dumpitem")
    rows = dump_rows(batch)[:30]  # 30 of 400 rows: 7.5 %, under KEY_LOOKUPS_BELOW_SHARE
    Recipient.objects.filter(pk=rows[0]["pd_id"]).update(phone_e164="+6281277777777")
    Recipient.objects.filter(pk=rows[1]["pd_id"]).update(status="BELUM_VERVAL")
    planned = []
    real = services._key_lookups
    monkeypatch.setattr(services, "_key_lookups", lambda *a: planned.append(real(*a)) or planned[-1])
    path = results_file(
        tmp_path,
        [(r["pd_id"], r["no_ponsel"], "AKTIF" if i % 2 else "TIDAK_AKTIF") for i, r in enumerate(rows)],
    )

    settings = "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), current_setting('jit')"
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(settings)
            before = cursor.fetchone()
        counts, issues = actions.apply_match_results(actor=None, batch=batch, path=path)
        with connection.cursor() as cursor:
            cursor.execute(settings)
            after = cursor.fetchone()

    assert planned == [{"enable_hashjoin": "off", "enable_mergejoin": "off", "jit": "off"}]
    assert after == before
    assert (counts["applied"], counts["aktif"], counts["residu"], counts["stale"], counts["refused"]) == (
        28,
        14,
        14,
        2,
        0,
    )
    assert counts["by_code"] == {"NOMOR_SUDAH_DIUBAH": 1, "STATUS_SUDAH_BERUBAH": 1}
    assert [(i.line, i.code) for i in issues] == [(2, "NOMOR_SUDAH_DIUBAH"), (3, "STATUS_SUDAH_BERUBAH")]
    by_id = {str(r.pk): r for r in Recipient.objects.filter(pk__in=[r["pd_id"] for r in rows])}
    assert [
        (by_id[r["pd_id"]].status, by_id[r["pd_id"]].reason, by_id[r["pd_id"]].version) for r in rows
    ] == [
        ("MENUNGGU_PROVIDER", "", 1),
        ("BELUM_VERVAL", "", 1),
    ] + [("AKTIF", "", 2) if i % 2 else ("RESIDU", "TIDAK_AKTIF", 2) for i in range(2, 30)]
    answered = dict(
        DumpItem.objects.filter(batch=batch).exclude(result="").values_list("recipient_id", "applied")
    )
    assert {str(k): v for k, v in answered.items()} == {r["pd_id"]: i >= 2 for i, r in enumerate(rows)}
    assert Recipient.objects.filter(status="MENUNGGU_PROVIDER").count() == 371
