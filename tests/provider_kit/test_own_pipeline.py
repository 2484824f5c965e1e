"""A provider that matches with its own pipeline: `verval-provider pull` downloads the dump
batches and their manifests, `upload-results` sends the results file it produced itself
(docs/provider-kit.md, "Matching with your own pipeline"; decision 0036)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from tests.factories import RecipientFactory
from verval.core import files
from verval.core.models import AuditEvent, Job
from verval.exchange import actions
from verval.exchange.models import DumpBatch
from verval.exchange.simulator import DjangoClientTransport
from verval.registry.models import Recipient
from verval_provider import cli, dumps


@pytest.fixture
def token(db) -> str:  # type: ignore[no-untyped-def]
    return actions.issue_token(actor=None, provider="telkomsel")[1]


@pytest.fixture
def in_process(monkeypatch):  # type: ignore[no-untyped-def]
    """The command line talks to the API in-process (same client code, django.test.Client)."""
    monkeypatch.setattr(cli, "UrllibTransport", lambda url: DjangoClientTransport())


def _kit(capsys, url: str, token: str, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = cli.main([args[0], "--url", url, "--token", token, *args[1:], "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def _dump_rows(path: Path) -> list[list[str]]:
    """pd_id, tingkat_pendidikan, npsn, no_ponsel of each row of a downloaded dump."""
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert lines[0] == "pd_id,tingkat_pendidikan,npsn,no_ponsel"
    return [line.split(",") for line in lines[1:]]


def _own_match(dump: Path, out: Path, statuses: list[str]) -> Path:
    """The provider's own pipeline: one answer per dump row, in the order given."""
    rows = _dump_rows(dump)
    out.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(f"{pd_id},{no},{st}\n" for (pd_id, _t, _n, no), st in zip(rows, statuses, strict=True))
    )
    return out


