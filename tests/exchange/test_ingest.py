from __future__ import annotations

import gzip
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.exchange.helpers import dump_rows, results_file
from tests.factories import RecipientFactory
from verval.core import jobs
from verval.core.models import Job
from verval.exchange import actions
from verval.exchange.models import DumpBatch, DumpItem
from verval.registry import selectors
from verval.registry.models import NumberHistory, Recipient


def ingest(batch, path):  # type: ignore[no-untyped-def]
    return jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)


@pytest.fixture
def rows(tsel_batch):  # type: ignore[no-untyped-def]
    return dump_rows(tsel_batch)


@pytest.fixture
def lenient(settings):  # type: ignore[no-untyped-def]
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}


def test_aktif_and_residue_results_are_applied_with_history(tsel_batch, rows, tmp_path, operator):
    path = results_file(
        tmp_path,
        [
            (rows[0]["pd_id"], rows[0]["no_ponsel"], "AKTIF", ""),
            (rows[1]["pd_id"], "+" + rows[1]["no_ponsel"], "TIDAK_AKTIF", "nomor hangus"),
            (rows[2]["pd_id"], "0" + rows[2]["no_ponsel"][2:], "BUKAN_PELANGGAN", ""),
        ],
    )
    job = ingest(tsel_batch, path)
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["applied"], job.counts["aktif"], job.counts["residu"], job.counts["refused"]) == (
        3,
        1,
        2,
        0,
    )
    r0, r1, r2 = (Recipient.objects.get(pk=r["pd_id"]) for r in rows[:3])
    assert (r0.status, r0.reason, r0.version) == ("AKTIF", "", 2)
    assert (r1.status, r1.reason, r1.reason_note, r1.version) == ("RESIDU", "TIDAK_AKTIF", "nomor hangus", 2)
    assert (r2.status, r2.reason) == ("RESIDU", "BUKAN_PELANGGAN")
    # The answered dump row is the record of the result; the timeline shows it.
    assert not NumberHistory.objects.filter(recipient__in=[r0, r1, r2]).exists()
    item = DumpItem.objects.get(batch=tsel_batch, recipient_id=r1.pk)
    assert (item.result, item.note, item.is_open, item.applied, item.answered_in_id) == (
        "TIDAK_AKTIF",
        "nomor hangus",
        False,
        True,
        job.pk,
    )
    _, timeline = selectors.recipient_history(operator, r1.school_id, r1.pk)
    (h,) = timeline
    assert (h.action, h.from_status, h.to_status, h.reason, h.job_id, h.note, h.at) == (
        "provider_result",
        "MENUNGGU_PROVIDER",
        "RESIDU",
        "TIDAK_AKTIF",
        job.pk,
        tsel_batch.id,
        item.answered_at,
    )
    assert h.phone_after == "0" + rows[1]["no_ponsel"][2:5] + "****" + rows[1]["no_ponsel"][-4:]


def test_timeline_keeps_history_and_provider_results_newest_first_and_skips_unapplied_results(
    tsel_batch, rows, tmp_path, operator
):
    rid = rows[0]["pd_id"]
    ingest(tsel_batch, results_file(tmp_path, [(rid, rows[0]["no_ponsel"], "AKTIF", "")]))
    r = Recipient.objects.get(pk=rid)
    NumberHistory.objects.create(
        recipient=r, action="edit_number", from_status="AKTIF", to_status="BELUM_VERVAL"
    )
    _, timeline = selectors.recipient_history(operator, r.school_id, r.pk)
    assert [(e.action, e.to_status) for e in timeline] == [
        ("edit_number", "BELUM_VERVAL"),
        ("provider_result", "AKTIF"),
    ]
    # A result that arrives after the recipient's status changed is recorded but not applied.
    DumpItem.objects.filter(recipient_id=rid).update(applied=False)
    _, timeline = selectors.recipient_history(operator, r.school_id, r.pk)
    assert [e.action for e in timeline] == ["edit_number"]


def test_unanswered_rows_leave_the_batch_incomplete_with_their_count(tsel_batch, rows, tmp_path):
    job = ingest(
        tsel_batch, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[:7]])
    )
    assert (job.counts["batch_state"], job.counts["unanswered"]) == ("INCOMPLETE", 3)
    tsel_batch.refresh_from_db()
    assert (tsel_batch.state, tsel_batch.answered, tsel_batch.unanswered) == ("INCOMPLETE", 7, 3)
    ingest(
        tsel_batch,
        results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[7:]], name="b.csv"),
    )
    tsel_batch.refresh_from_db()
    assert (tsel_batch.state, tsel_batch.unanswered) == ("COMPLETE", 0)


