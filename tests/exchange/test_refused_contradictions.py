"""Issue #4: a result that contradicts an earlier one for the same row is refused and shown to
Pusdatin — also when the file that holds it is refused whole (too many refused rows, the
contradictions among them), which applies nothing and so cannot mark the dump rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.exchange.helpers import dump_rows, results_file
from verval.core import jobs
from verval.core.models import Job
from verval.exchange import actions, selectors, services
from verval.exchange.models import DumpItem, RefusedContradiction
from verval.registry.models import Recipient


def ingest(batch, path):  # type: ignore[no-untyped-def]
    return jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)


def masked(no_ponsel: str) -> str:
    return "0" + no_ponsel[2:5] + "****" + no_ponsel[-4:]


@pytest.fixture
def rows(tsel_batch, tmp_path):  # type: ignore[no-untyped-def]
    """The batch's rows, every one already answered AKTIF."""
    rows = dump_rows(tsel_batch)
    ingest(tsel_batch, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]))
    return rows


@pytest.fixture
def refused_job(tsel_batch, rows, tmp_path):  # type: ignore[no-untyped-def]
    """A second file that answers rows 0 and 1 TIDAK_AKTIF after they were AKTIF: 2 of 10 rows
    refused, above 5 %, so the file is refused whole."""
    answers = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]
    answers[0] = (rows[0]["pd_id"], rows[0]["no_ponsel"], "TIDAK_AKTIF")
    answers[1] = (rows[1]["pd_id"], rows[1]["no_ponsel"], "MASA_TENGGANG")
    return ingest(tsel_batch, results_file(tmp_path, answers, name="b.csv"))


def test_contradictions_of_a_file_refused_whole_are_recorded_and_nothing_of_it_applies(
    tsel_batch, rows, refused_job
):
    assert (refused_job.state, refused_job.error_code) == (Job.State.REFUSED, "TERLALU_BANYAK_DITOLAK")
    assert refused_job.counts["by_code"] == {"BERTENTANGAN": 2}
    got = [
        (c.job_id, c.batch_id, c.line, str(c.recipient_id), c.phone, c.result, c.conflict_result)
        for c in RefusedContradiction.objects.order_by("line")
    ]
    assert got == [
        (
            refused_job.pk,
            tsel_batch.id,
            2,
            rows[0]["pd_id"],
            masked(rows[0]["no_ponsel"]),
            "AKTIF",
            "TIDAK_AKTIF",
        ),
        (
            refused_job.pk,
            tsel_batch.id,
            3,
            rows[1]["pd_id"],
            masked(rows[1]["no_ponsel"]),
            "AKTIF",
            "MASA_TENGGANG",
        ),
    ]
    # Refused whole: the dump rows, the recipients and the batch's counts are as before.
    assert list(DumpItem.objects.exclude(conflict_result="").values_list("id", flat=True)) == []
    assert set(DumpItem.objects.values_list("result", flat=True)) == {"AKTIF"}
    assert set(
        Recipient.objects.filter(pk__in=[r["pd_id"] for r in rows]).values_list("status", flat=True)
    ) == {"AKTIF"}
    tsel_batch.refresh_from_db()
    assert (tsel_batch.contradictions, tsel_batch.aktif) == (0, 10)


def test_pusdatin_and_the_batchs_provider_see_the_refused_contradictions_and_no_one_else(
    tsel_batch, refused_job, pusdatin, provider_user, other_provider_user, operator, dinas_prov
):
    seen = {
        user.username: selectors.refused_contradictions(user, tsel_batch).count()
        for user in (pusdatin, provider_user, other_provider_user, operator, dinas_prov)
    }

    assert seen == {
        pusdatin.username: 2,
        provider_user.username: 2,
        other_provider_user.username: 0,
        operator.username: 0,
        dinas_prov.username: 0,
    }


