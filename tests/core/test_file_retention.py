"""The file store's retention (decision 0038): `verval files` lists it by kind and, with
`--prune --yes`, deletes what the rules allow, audited once per run; a row whose file went says so."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import RecipientFactory, correction_job
from verval.core import actions, files, jobs
from verval.core.models import AuditEvent, Job
from verval.exchange import actions as exchange_actions
from verval.exchange.models import DumpBatch

pytestmark = pytest.mark.django_db

GONE = "Berkas sudah dihapus menurut aturan penyimpanan."
RULES = {
    "dumps": 180,
    "results": 90,
    "injection-results": 90,
    "usage-reports": 90,
    "imports": 90,
    "bulk_correction": 2,
    "disbursements": 180,
    "sptjm": None,
    "sptjm-scans": None,
    "registrations": None,
    "jobs": 2,
    "reports": 7,
    "tmp": 2,
    "demo": 2,
    "simulator": 2,
    "simulator-injection": 2,
    "demo-provider": None,
    "sptjm-scans-unaccepted": 7,
    "sptjm-scans-orphaned": 1,
}


def _files(*args: str) -> dict:  # type: ignore[type-arg]
    out = StringIO()
    call_command("files", *args, "--json", stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _expired_preview(operator, school, *, days_ago: float = 3.0) -> Job:  # type: ignore[no-untyped-def]
    """A correction file that expired before expiry deleted files (decision 0035's leftovers)."""
    job = correction_job(operator, school, content=b"PK\x03\x04" + b"x" * 96, folder="bulk_correction")
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED,
        error_code=jobs.PREVIEW_EXPIRED,
        finished_at=timezone.now() - timedelta(days=days_ago),
    )
    return Job.objects.get(pk=job.pk)


@pytest.fixture
def dump_batch(school):  # type: ignore[no-untyped-def]
    for _ in range(3):
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False)
    (batch,) = exchange_actions.publish_dumps(actor=None, provider="telkomsel")
    return batch


def test_prune_deletes_an_expired_previews_file_and_keeps_an_open_batchs_dump(operator, school, dump_batch):  # type: ignore[no-untyped-def]
    job = _expired_preview(operator, school)
    # Open for a year: still waiting for the provider's answers, so its file stays.
    DumpBatch.objects.filter(pk=dump_batch.pk).update(created_at=timezone.now() - timedelta(days=365))

    assert _files("--prune", "--yes") == {
        "dry_run": False,
        "kinds": {"bulk_correction": {"files": 1, "bytes": 100}},
        "files": 1,
        "bytes": 100,
    }

    assert not files.absolute(job.input_path).exists()
    assert files.absolute(dump_batch.file_path).is_file()
    assert files.absolute(dump_batch.manifest_path).is_file()
    job.refresh_from_db()
    assert job.input_deleted is True
    (event,) = AuditEvent.objects.filter(action="prune_files")
    assert (event.actor, event.object_type, event.after) == (
        None,
        "file_store",
        {"kinds": {"bulk_correction": {"files": 1, "bytes": 100}}, "files": 1, "bytes": 100, "rules": RULES},
    )


def test_a_dry_run_deletes_nothing_and_writes_no_audit_row(operator, school):  # type: ignore[no-untyped-def]
    job = _expired_preview(operator, school)

    assert _files("--prune") == {
        "dry_run": True,
        "kinds": {"bulk_correction": {"files": 1, "bytes": 100}},
        "files": 1,
        "bytes": 100,
    }

    assert files.absolute(job.input_path).is_file()
    assert Job.objects.get(pk=job.pk).input_deleted is False
    assert AuditEvent.objects.filter(action="prune_files").count() == 0


def test_a_refused_preview_younger_than_its_rule_is_kept(operator, school):  # type: ignore[no-untyped-def]
    job = _expired_preview(operator, school, days_ago=1)

    assert _files("--prune", "--yes")["files"] == 0
    assert files.absolute(job.input_path).is_file()