def test_same_file_twice_changes_nothing(tsel_batch, rows, tmp_path):
    path = results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "TIDAK_TERDAFTAR") for r in rows])
    first = ingest(tsel_batch, path)
    before = list(Recipient.objects.order_by("pk").values_list("pk", "status", "version", "updated_at"))
    ledger = list(DumpItem.objects.order_by("pk").values_list("pk", "answered_at", "answered_in", "applied"))
    second = ingest(tsel_batch, path)
    assert second.state == Job.State.SUCCEEDED
    assert (first.counts["applied"], second.counts["applied"], second.counts["unchanged"]) == (10, 0, 10)
    assert (
        list(Recipient.objects.order_by("pk").values_list("pk", "status", "version", "updated_at")) == before
    )
    assert (
        list(DumpItem.objects.order_by("pk").values_list("pk", "answered_at", "answered_in", "applied"))
        == ledger
    )
    assert [row[2:] for row in ledger] == [(first.pk, True)] * 10


def test_contradicting_answer_is_refused_and_listed_for_pusdatin(lenient, tsel_batch, rows, tmp_path):
    ingest(tsel_batch, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]))
    changed = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[1:]] + [
        (rows[0]["pd_id"], rows[0]["no_ponsel"], "TIDAK_AKTIF")
    ]
    job = ingest(tsel_batch, results_file(tmp_path, changed, name="b.csv"))
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["contradictions"], job.counts["refused"], job.counts["unchanged"]) == (1, 1, 9)
    assert [(i.line, i.column, i.code) for i in job.issues.all()] == [(11, "status", "BERTENTANGAN")]
    item = DumpItem.objects.get(batch=tsel_batch, recipient_id=rows[0]["pd_id"])
    assert (item.result, item.conflict_result) == ("AKTIF", "TIDAK_AKTIF")
    assert Recipient.objects.get(pk=rows[0]["pd_id"]).status == "AKTIF"
    tsel_batch.refresh_from_db()
    assert tsel_batch.contradictions == 1


def test_every_refused_row_is_reported_with_line_column_and_code(
    lenient, school, tsel_batch, rows, tmp_path, waiting
):
    unknown = str(uuid.uuid4())
    isat = waiting["indosat"][0]
    path = results_file(
        tmp_path,
        [
            (rows[0]["pd_id"], rows[0]["no_ponsel"], "AKTIF", ""),  # line 2 ok
            ("bukan-uuid", rows[1]["no_ponsel"], "AKTIF", ""),  # 3 PD_ID_TIDAK_VALID
            (rows[2]["pd_id"], "08abc", "AKTIF", ""),  # 4 NOMOR_TIDAK_VALID
            (rows[3]["pd_id"], rows[3]["no_ponsel"], "HIDUP", ""),  # 5 STATUS_TIDAK_VALID
            (unknown, rows[4]["no_ponsel"], "AKTIF", ""),  # 6 PD_ID_TIDAK_DIKENAL
            (str(isat.pk), isat.phone_e164[1:], "AKTIF", ""),  # 7 BUKAN_BATCH_INI
            (rows[5]["pd_id"], "6281300000000", "AKTIF", ""),  # 8 NOMOR_TIDAK_SESUAI
            (rows[0]["pd_id"], rows[0]["no_ponsel"], "AKTIF", ""),  # 9 DUPLIKAT
            (rows[6]["pd_id"], rows[6]["no_ponsel"], "AKTIF", "", "lebih"),  # 10 JUMLAH_KOLOM
            (rows[7]["pd_id"], rows[7]["no_ponsel"], "MASA_TENGGANG", ""),  # 11 ok
        ],
    )
    job = ingest(tsel_batch, path)
    assert job.state == Job.State.SUCCEEDED
    got = [(i.line, i.column, i.code) for i in job.issues.order_by("line")]
    assert got == [
        (3, "pd_id", "PD_ID_TIDAK_VALID"),
        (4, "no_ponsel", "NOMOR_TIDAK_VALID"),
        (5, "status", "STATUS_TIDAK_VALID"),
        (6, "pd_id", "PD_ID_TIDAK_DIKENAL"),
        (7, "pd_id", "BUKAN_BATCH_INI"),
        (8, "no_ponsel", "NOMOR_TIDAK_SESUAI"),
        (9, "pd_id", "DUPLIKAT"),
        (10, "", "JUMLAH_KOLOM"),
    ]
    assert all(i.message and i.message_en for i in job.issues.all())
    assert (job.counts["rows"], job.counts["applied"], job.counts["refused"]) == (9, 2, 8)
    assert Recipient.objects.get(pk=rows[7]["pd_id"]).status == "RESIDU"
    assert "08abc" not in "".join(job.issues.values_list("value", flat=True))