@pytest.mark.django_db(transaction=True)
def test_pull_then_upload_results_over_http_changes_the_recipients_statuses(
    live_server, published, token, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    batch, _recipients = published
    out = tmp_path / "dumps"

    code, pulled = _kit(capsys, live_server.url, token, "pull", "--out", str(out))

    assert (code, pulled["count"], pulled["exit_code"]) == (0, 1, 0)
    (report,) = pulled["batches"]
    assert (report["batch"], report["rows"], report["state"], report["downloaded"]) == (
        batch.id,
        6,
        "OPEN",
        True,
    )
    dump = out / f"{batch.id}.csv.gz"
    assert dump.read_bytes() == files.absolute(batch.file_path).read_bytes()
    manifest = json.loads((out / f"{batch.id}.manifest.json").read_text())
    assert (manifest["batch_id"], manifest["rows"], manifest["sha256"]) == (batch.id, 6, batch.sha256)
    assert sorted(p.name for p in out.iterdir()) == [f"{batch.id}.csv.gz", f"{batch.id}.manifest.json"]

    results = _own_match(
        dump,
        tmp_path / "hasil.csv",
        ["AKTIF", "AKTIF", "MASA_TENGGANG", "TIDAK_AKTIF", "TIDAK_TERDAFTAR", "BUKAN_PELANGGAN"],
    )
    code, answer = _kit(
        capsys, live_server.url, token, "upload-results", "--batch", batch.id, "--results", str(results)
    )

    assert (code, answer["exit_code"], answer["state"], answer["sent_as"]) == (0, 0, "SUCCEEDED", "csv")
    assert answer["checked"] == {
        "rows": 6,
        "by_status": {
            "AKTIF": 2,
            "MASA_TENGGANG": 1,
            "TIDAK_AKTIF": 1,
            "BUKAN_PELANGGAN": 1,
            "TIDAK_TERDAFTAR": 1,
        },
        "other_status": 0,
        "bad_pd_id": 0,
        "bad_no_ponsel": 0,
    }
    assert (answer["counts"]["applied"], answer["counts"]["refused"], answer["counts"]["batch_state"]) == (
        6,
        0,
        "COMPLETE",
    )
    assert sorted(Recipient.objects.values_list("status", "reason")) == [
        ("AKTIF", ""),
        ("AKTIF", ""),
        ("RESIDU", "BUKAN_PELANGGAN"),
        ("RESIDU", "MASA_TENGGANG"),
        ("RESIDU", "TIDAK_AKTIF"),
        ("RESIDU", "TIDAK_TERDAFTAR"),
    ]
    # Answered: no longer waiting, and --all finds it complete on disk.
    assert _kit(capsys, live_server.url, token, "pull", "--out", str(out))[1]["count"] == 0
    code, again = _kit(capsys, live_server.url, token, "pull", "--out", str(out), "--all")
    assert (code, again["batches"][0]["downloaded"], again["batches"][0]["state"]) == (0, False, "COMPLETE")
    assert AuditEvent.objects.filter(action="download_dump", object_id=batch.id).count() == 1


def test_pull_resumes_a_partial_download_with_range(published, token, in_process, tmp_path, capsys):  # type: ignore[no-untyped-def]
    batch, _ = published
    whole = files.absolute(batch.file_path).read_bytes()
    out = tmp_path / "dumps"
    out.mkdir()
    (out / f"{batch.id}.csv.gz.part").write_bytes(whole[:50])  # the link broke after 50 bytes

    code = cli.main(["pull", "--url", "http://verval.test", "--token", token, "--out", str(out)])

    assert code == 0
    assert (out / f"{batch.id}.csv.gz").read_bytes() == whole
    assert not (out / f"{batch.id}.csv.gz.part").exists()
    (row,) = AuditEvent.objects.filter(action="download_dump", object_id=batch.id)
    assert (row.after["status"], row.after["range"]) == (206, "bytes=50-")
    assert capsys.readouterr().out == (
        f"{batch.id}: 6 rows, OPEN, msisdn, SHA-256 ok -> {out / f'{batch.id}.csv.gz'}\n"
    )


def test_pull_deletes_a_download_whose_sha256_does_not_match_and_exits_1(
    published, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    batch, _ = published
    out = tmp_path / "dumps"
    out.mkdir()
    (out / f"{batch.id}.csv.gz.part").write_bytes(b"x" * 50)  # not the start of this file

    code, pulled = _kit(capsys, "http://verval.test", token, "pull", "--out", str(out))

    assert (code, pulled["exit_code"]) == (1, 1)
    (report,) = pulled["batches"]
    assert (report["error"], report["downloaded"]) == ("SHA256_TIDAK_COCOK", False)
    assert report["detail"] == (
        f"SHA256_TIDAK_COCOK: SHA-256 mismatch for {batch.id}; file discarded (run again)"
    )
    assert sorted(out.iterdir()) == []
    code, pulled = _kit(capsys, "http://verval.test", token, "pull", "--out", str(out))
    assert (code, pulled["batches"][0]["downloaded"]) == (0, True)


def test_upload_results_prints_the_refused_rows_and_writes_them_to_refused_out(
    school, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    for i in range(50):
        RecipientFactory(school=school, status="MENUNGGU_PROVIDER", phone_raw=f"0812{71000000 + i:08d}")
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    dump = tmp_path / "d.csv.gz"
    dump.write_bytes(files.absolute(batch.file_path).read_bytes())
    rows = _dump_rows(dump)
    lines = [f"{pd_id},{no},AKTIF" for pd_id, _t, _n, no in rows]
    lines[0] = f"{rows[0][0]},{rows[0][3]},SUSPENDED"  # line 2
    lines[9] = f"{rows[9][0]},6281299990000,AKTIF"  # line 11: not the number sent
    results = tmp_path / "hasil.csv"
    results.write_text("pd_id,no_ponsel,status\n" + "".join(x + "\n" for x in lines))
    refused = tmp_path / "ditolak.csv"
    args = ["--batch", batch.id, "--results", str(results), "--refused-out", str(refused)]

    code = cli.main(["upload-results", "--url", "http://verval.test", "--token", token, *args])

    assert code == 0
    job = Job.objects.get(kind="ingest_results")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == ("hasil.csv: 50 rows for a batch of 50: AKTIF 49; 1 with another status")
    assert printed[1].startswith(f"job {job.pk} SUCCEEDED: ")
    assert printed[2:] == [
        "  line 2 status: STATUS_TIDAK_VALID " + job.issues.get(line=2).message_en,
        "  line 11 no_ponsel: NOMOR_TIDAK_SESUAI " + job.issues.get(line=11).message_en,
        f"{batch.id}: applied 48, refused 2, unchanged 0; batch INCOMPLETE",
        f"refused rows (2) -> {refused}",
    ]
    with open(refused, newline="", encoding="utf-8") as fh:
        report = list(csv.reader(fh))
    assert [r[:3] for r in report] == [
        ["baris", "kolom", "kode"],
        ["2", "status", "STATUS_TIDAK_VALID"],
        ["11", "no_ponsel", "NOMOR_TIDAK_SESUAI"],
    ]
    assert (report[1][5], report[2][5]) == ("SUSPENDED", "0812****0000")
    assert Recipient.objects.filter(status="AKTIF").count() == 48


def test_upload_results_of_a_file_refused_whole_exits_1_and_still_writes_its_refused_rows(
    published, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    batch, recipients = published
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status\n"
        + "".join(
            f"{r.pk},{r.phone_e164[1:]},{'AKTIF' if i else 'HILANG'}\n" for i, r in enumerate(recipients)
        )
    )
    refused = tmp_path / "ditolak.csv"
    args = ["--batch", batch.id, "--results", str(results), "--refused-out", str(refused)]

    code, answer = _kit(capsys, "http://verval.test", token, "upload-results", *args)

    assert (code, answer["exit_code"], answer["state"], answer["error"]) == (
        1,
        1,
        "REFUSED",
        "TERLALU_BANYAK_DITOLAK",
    )
    assert [r[:3] for r in csv.reader(refused.open(encoding="utf-8"))] == [
        ["baris", "kolom", "kode"],
        ["2", "status", "STATUS_TIDAK_VALID"],
    ]
    assert set(Recipient.objects.values_list("status", flat=True)) == {"MENUNGGU_PROVIDER"}


def test_a_batch_of_another_provider_is_not_reachable_by_pull_or_upload_results(
    school, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    other = RecipientFactory(
        school=school, status="MENUNGGU_PROVIDER", operator="indosat", phone_raw="081520000001"
    )
    (batch,) = actions.publish_dumps(actor=None, provider="indosat")
    results = tmp_path / "hasil.csv"
    results.write_text(f"pd_id,no_ponsel,status\n{other.pk},{other.phone_e164[1:]},AKTIF\n")
    url = ["--url", "http://verval.test", "--token", token]

    pulled = cli.main(["pull", *url, "--out", str(tmp_path / "dumps"), "--batch", batch.id])
    sent = cli.main(["upload-results", *url, "--batch", batch.id, "--results", str(results)])

    assert (pulled, sent) == (2, 2)
    message = (
        f"HTTP 404 TIDAK_DITEMUKAN: no dump batch {batch.id} of yours on this server: check --batch "
        "(pull prints the id of each batch it downloads; `pull --all` lists every one)\n"
    )
    assert capsys.readouterr().err == (
        f"verval-provider pull: {message}verval-provider upload-results: {message}"
    )
    assert list((tmp_path / "dumps").iterdir()) == []
    assert not Job.objects.filter(kind="ingest_results").exists()
    assert (DumpBatch.objects.get().state, Recipient.objects.get().status) == ("OPEN", "MENUNGGU_PROVIDER")


def test_upload_results_refuses_a_file_with_another_header_before_sending_it(
    published, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    batch, _ = published
    results = tmp_path / "hasil.csv"
    results.write_text("pd_id,nomor,status\n00000000-0000-0000-0000-000000000001,6281200000000,AKTIF\n")

    code, answer = _kit(
        capsys, "http://verval.test", token, "upload-results", "--batch", batch.id, "--results", str(results)
    )

    assert (code, answer["error"]) == (2, "BERKAS_TIDAK_TERBACA")
    assert answer["detail"] == (
        "results hasil.csv: header is 'pd_id,nomor,status', expected pd_id,no_ponsel,status[,keterangan]"
    )
    assert not Job.objects.filter(kind="ingest_results").exists()


def test_upload_results_sends_a_large_plain_file_as_gzip(
    published, token, in_process, tmp_path, capsys, monkeypatch
):  # type: ignore[no-untyped-def]
    batch, recipients = published
    monkeypatch.setattr(dumps, "GZIP_ABOVE", 10)
    results = tmp_path / "hasil.csv"
    results.write_text(
        "pd_id,no_ponsel,status\n" + "".join(f"{r.pk},{r.phone_e164[1:]},AKTIF\n" for r in recipients)
    )

    code, answer = _kit(
        capsys, "http://verval.test", token, "upload-results", "--batch", batch.id, "--results", str(results)
    )

    assert (code, answer["sent_as"], answer["state"], answer["counts"]["applied"]) == (
        0,
        "gzip",
        "SUCCEEDED",
        6,
    )
    assert Recipient.objects.filter(status="AKTIF").count() == 6


def test_a_lower_case_dump_batch_id_is_answered_with_the_form_of_an_id_and_no_masked_date(
    published, token, in_process, tmp_path, capsys
):  # type: ignore[no-untyped-def]
    url = ["--url", "http://verval.test", "--token", token]

    pulled = cli.main(["pull", *url, "--out", str(tmp_path / "dumps"), "--batch", published[0].id.lower()])

    assert pulled == 2
    assert capsys.readouterr().err == (
        "verval-provider pull: HTTP 404 TIDAK_DITEMUKAN: no dump batch of yours on this server has that "
        "id; a dump batch id reads like DMP-20200915-telkomsel-0001 (DMP in capitals, the provider in "
        "lower case): check --batch (pull prints the id of each batch it downloads; `pull --all` lists "
        "every one)\n"
    )