def test_a_complete_dump_past_its_rule_is_deleted_with_its_manifest_and_the_provider_is_told_410(
    client, school, dump_batch
):  # type: ignore[no-untyped-def]
    token = exchange_actions.issue_token(actor=None, provider="telkomsel")[1]
    size = files.absolute(dump_batch.file_path).stat().st_size
    manifest = files.absolute(dump_batch.manifest_path).stat().st_size
    DumpBatch.objects.filter(pk=dump_batch.pk).update(
        state=DumpBatch.State.COMPLETE, last_result_at=timezone.now() - timedelta(days=181)
    )

    assert actions.prune_files(actor=None) == {
        "kinds": {"dumps": {"files": 2, "bytes": size + manifest}},
        "files": 2,
        "bytes": size + manifest,
    }
    response = client.get(
        f"/api/v1/batches/{dump_batch.id}/file", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 410
    body = response.json()
    assert (body["code"], body["message"], body["message_en"]) == (
        "BERKAS_SUDAH_DIHAPUS",
        GONE,
        "The file was deleted under the retention rules.",
    )
    assert AuditEvent.objects.filter(action="download_dump", object_id=dump_batch.id).count() == 1


def test_a_finished_results_upload_is_kept_while_its_batch_is_open(dump_batch):  # type: ignore[no-untyped-def]
    relative, sha, _size = files.save_stream("results", ".csv", [b"pd_id,no_ponsel,status\n"])
    job = jobs.create_job(
        actor=None, kind="ingest_results", input_path=relative, params={"batch_id": dump_batch.id}
    )
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, finished_at=timezone.now() - timedelta(days=91)
    )

    assert actions.prune_files(actor=None)["files"] == 0
    assert files.absolute(relative).is_file()

    DumpBatch.objects.filter(pk=dump_batch.pk).update(
        state=DumpBatch.State.COMPLETE, last_result_at=timezone.now()
    )
    assert actions.prune_files(actor=None) == {
        "kinds": {"results": {"files": 1, "bytes": 23}},
        "files": 1,
        "bytes": 23,
    }
    assert not files.absolute(relative).exists()


def test_the_job_page_of_a_pruned_preview_says_its_file_was_deleted(client, operator, school):  # type: ignore[no-untyped-def]
    job = _expired_preview(operator, school)
    actions.prune_files(actor=None)
    client.force_login(operator)

    preview = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/")
    page = client.get(f"/pekerjaan/{job.pk}/")

    assert (preview.status_code, preview["Location"]) == (302, f"/pekerjaan/{job.pk}/")
    assert page.status_code == 200
    assert f'<p class="muted small">{GONE}</p>' in page.content.decode()


def test_a_preview_refused_at_upload_whose_file_was_deleted_leads_to_its_job_page(client, operator, school):  # type: ignore[no-untyped-def]
    job = _expired_preview(operator, school)
    Job.objects.filter(pk=job.pk).update(state=Job.State.REFUSED, params={"refused_before_run": True})
    files.absolute(job.input_path).unlink()
    client.force_login(operator)

    response = client.get(f"/sekolah/{school.npsn}/koreksi/{job.pk}/")

    assert (response.status_code, response["Location"]) == (302, f"/pekerjaan/{job.pk}/")


def test_expiring_a_preview_deletes_its_file(operator, school, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    relative, sha, _size = files.save_stream("bulk_correction", ".xlsx", [b"PK\x03\x04"])
    job = jobs.create_job(actor=operator, kind="bulk_correction", school_id=school.npsn, input_path=relative)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))

    with django_capture_on_commit_callbacks(execute=True):
        assert actions.expire_previews() == 1

    assert not files.absolute(relative).exists()
    assert Job.objects.get(pk=job.pk).input_deleted is True


def test_a_failed_job_whose_input_was_pruned_cannot_be_requeued(pusdatin):  # type: ignore[no-untyped-def]
    relative, sha, _size = files.save_stream("imports", ".csv", [b"jenis,id\n"])
    job = jobs.create_job(actor=pusdatin, kind="import_dapodik", input_path=relative)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.FAILED, error_code="KESALAHAN_SISTEM", finished_at=timezone.now() - timedelta(days=91)
    )
    assert actions.prune_files(actor=pusdatin)["kinds"] == {"imports": {"files": 1, "bytes": 9}}

    with pytest.raises(actions.JobActionRefused) as refused:
        actions.requeue_job(actor=pusdatin, job_id=job.pk)

    assert refused.value.code == "BERKAS_SUDAH_DIHAPUS"
    assert Job.objects.get(pk=job.pk).state == "FAILED"
    assert AuditEvent.objects.get(action="prune_files").actor == pusdatin