def test_batch_page_lists_the_contradictions_of_a_file_refused_whole_with_numbers_masked(
    client, pusdatin, tsel_batch, rows, refused_job
):
    client.force_login(pusdatin)

    html = client.get(f"/pusdatin/dump/{tsel_batch.id}/").content.decode()

    assert "Jawaban bertentangan dalam berkas yang ditolak seluruhnya (2)" in html
    for row, answer, line in ((rows[0], "TIDAK_AKTIF", 2), (rows[1], "MASA_TENGGANG", 3)):
        assert (
            f"<tr><td><code>{row['pd_id']}</code></td><td>{masked(row['no_ponsel'])}</td><td>AKTIF</td>"
            f'<td>{answer}</td><td><a href="/pekerjaan/{refused_job.pk}/">baris {line}</a></td>'
        ) in html
    for row in rows:
        assert row["no_ponsel"] not in html
        assert row["no_ponsel"][2:] not in html


def test_batch_page_without_refused_files_shows_no_such_list(client, pusdatin, tsel_batch, rows):
    client.force_login(pusdatin)

    html = client.get(f"/pusdatin/dump/{tsel_batch.id}/").content.decode()

    assert "berkas yang ditolak seluruhnya" not in html


def test_the_report_of_a_file_refused_whole_keeps_its_contradictions_past_its_first_refused_rows(
    tsel_batch, rows, tmp_path, monkeypatch
):
    monkeypatch.setattr(services, "REFUSED_FILE_ISSUES_KEPT", 2)
    answers = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]
    for i in (0, 1, 2):  # lines 2-4: not a status
        answers[i] = (rows[i]["pd_id"], rows[i]["no_ponsel"], "RUSAK")
    for i in (7, 8, 9):  # lines 9-11: contradictions, past the first two refused rows
        answers[i] = (rows[i]["pd_id"], rows[i]["no_ponsel"], "TIDAK_TERDAFTAR")

    job = ingest(tsel_batch, results_file(tmp_path, answers, name="b.csv"))

    assert job.state == Job.State.REFUSED
    assert job.counts["by_code"] == {"BERTENTANGAN": 3, "STATUS_TIDAK_VALID": 3}
    # The first two refused rows by line, and the first two contradictions wherever they are.
    assert [(i.line, i.code, i.value) for i in job.issues.all()] == [
        (2, "STATUS_TIDAK_VALID", "RUSAK"),
        (3, "STATUS_TIDAK_VALID", "RUSAK"),
        (9, "BERTENTANGAN", "TIDAK_TERDAFTAR"),
        (10, "BERTENTANGAN", "TIDAK_TERDAFTAR"),
    ]
    assert list(RefusedContradiction.objects.order_by("line").values_list("line", flat=True)) == [9, 10]


def test_a_refused_ingest_run_again_records_its_contradictions_once(tsel_batch, refused_job):
    # As if it died running: RUNNING, its worker not heard from for longer than the lease.
    Job.objects.filter(pk=refused_job.pk).update(
        state=Job.State.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )

    again = jobs.run(refused_job.pk)

    assert again.state == Job.State.REFUSED
    assert RefusedContradiction.objects.filter(job=refused_job).count() == 2
    assert again.issues.count() == 2


def test_a_provider_finds_the_contradictions_of_its_refused_file_in_its_report_and_no_other_can(
    client, tsel_batch, rows, tsel_token, isat_token
):
    body = "pd_id,no_ponsel,status\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},{'BUKAN_PELANGGAN' if i < 2 else 'AKTIF'}\n"
        for i, r in enumerate(rows)
    )
    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {tsel_token}"},
    )
    assert (r.status_code, r.json()["code"]) == (422, "TERLALU_BANYAK_DITOLAK")

    report = client.get(r.json()["issues_url"], headers={"Authorization": f"Bearer {tsel_token}"})
    other = client.get(r.json()["issues_url"], headers={"Authorization": f"Bearer {isat_token}"})

    lines = b"".join(report.streaming_content).decode().splitlines()
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["2", "status", "BERTENTANGAN"],
        ["3", "status", "BERTENTANGAN"],
    ]
    assert other.status_code == 404
    assert RefusedContradiction.objects.filter(batch=tsel_batch).count() == 2


