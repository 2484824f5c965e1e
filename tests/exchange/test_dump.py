from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.exchange.helpers import dump_rows, results_file
from tests.factories import RecipientFactory
from verval.core import files, jobs
from verval.exchange import actions, services
from verval.exchange.models import DumpBatch, DumpItem
from verval.registry.models import Recipient


def test_dump_carries_the_four_fields_of_waiting_recipients_of_that_provider(school, waiting):
    ptk = RecipientFactory(
        school=school,
        status="MENUNGGU_PROVIDER",
        kind="PTK",
        category="PTK",
        grade=None,
        phone_raw="081377700001",
    )
    paud = RecipientFactory(
        school=school, status="MENUNGGU_PROVIDER", category="PAUD", grade=None, phone_raw="081377700002"
    )
    RecipientFactory(school=school, status="BELUM_VERVAL")
    RecipientFactory(school=school, status="MENUNGGU_PROVIDER", active=False)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    rows = dump_rows(batch)
    assert list(rows[0].keys()) == ["pd_id", "tingkat_pendidikan", "npsn", "no_ponsel"]
    assert batch.rows == len(rows) == 12
    by_id = {r["pd_id"]: r for r in rows}
    first = waiting["telkomsel"][0]
    assert by_id[str(first.id)] == {
        "pd_id": str(first.id),
        "tingkat_pendidikan": "4",
        "npsn": school.npsn,
        "no_ponsel": first.phone_e164[1:],
    }
    assert by_id[str(ptk.id)]["tingkat_pendidikan"] == "PTK"
    assert by_id[str(paud.id)]["tingkat_pendidikan"] == "PAUD"
    assert by_id[str(ptk.id)]["no_ponsel"] == "6281377700001"
    assert not any(str(r.id) in by_id for r in waiting["indosat"])
    assert batch.id.startswith("DMP-") and batch.id.endswith("-telkomsel-0001")
    assert batch.state == DumpBatch.State.OPEN


def test_manifest_gives_rows_sha256_and_size_of_the_file(tsel_batch):
    path = files.absolute(tsel_batch.file_path)
    manifest = json.loads(files.absolute(tsel_batch.manifest_path).read_text())
    assert manifest["batch_id"] == tsel_batch.id
    assert manifest["provider"] == "telkomsel"
    assert manifest["rows"] == 10
    assert manifest["sha256"] == files.sha256_file(path) == tsel_batch.sha256
    assert manifest["size"] == path.stat().st_size == tsel_batch.size
    assert manifest["created_at"]


def test_publishing_again_sends_only_new_recipients(school, tsel_batch):
    assert actions.publish_dumps(actor=None, provider="telkomsel") == []
    new = RecipientFactory(school=school, status="MENUNGGU_PROVIDER")
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert second.id.endswith("-0002")
    assert [r["pd_id"] for r in dump_rows(second)] == [str(new.id)]


def test_publish_all_providers_makes_one_batch_each(waiting):
    batches = actions.publish_dumps(actor=None)
    assert sorted((b.provider, b.rows) for b in batches) == [("indosat", 3), ("telkomsel", 10)]


def test_one_pass_writes_each_providers_rows_to_its_own_file_in_the_order_they_were_routed(
    school, monkeypatch
):
    # Small blocks: every file is handed over in many pieces while the providers' rows interleave.
    monkeypatch.setattr(services, "_BLOCK", 512)
    made: dict[str, list[Recipient]] = {"telkomsel": [], "indosat": [], "xl": []}
    prefix = {"telkomsel": "0812", "indosat": "0815", "xl": "0817"}
    for n in range(240):
        provider = ("telkomsel", "indosat", "xl")[n % 3 if n < 200 else 0]
        made[provider].append(
            RecipientFactory.build(
                school=school,
                status="MENUNGGU_PROVIDER",
                operator=provider,
                phone_raw=f"{prefix[provider]}{30000000 + n:08d}",
                needs_validation=False,
            )
        )
    Recipient.objects.bulk_create([r for rs in made.values() for r in rs])
    batches = actions.publish_dumps(actor=None)
    assert sorted((b.provider, b.rows) for b in batches) == [("indosat", 67), ("telkomsel", 107), ("xl", 66)]
    assert not DumpBatch.objects.filter(provider="smartfren").exists()
    for batch in batches:
        rows = dump_rows(batch)
        assert len(rows) == batch.rows
        assert {r["pd_id"] for r in rows} == {str(r.id) for r in made[batch.provider]}
        assert all(r["no_ponsel"].startswith("62" + prefix[batch.provider][1:]) for r in rows)
        assert files.sha256_file(files.absolute(batch.file_path)) == batch.sha256
        written = list(
            DumpItem.objects.filter(batch=batch).order_by("id").values_list("recipient_id", flat=True)
        )
        assert [r["pd_id"] for r in rows] == [str(rid) for rid in written]
    folder = files.absolute("dumps")
    assert sorted(p.name for p in folder.rglob("*.csv.gz")) == sorted(f"{b.id}.csv.gz" for b in batches)
    assert not list(folder.rglob("*.part"))