def test_work_files_of_finished_jobs_and_old_temporary_files_go_unfinished_ones_stay(pusdatin):  # type: ignore[no-untyped-def]
    import os

    done = jobs.create_job(actor=pusdatin, kind="validate")
    # The scan's row: a scan no row names is an orphan and goes after a day (decision 0115).
    Job.objects.filter(pk=done.pk).update(
        state=Job.State.SUCCEEDED, finished_at=timezone.now(), input_path="sptjm-scans/abc.pdf"
    )
    waiting = jobs.create_job(actor=pusdatin, kind="validate")
    old = (timezone.now() - timedelta(days=3)).timestamp()
    paths = {
        "done": files.root() / "jobs" / f"{done.pk}.progress",
        "waiting": files.root() / "jobs" / f"{waiting.pk}.lease",
        "spill": files.root() / "tmp" / "import-x" / "b1.arrow",
        "part": files.root() / "sptjm-scans" / "abc.pdf.part",
        "scan": files.root() / "sptjm-scans" / "abc.pdf",
        "orphan": files.root() / "sptjm-scans" / "def.pdf",
    }
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"12345")
        os.utime(path, (old, old))

    assert actions.prune_files(actor=pusdatin)["kinds"] == {
        "jobs": {"files": 1, "bytes": 5},
        "tmp": {"files": 2, "bytes": 10},
        "sptjm-scans-orphaned": {"files": 1, "bytes": 5},
    }
    assert {name: p.exists() for name, p in {**paths, "spill folder": paths["spill"].parent}.items()} == {
        "done": False,
        "waiting": True,
        "spill": False,
        "spill folder": False,
        "part": False,
        "scan": True,
        "orphan": False,
    }


def test_listing_counts_files_by_kind_and_the_pusdatin_page_shows_the_last_listing(client, pusdatin):  # type: ignore[no-untyped-def]
    files.save_stream("sptjm", ".pdf", [b"%PDF" + b"0" * 1020])
    files.save_stream("sptjm", ".pdf", [b"%PDF" + b"0" * 1020])
    files.save_stream("dumps/telkomsel", ".csv.gz", [b"x" * 10])
    (files.root() / "loose.txt").write_bytes(b"abc")
    client.force_login(pusdatin)
    assert "Belum dihitung" in client.get("/pusdatin/").content.decode()

    listed = _files()

    assert (listed["files"], listed["bytes"]) == (4, 2061)
    assert {
        k: (r["files"], r["bytes"], r["keep_days"]) for k, r in listed["kinds"].items() if r["files"]
    } == {
        "sptjm": (2, 2048, None),
        "dumps": (1, 10, 180),
        "other": (1, 3, None),
    }
    page = client.get("/pusdatin/").content.decode()
    assert "PDF SPTJM yang dicetak" in page
    assert "tidak pernah dihapus" in page
    assert (
        '<td class="lead" data-label="Jenis berkas">PDF SPTJM yang dicetak <span class="muted small">sptjm/</span>'
        '</td><td class="num" data-label="Berkas">2</td><td class="num" data-label="Ukuran">2,0\xa0KB</td>'
    ) in page
    assert '<td class="lead" data-label="Jenis berkas">Lainnya </td>' in page


def test_the_file_store_panel_says_its_count_and_total_in_words_of_its_own(client, pusdatin):  # type: ignore[no-untyped-def]
    from django.utils.translation import trans_real

    files.save_stream("sptjm", ".pdf", [b"%PDF" + b"0" * 1020])
    _files()
    # What the translator can now write for this panel alone (decision 0049); elsewhere "Berkas"
    # is "File" (a job's input) and "Jumlah" "Count" (a column of figures).
    own = {
        "file store panel: number of files\x04Berkas": "Files",
        "file store panel: the row of totals\x04Jumlah": "Total",
    }
    catalog = trans_real.translation("en")._catalog
    for key, text in own.items():
        catalog[key] = text
    try:
        client.force_login(pusdatin)
        page = client.get("/pusdatin/", headers={"Accept-Language": "en"}).content.decode()
    finally:
        for key in own:
            catalog._catalogs[0].pop(key, None)

    jobs_part, store = page.split('id="h-store"')
    assert '<th class="num">Files</th><th class="num">Size</th>' in store
    assert '<td class="num" data-label="Files">1</td>' in store
    assert '<tr><td class="lead">Total</td><td class="num" data-label="Files">1</td>' in store
    assert "<th>File</th>" in jobs_part  # the jobs table's column keeps the word it had