def test_an_id_repeated_in_another_spelling_in_a_plain_file_is_refused_as_duplicate(
    lenient, tsel_batch, rows, tmp_path, monkeypatch
):
    from verval.exchange import services

    seen = []
    real = services._stage_rows_fast
    monkeypatch.setattr(services, "_stage_rows_fast", lambda p, t: seen.append(real(p, t)) or seen[-1])
    same = rows[0]["pd_id"].upper().replace("-", "")
    path = results_file(
        tmp_path,
        [
            (rows[0]["pd_id"], rows[0]["no_ponsel"], "AKTIF"),  # line 2
            (rows[1]["pd_id"], rows[1]["no_ponsel"], "AKTIF"),  # 3
            (same, rows[0]["no_ponsel"], "AKTIF"),  # 4 DUPLIKAT
        ],
    )
    job = ingest(tsel_batch, path)
    assert seen and seen[0] is not None and seen[0].unique_ids is False  # the fast reader took it
    assert job.state == Job.State.SUCCEEDED
    assert [(i.line, i.column, i.code) for i in job.issues.all()] == [(4, "pd_id", "DUPLIKAT")]
    assert job.counts["applied"] == 2


def test_a_plain_file_without_repeated_ids_is_applied_whole(tsel_batch, rows, tmp_path, monkeypatch):
    from verval.exchange import services

    seen = []
    real = services._stage_rows_fast
    monkeypatch.setattr(services, "_stage_rows_fast", lambda p, t: seen.append(real(p, t)) or seen[-1])
    path = results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows])
    job = ingest(tsel_batch, path)
    assert seen and seen[0] is not None and seen[0].unique_ids is True
    assert (job.state, job.counts["applied"], job.counts["refused"]) == (Job.State.SUCCEEDED, 10, 0)
    assert Recipient.objects.filter(status="AKTIF").count() == 10


def test_more_than_five_percent_refused_refuses_the_file_and_changes_nothing(tsel_batch, rows, tmp_path):
    good = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[:9]]
    path = results_file(tmp_path, good + [(rows[9]["pd_id"], rows[9]["no_ponsel"], "SALAH")])
    job = ingest(tsel_batch, path)
    assert job.state == Job.State.REFUSED
    assert job.error_code == "TERLALU_BANYAK_DITOLAK"
    assert [(i.line, i.code) for i in job.issues.all()] == [(11, "STATUS_TIDAK_VALID")]
    assert Recipient.objects.filter(status="AKTIF").count() == 0
    assert NumberHistory.objects.count() == 0
    assert DumpItem.objects.exclude(result="").count() == 0
    tsel_batch.refresh_from_db()
    assert tsel_batch.state == DumpBatch.State.OPEN


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "BERKAS_KOSONG"),
        (b"pd_id,no_ponsel,status\n", "BERKAS_KOSONG"),
        (b"pd_id;no_ponsel;status\nx;y;AKTIF\n", "PEMISAH_SALAH"),
        (b"id,nomor,status\nx,y,AKTIF\n", "KOLOM_SALAH"),
        (b"pd_id,no_ponsel,status\n\xff\xfe,1,AKTIF\n", "ENCODING_SALAH"),
    ],
)
def test_structurally_wrong_file_is_refused_whole(tsel_batch, tmp_path, content, code):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    job = ingest(tsel_batch, path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, code)


def test_a_results_file_not_in_utf8_is_refused_naming_its_first_line_that_is_not(tsel_batch, rows, tmp_path):
    text = "pd_id,no_ponsel,status,keterangan\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},TIDAK_AKTIF,{'Nomor tidak aktif – ñ' if i in (3, 5) else ''}\n"
        for i, r in enumerate(rows[:6])
    )
    path = tmp_path / "hasil.csv.gz"
    path.write_bytes(gzip.compress(text.encode("cp1252")))
    job = ingest(tsel_batch, path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, "ENCODING_SALAH")
    assert job.error_message == (
        "Berkas bukan teks UTF-8. Baris 5 memuat karakter yang tidak sah dalam UTF-8 (misalnya disimpan "
        "sebagai Windows-1252/ANSI). Simpan ulang berkas sebagai CSV UTF-8."
    )
    assert job.error_message_en == (
        "The file is not UTF-8 text. Line 5 holds characters that are not valid UTF-8 (saved as "
        "Windows-1252/ANSI, say). Save the file again as CSV UTF-8."
    )
    assert Recipient.objects.filter(status="RESIDU").count() == 0