# Decision 0103: a file refused only because its rows contradict earlier answers is most likely a
# deliberate correction; "check that the file and the batch are the right ones" fits a wrong file.
ONLY_CONTRADICTIONS_ID = (
    "Terlalu banyak baris ditolak; berkas ditolak seluruhnya. Semua baris yang ditolak bertentangan "
    "dengan jawaban Anda sebelumnya untuk batch ini: jawaban pertama tetap berlaku dan tidak dapat "
    "diganti dengan berkas. Pusdatin melihat pertentangan ini di halaman batch dan akan menghubungi "
    "Anda. Untuk menerapkan baris lainnya, hapus baris yang bertentangan (lihat laporan) lalu kirim "
    "ulang berkas."
)
ONLY_CONTRADICTIONS_EN = (
    "Too many rows refused; the whole file is refused. Every refused row contradicts your earlier "
    "answer for this batch: the first answer stays and a file cannot replace it. Pusdatin sees these "
    "contradictions on the batch page and will contact you. To apply the other rows, remove the "
    "contradicting rows (see the report) and send the file again."
)


def test_a_file_refused_only_for_contradictions_is_told_what_pusdatin_does_with_them(refused_job):
    assert (refused_job.error_code, refused_job.error_message, refused_job.error_message_en) == (
        "TERLALU_BANYAK_DITOLAK",
        ONLY_CONTRADICTIONS_ID,
        ONLY_CONTRADICTIONS_EN,
    )


def test_a_file_refused_for_contradictions_and_other_refusals_keeps_the_advice_to_check_the_file(
    tsel_batch, rows, tmp_path
):
    answers = [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]
    answers[0] = (rows[0]["pd_id"], rows[0]["no_ponsel"], "RUSAK")
    answers[1] = (rows[1]["pd_id"], rows[1]["no_ponsel"], "TIDAK_AKTIF")

    job = ingest(tsel_batch, results_file(tmp_path, answers, name="b.csv"))

    assert (job.error_code, job.error_message_en) == (
        "TERLALU_BANYAK_DITOLAK",
        "Too many rows refused; the whole file is refused. Check that the file and the batch are the right ones.",
    )


def test_the_job_page_gives_the_contradictions_advice_in_both_languages(client, provider_user, refused_job):
    client.force_login(provider_user)

    indonesian = client.get(f"/pekerjaan/{refused_job.pk}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/pekerjaan/{refused_job.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"<code>TERLALU_BANYAK_DITOLAK</code> {ONLY_CONTRADICTIONS_ID}</p>" in indonesian
    assert f"<code>TERLALU_BANYAK_DITOLAK</code> {ONLY_CONTRADICTIONS_EN}</p>" in english


def test_the_api_answers_a_file_of_contradictions_with_their_advice(client, tsel_batch, rows, tsel_token):
    body = "pd_id,no_ponsel,status\n" + "".join(
        f"{r['pd_id']},{r['no_ponsel']},{'TIDAK_AKTIF' if i < 2 else 'AKTIF'}\n" for i, r in enumerate(rows)
    )

    r = client.post(
        f"/api/v1/batches/{tsel_batch.id}/results",
        data=body.encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {tsel_token}"},
    )

    assert r.status_code == 422
    assert (r.json()["code"], r.json()["message"], r.json()["message_en"]) == (
        "TERLALU_BANYAK_DITOLAK",
        ONLY_CONTRADICTIONS_ID,
        ONLY_CONTRADICTIONS_EN,
    )
    assert [(row["line"], row["code"]) for row in r.json()["rows"]] == [
        (2, "BERTENTANGAN"),
        (3, "BERTENTANGAN"),
    ]