def test_yes_without_prune_is_a_usage_error(db, capsys):  # type: ignore[no-untyped-def]
    from django.core.management import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("files", "--yes", "--json")

    assert refused.value.returncode == 2
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "state": "REFUSED",
        "error_code": "ARGUMEN_TIDAK_SAH",
        "error": "ARGUMEN_TIDAK_SAH",
        "message": "--yes only goes with --prune",
    }


def test_a_web_download_of_a_file_no_longer_in_the_store_says_so_with_410(client, operator, school):  # type: ignore[no-untyped-def]
    from tests.sptjm.conftest import aktif, make_period
    from verval.sptjm import actions as sptjm_actions

    period = make_period()
    aktif(school, 2)
    sptjm, _ = sptjm_actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    files.absolute(sptjm.pdf_path).unlink()
    client.force_login(operator)

    response = client.get(f"/sptjm/{sptjm.pk}/dokumen.pdf")

    assert response.status_code == 410
    assert f"<p>{GONE}</p>" in response.content.decode()
    assert AuditEvent.objects.filter(action="download_sptjm_pdf").count() == 0


def _scan_file(name: str, days_old: float, size: int) -> None:
    import os

    path = files.root() / "sptjm-scans" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%" * size)
    when = (timezone.now() - timedelta(days=days_old)).timestamp()
    os.utime(path, (when, when))


def test_the_pusdatin_page_shows_the_scans_no_row_names_as_verval_files_counts_them(client, pusdatin):  # type: ignore[no-untyped-def]
    """The line `verval files` prints under `sptjm-scans` (decision 0115) on the panel too
    (decision 0120): how many, their size, and that they are old enough for the prune."""
    _scan_file("named.pdf", 3, 1000)
    Job.objects.create(kind="sptjm_scan", state=Job.State.SUCCEEDED, input_path="sptjm-scans/named.pdf")
    _scan_file("lost-1.pdf", 3, 2048)
    _scan_file("lost-2.pdf", 2, 2048)
    _scan_file("being-received.pdf", 0.5, 700)  # younger than the grace: not counted
    assert _files()["orphan_scans"] == {"files": 2, "bytes": 4096, "keep_days": 1}
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    store = page.split('id="h-store"')[1]
    assert (
        '<tr class="store-orphans"><td class="lead" data-label="Jenis berkas">Di antaranya, pindaian yang tidak '
        'disebut dokumen maupun pekerjaan mana pun</td><td class="num" data-label="Berkas">2</td>'
        '<td class="num" data-label="Ukuran">4,0\xa0KB</td><td data-label="Tertua">lebih dari 1 hari lalu</td>'
        '<td data-label="Disimpan">dihapus oleh <code>verval files --prune --yes</code></td></tr>'
    ) in store
    # Right under the folder's own row, and not added to the total (they are of that row).
    assert store.index("Pindaian SPTJM bertanda tangan") < store.index("store-orphans")
    assert '<tr><td class="lead">Jumlah</td><td class="num" data-label="Berkas">4</td>' in store


def test_a_listing_written_before_the_orphans_were_counted_shows_no_such_line(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.core import retention

    _scan_file("lost.pdf", 3, 10)
    listed = retention.usage()  # as `verval files` wrote it before decision 0115
    assert "orphan_scans" not in listed
    retention.write_snapshot(listed)
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    assert "Pindaian SPTJM bertanda tangan" in page
    assert "store-orphans" not in page


def test_the_file_store_panel_is_read_for_pusdatin_only(
    pusdatin, operator, dinas_kab, dinas_prov, provider_user
):  # type: ignore[no-untyped-def]
    from verval.core import selectors

    _scan_file("lost.pdf", 3, 10)
    _files()

    assert selectors.file_store_panel(pusdatin)["orphan_scans"] == {"files": 1, "bytes": 10, "keep_days": 1}
    assert [selectors.file_store_panel(u) for u in (operator, dinas_kab, dinas_prov, provider_user)] == [
        None
    ] * 4