def test_a_dump_that_fails_while_writing_leaves_no_batch_no_file_and_a_usable_connection(school, monkeypatch):
    monkeypatch.setattr(services, "_BLOCK", 512)
    Recipient.objects.bulk_create(
        [
            RecipientFactory.build(school=school, status="MENUNGGU_PROVIDER", needs_validation=False)
            for _ in range(200)
        ]
    )
    writes = []

    def failing_write(self, data):  # type: ignore[no-untyped-def]
        writes.append(len(data))
        if len(writes) == 3:
            raise OSError("disk full")
        self._buf.append(data)

    monkeypatch.setattr(services.GzipSink, "write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        actions.publish_dumps(actor=None)
    # The COPY was read to its end and rolled back with the rest: the next query runs.
    assert DumpBatch.objects.count() == 0
    assert DumpItem.objects.count() == 0
    assert [p for p in files.absolute("dumps").rglob("*") if p.is_file()] == []


def test_a_recipient_is_in_at_most_one_open_batch(tsel_batch, waiting):
    moved = waiting["telkomsel"][0]
    # A new number supersedes the open row; the recipient goes into the next batch with it.
    Recipient.objects.filter(pk=moved.pk).update(phone_e164="+6281299999998")
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert actions.publish_dumps(actor=None, provider="telkomsel") == []
    open_rows = DumpItem.objects.filter(is_open=True).values_list("recipient_id", "batch_id")
    per_recipient: dict[object, list[str]] = {}
    for recipient_id, batch_id in open_rows:
        per_recipient.setdefault(recipient_id, []).append(batch_id)
    assert len(per_recipient) == 10
    assert max(len(b) for b in per_recipient.values()) == 1
    assert per_recipient[moved.pk] == [second.id]


def test_number_changed_after_its_answer_goes_into_the_next_batch(tsel_batch, tmp_path):
    rows = dump_rows(tsel_batch)
    path = results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "TIDAK_AKTIF") for r in rows])
    job = jobs.run(actions.create_ingest_job(actor=None, batch=tsel_batch, path=path).pk)
    assert job.state == "SUCCEEDED"
    rec = Recipient.objects.get(pk=rows[0]["pd_id"])
    assert rec.status == "RESIDU"
    # The school corrects the number; validation sends it back to MENUNGGU_PROVIDER.
    Recipient.objects.filter(pk=rec.pk).update(phone_e164="+6281299999999", status="MENUNGGU_PROVIDER")
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert dump_rows(second) == [
        {"pd_id": str(rec.pk), "tingkat_pendidikan": "4", "npsn": rec.school_id, "no_ponsel": "6281299999999"}
    ]


def test_reconfirmed_residue_with_same_number_is_dumped_again(tsel_batch, tmp_path):
    rows = dump_rows(tsel_batch)
    path = results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "MASA_TENGGANG") for r in rows])
    jobs.run(actions.create_ingest_job(actor=None, batch=tsel_batch, path=path).pk)
    Recipient.objects.filter(pk=rows[0]["pd_id"]).update(status="MENUNGGU_PROVIDER")
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert [r["pd_id"] for r in dump_rows(second)] == [rows[0]["pd_id"]]


def test_number_changed_while_its_row_is_open_supersedes_that_row(tsel_batch):
    rec = Recipient.objects.get(pk=dump_rows(tsel_batch)[0]["pd_id"])
    Recipient.objects.filter(pk=rec.pk).update(phone_e164="+6281288888888")
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert second.rows == 1
    old = DumpItem.objects.get(batch=tsel_batch, recipient_id=rec.pk)
    assert (old.is_open, old.superseded) == (False, True)
    tsel_batch.refresh_from_db()
    assert (tsel_batch.superseded, tsel_batch.unanswered) == (1, 9)


def test_dump_command_prints_json_counts(waiting, capsys):
    call_command("dump", "--provider", "indosat", "--json")
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["rows"] == 3
    assert out["batches"][0]["provider"] == "indosat"
    assert out["batches"][0]["rows"] == 3


@pytest.mark.postgres
def test_dump_through_copy_streams_every_row(school):
    recipients = [RecipientFactory.build(school=school, status="MENUNGGU_PROVIDER") for _ in range(3000)]
    Recipient.objects.bulk_create(recipients)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    rows = dump_rows(batch)
    assert batch.rows == len(rows) == 3000
    assert {r["pd_id"] for r in rows} == {str(r.id) for r in recipients}
    assert files.sha256_file(files.absolute(batch.file_path)) == batch.sha256


@pytest.mark.postgres
def test_a_copy_the_server_refuses_raises_its_error_and_leaves_the_connection_usable(
    db, monkeypatch, tmp_path
):  # type: ignore[no-untyped-def]
    import psycopg
    from django.db import connection, transaction

    monkeypatch.setattr(services, "ITEM", "no_such_table")
    sink = services.GzipSink(tmp_path / "x.csv.gz")
    with pytest.raises(psycopg.errors.UndefinedTable), transaction.atomic(), connection.cursor() as cursor:
        services.write_dump_files(cursor, ["DMP-X"], [sink])
    sink.abort()
    assert DumpBatch.objects.count() == 0  # the next statement runs on the same connection


def test_dump_command_prints_each_batch_with_the_absolute_path_of_its_file(waiting, capsys, settings):
    call_command("dump", "--provider", "indosat")
    batch = DumpBatch.objects.get(provider="indosat")
    absolute = (Path(settings.DATA_DIR) / batch.file_path).resolve()

    assert capsys.readouterr().out == f"{batch.id}\tindosat\t3\t{absolute}\n"
    assert absolute.is_file() and batch.file_path.startswith("dumps/")


def test_dump_command_json_gives_the_absolute_path_and_the_store_relative_file(waiting, capsys, settings):
    call_command("dump", "--provider", "indosat", "--json")
    batch = DumpBatch.objects.get(provider="indosat")
    (line,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["batches"]

    assert (line["file"], line["path"]) == (
        batch.file_path,
        str((Path(settings.DATA_DIR) / batch.file_path).resolve()),
    )