def test_a_results_file_in_utf16_is_refused_saying_so(tsel_batch, rows, tmp_path):
    path = tmp_path / "hasil.csv"
    path.write_bytes(
        ("pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows)).encode(
            "utf-16"
        )
    )
    job = ingest(tsel_batch, path)
    assert (job.error_code, job.error_message_en) == (
        "ENCODING_SALAH",
        'The file is not UTF-8 text. This file is UTF-16 (Excel: "Unicode Text"). Save the file again as CSV UTF-8.',
    )


def test_cut_off_file_is_refused_whole(tsel_batch, rows, tmp_path):
    text = (
        "pd_id,no_ponsel,status\n"
        + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows[:5])
        + rows[5]["pd_id"]
        + ",62812"
    )
    path = tmp_path / "cut.csv"
    path.write_text(text)
    job = ingest(tsel_batch, path)
    assert (job.state, job.error_code) == (Job.State.REFUSED, "BERKAS_TERPOTONG")
    assert Recipient.objects.filter(status="AKTIF").count() == 0


def test_gzip_results_are_accepted(tsel_batch, rows, tmp_path):
    path = tmp_path / "hasil.csv.gz"
    path.write_bytes(
        gzip.compress(
            (
                "pd_id,no_ponsel,status\n" + "".join(f"{r['pd_id']},{r['no_ponsel']},AKTIF\n" for r in rows)
            ).encode()
        )
    )
    job = ingest(tsel_batch, path)
    assert (job.state, job.counts["aktif"], job.counts["batch_state"]) == (
        Job.State.SUCCEEDED,
        10,
        "COMPLETE",
    )


def test_number_corrected_meanwhile_is_not_overwritten(tsel_batch, rows, tmp_path):
    Recipient.objects.filter(pk=rows[0]["pd_id"]).update(phone_e164="+6281277777777", status="BELUM_VERVAL")
    job = ingest(
        tsel_batch, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "TIDAK_AKTIF") for r in rows])
    )
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["applied"], job.counts["stale"], job.counts["refused"]) == (9, 1, 0)
    assert [(i.line, i.code) for i in job.issues.all()] == [(2, "NOMOR_SUDAH_DIUBAH")]
    rec = Recipient.objects.get(pk=rows[0]["pd_id"])
    assert (rec.status, rec.phone_e164, rec.version) == ("BELUM_VERVAL", "+6281277777777", 1)


def test_ingest_command_prints_json_and_fails_on_refusal(tsel_batch, rows, tmp_path, capsys):
    path = results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows])
    call_command("ingest_results", str(path), "--batch", tsel_batch.id, "--json")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (out["state"], out["applied"], out["batch_state"]) == ("SUCCEEDED", 10, "COMPLETE")
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n")
    with pytest.raises(CommandError, match="PEMISAH_SALAH") as refused:
        call_command("ingest_results", str(bad), "--batch", tsel_batch.id, "--json")
    # As import-dapodik: 2 for a refused file, with the same key for its code.
    assert refused.value.returncode == 2
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error_code"] == "PEMISAH_SALAH"
    with pytest.raises(CommandError, match="batch not found: DMP-NOPE") as missing:
        call_command("ingest_results", str(path), "--batch", "DMP-NOPE")
    assert missing.value.returncode == 2


@pytest.mark.postgres
def test_ingest_through_copy_applies_thousands_of_rows(school, tmp_path):
    recipients = [RecipientFactory.build(school=school, status="MENUNGGU_PROVIDER") for _ in range(2000)]
    Recipient.objects.bulk_create(recipients)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    rows = dump_rows(batch)
    path = results_file(
        tmp_path,
        [
            (r["pd_id"], r["no_ponsel"], "AKTIF" if i % 3 else "TIDAK_AKTIF", "ket\tx\\y")
            for i, r in enumerate(rows)
        ],
    )
    job = ingest(batch, path)
    assert (job.state, job.counts["applied"], job.counts["residu"]) == (Job.State.SUCCEEDED, 2000, 667)
    assert Recipient.objects.filter(status="RESIDU", reason_note="ket\tx\\y").count() == 667
    assert DumpItem.objects.filter(batch=batch, applied=True, answered_in=job.pk).count() == 2000
