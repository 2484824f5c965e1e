"""A provider's own number format in its dumps (SPEC §7 "unless the provider asks otherwise";
docs/decisions/0027-provider-number-format.md): set by Pusdatin, written into the file, named in
the manifest and the API, and understood back in the results."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.exchange.helpers import dump_rows, results_file
from tests.factories import RecipientFactory
from verval.core import files, jobs
from verval.core.models import AuditEvent, Job
from verval.exchange import actions, services
from verval.exchange.models import DumpBatch, ProviderSetting
from verval.registry.models import Recipient


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ingest(batch, path):  # type: ignore[no-untyped-def]
    return jobs.run(actions.create_ingest_job(actor=None, batch=batch, path=path).pk)


def _numbers(batch: DumpBatch) -> dict[str, str]:
    """pd_id -> no_ponsel as the file wrote it."""
    return {r["pd_id"]: r["no_ponsel"] for r in dump_rows(batch)}


def _e164(batch: DumpBatch) -> dict[str, str]:
    """pd_id -> the number stored, for the rows of the batch."""
    return {str(r.pk): r.phone_e164 for r in Recipient.objects.filter(pk__in=list(_numbers(batch)))}


def test_a_provider_without_a_setting_gets_its_dump_as_e164_without_plus(waiting):
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert batch.number_format == "msisdn"
    assert _numbers(batch) == {k: v[1:] for k, v in _e164(batch).items()}
    assert all(n.startswith("62812") and len(n) == 13 for n in _numbers(batch).values())
    manifest = json.loads(files.absolute(batch.manifest_path).read_text())
    assert manifest["number_format"] == "msisdn"


@pytest.mark.parametrize(
    ("number_format", "written"),
    [
        ("msisdn", lambda e164: e164[1:]),
        ("e164", lambda e164: e164),
        ("national", lambda e164: "0" + e164[3:]),
    ],
)
def test_the_dump_writes_each_number_in_the_providers_format_and_the_manifest_names_it(
    waiting, pusdatin, number_format, written
):
    actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert batch.number_format == number_format
    assert batch.rows == 10
    assert _numbers(batch) == {k: written(v) for k, v in _e164(batch).items()}
    first = waiting["telkomsel"][0]
    assert (
        _numbers(batch)[str(first.id)]
        == {
            "msisdn": "62" + first.phone_raw[1:],
            "e164": "+62" + first.phone_raw[1:],
            "national": first.phone_raw,
        }[number_format]
    )
    manifest = json.loads(files.absolute(batch.manifest_path).read_text())
    assert manifest["number_format"] == number_format
    assert manifest["columns"] == ["pd_id", "tingkat_pendidikan", "npsn", "no_ponsel"]
    assert manifest["sha256"] == files.sha256_file(files.absolute(batch.file_path)) == batch.sha256


def test_one_dump_of_every_provider_writes_each_file_in_its_own_providers_format(school, pusdatin):
    prefix = {"telkomsel": "0812", "indosat": "0815", "xl": "0817", "tri": "0896"}
    made = {
        p: [
            RecipientFactory(
                school=school,
                status="MENUNGGU_PROVIDER",
                needs_validation=False,
                operator=p,
                phone_raw=f"{prefix[p]}{40000000 + i:08d}",
            )
            for i in range(3)
        ]
        for p in prefix
    }
    actions.set_number_format(actor=pusdatin, provider="indosat", number_format="e164")
    actions.set_number_format(actor=pusdatin, provider="xl", number_format="national")
    batches = {b.provider: b for b in actions.publish_dumps(actor=None)}
    assert {p: b.number_format for p, b in batches.items()} == {
        "telkomsel": "msisdn",
        "indosat": "e164",
        "xl": "national",
        "tri": "msisdn",
    }
    for p, rs in made.items():
        assert _numbers(batches[p]) == {
            str(r.id): {
                "msisdn": "62" + r.phone_raw[1:],
                "e164": "+62" + r.phone_raw[1:],
                "national": r.phone_raw,
            }[batches[p].number_format]
            for r in rs
        }


def test_the_dump_files_rewritten_alone_are_the_same_files(school, pusdatin):
    # write_dump_files is what the benchmark times on its own: it reads each batch's format.
    from django.db import connection, transaction

    for p, pre in (("telkomsel", "0812"), ("indosat", "0815")):
        RecipientFactory(
            school=school,
            status="MENUNGGU_PROVIDER",
            needs_validation=False,
            operator=p,
            phone_raw=f"{pre}55500001",
        )
    actions.set_number_format(actor=pusdatin, provider="indosat", number_format="national")
    batches = actions.publish_dumps(actor=None)
    out = files.root() / "dumps" / "again"  # dumps, where the product writes them (the canary's kinds)
    out.mkdir()
    with transaction.atomic(), connection.cursor() as cursor:
        sinks = [services.GzipSink(out / f"{b.provider}.csv.gz") for b in batches]
        assert services.write_dump_files(cursor, [b.id for b in batches], sinks) == [1, 1]
        assert [sink.close()[0] for sink in sinks] == [b.sha256 for b in batches]


def test_the_dump_jobs_counts_name_each_batchs_number_format(waiting, pusdatin):
    actions.set_number_format(actor=pusdatin, provider="indosat", number_format="e164")
    job = jobs.run(jobs.create_job(actor=pusdatin, kind="dump", params={"provider": ""}).pk)
    assert job.state == Job.State.SUCCEEDED
    assert sorted((b["provider"], b["rows"], b["number_format"]) for b in job.counts["batches"]) == [
        ("indosat", 3, "e164"),
        ("telkomsel", 10, "msisdn"),
    ]


def test_pusdatin_setting_a_format_is_audited_and_setting_it_again_changes_nothing(pusdatin):
    done = actions.set_number_format(actor=pusdatin, provider="indosat", number_format="national")
    assert done == {
        "provider": "indosat",
        "number_format": "national",
        "before": "msisdn",
        "changed": True,
        "unfinished_batches": 0,
    }
    row = ProviderSetting.objects.get(provider="indosat")
    assert (row.number_format, row.updated_by) == ("national", pusdatin)
    event = AuditEvent.objects.get(action="set_provider_number_format")
    assert (event.actor, event.object_type, event.object_id, event.provider) == (
        pusdatin,
        "provider",
        "indosat",
        "indosat",
    )
    assert event.before == {"number_format": "msisdn"}
    assert event.after == {"number_format": "national", "unfinished_batches": 0}
    again = actions.set_number_format(actor=pusdatin, provider="indosat", number_format="national")
    assert (again["changed"], again["before"]) == (False, "national")
    assert AuditEvent.objects.filter(action="set_provider_number_format").count() == 1


def test_an_unknown_provider_or_format_is_refused_and_nothing_is_stored(pusdatin):
    with pytest.raises(ValueError, match="unknown number format"):
        actions.set_number_format(actor=pusdatin, provider="indosat", number_format="+62")
    with pytest.raises(ValueError, match="unknown provider"):
        actions.set_number_format(actor=pusdatin, provider="esia", number_format="e164")
    assert not ProviderSetting.objects.exists()
    assert not AuditEvent.objects.filter(action="set_provider_number_format").exists()


def test_a_change_with_an_unanswered_batch_applies_from_the_next_batch(school, waiting, pusdatin, tmp_path):
    (first,) = actions.publish_dumps(actor=None, provider="telkomsel")
    before = files.absolute(first.file_path).read_bytes()
    done = actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="national")
    assert (done["changed"], done["unfinished_batches"]) == (True, 1)
    assert AuditEvent.objects.get(action="set_provider_number_format").after == {
        "number_format": "national",
        "unfinished_batches": 1,
    }
    # The batch already published keeps its file, its manifest and its format.
    first.refresh_from_db()
    assert first.number_format == "msisdn"
    assert files.absolute(first.file_path).read_bytes() == before
    assert json.loads(files.absolute(first.manifest_path).read_text())["number_format"] == "msisdn"
    new = RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False)
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    assert second.number_format == "national"
    assert _numbers(second) == {str(new.id): new.phone_raw}
    # The first batch is still answered as it was sent (its numbers without +)...
    rows = dump_rows(first)
    job = ingest(first, results_file(tmp_path, [(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows]))
    assert (job.state, job.counts["applied"], job.counts["refused"]) == (Job.State.SUCCEEDED, 10, 0)
    # ... and the second in its national form.
    job = ingest(second, results_file(tmp_path, [(str(new.id), new.phone_raw, "AKTIF")], name="b.csv"))
    assert (job.state, job.counts["applied"], job.counts["refused"]) == (Job.State.SUCCEEDED, 1, 0)
    # Once every batch is complete, a change leaves none behind in another format.
    assert (
        actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="e164")[
            "unfinished_batches"
        ]
        == 0
    )


@pytest.mark.parametrize("number_format", ["msisdn", "e164", "national"])
@pytest.mark.parametrize("careful", [False, True], ids=["plain-file", "quoted-file"])
def test_results_give_the_number_in_the_form_sent_or_any_other_form_of_it(
    waiting, pusdatin, tmp_path, number_format, careful
):
    actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    rows = dump_rows(batch)
    e164 = _e164(batch)
    forms = [
        lambda r: r["no_ponsel"],  # as sent
        lambda r: e164[r["pd_id"]][1:],  # 628...
        lambda r: e164[r["pd_id"]],  # +628...
        lambda r: "0" + e164[r["pd_id"]][3:],  # 08...
    ]
    results = [(r["pd_id"], forms[i % 4](r), "AKTIF" if i % 2 else "TIDAK_AKTIF") for i, r in enumerate(rows)]
    path = results_file(tmp_path, results)
    if careful:  # a quoted field sends the file to the row-by-row reader
        path.write_text(path.read_text().replace(rows[0]["pd_id"], f'"{rows[0]["pd_id"]}"', 1))
    job = ingest(batch, path)
    assert job.state == Job.State.SUCCEEDED
    assert (job.counts["applied"], job.counts["aktif"], job.counts["residu"], job.counts["refused"]) == (
        10,
        5,
        5,
        0,
    )
    batch.refresh_from_db()
    assert batch.state == DumpBatch.State.COMPLETE


@pytest.mark.parametrize("number_format", ["e164", "national"])
def test_a_result_with_another_number_than_the_one_sent_is_refused_in_any_format(
    waiting, pusdatin, tmp_path, number_format, settings
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 0.9}
    actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format=number_format)
    (batch,) = actions.publish_dumps(actor=None, provider="telkomsel")
    rows = dump_rows(batch)
    other = {"e164": "+6281299990000", "national": "081299990000"}[number_format]
    path = results_file(
        tmp_path,
        [(rows[0]["pd_id"], other, "AKTIF"), *[(r["pd_id"], r["no_ponsel"], "AKTIF") for r in rows[1:]]],
    )
    job = ingest(batch, path)
    assert (job.state, job.counts["applied"], job.counts["refused"]) == (Job.State.SUCCEEDED, 9, 1)
    (issue,) = job.issues.all()
    assert (issue.line, issue.column, issue.code, issue.value) == (
        2,
        "no_ponsel",
        "NOMOR_TIDAK_SESUAI",
        "0812****0000",
    )
    assert Recipient.objects.get(pk=rows[0]["pd_id"]).status == "MENUNGGU_PROVIDER"


def test_the_api_lists_each_batch_with_its_number_format_and_serves_it_in_the_manifest(
    client, school, waiting, pusdatin, tsel_token
):
    (old,) = actions.publish_dumps(actor=None, provider="telkomsel")
    actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="e164")
    RecipientFactory(school=school, status="MENUNGGU_PROVIDER", needs_validation=False)
    (new,) = actions.publish_dumps(actor=None, provider="telkomsel")
    listed = client.get("/api/v1/batches", headers=auth(tsel_token)).json()
    assert [(b["id"], b["number_format"]) for b in listed] == [(new.id, "e164"), (old.id, "msisdn")]
    one = client.get(f"/api/v1/batches/{new.id}", headers=auth(tsel_token)).json()
    assert one["number_format"] == "e164"
    manifest = client.get(f"/api/v1/batches/{new.id}/manifest", headers=auth(tsel_token)).json()
    assert (manifest["batch_id"], manifest["number_format"]) == (new.id, "e164")
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["BatchOut"]
    assert "number_format" in schema["required"]


def test_a_manifest_written_before_formats_existed_is_served_with_its_batchs_format(
    client, tsel_batch, tsel_token
):
    path = files.absolute(tsel_batch.manifest_path)
    old = json.loads(path.read_text())
    del old["number_format"]
    path.write_text(json.dumps(old))
    manifest = client.get(f"/api/v1/batches/{tsel_batch.id}/manifest", headers=auth(tsel_token)).json()
    assert manifest["number_format"] == "msisdn"
    assert manifest["sha256"] == tsel_batch.sha256


def test_pusdatin_sets_a_providers_format_on_the_dump_page(client, pusdatin, tsel_batch):
    client.force_login(pusdatin)
    page = client.get("/pusdatin/dump/").content.decode()
    assert '<select id="format-indosat" name="number_format"><option value="msisdn" selected>' in page
    r = client.post("/pusdatin/dump/format-nomor/", {"provider": "telkomsel", "number_format": "national"})
    assert (r.status_code, r["Location"]) == (302, "/pusdatin/dump/")
    assert ProviderSetting.objects.get(provider="telkomsel").number_format == "national"
    page = client.get("/pusdatin/dump/").content.decode()
    assert "mulai batch berikutnya. 1 batch yang belum lengkap tetap memakai format lamanya" in page
    assert '<option value="national" selected>' in page
    assert AuditEvent.objects.get(action="set_provider_number_format").actor == pusdatin
    detail = client.get(f"/pusdatin/dump/{tsel_batch.id}/").content.decode()
    assert "format nomor <code>msisdn</code>" in detail


def test_the_dump_page_refuses_an_unknown_format_and_changes_nothing(client, pusdatin):
    client.force_login(pusdatin)
    r = client.post(
        "/pusdatin/dump/format-nomor/", {"provider": "telkomsel", "number_format": "+62"}, follow=True
    )
    assert "Format nomor tidak dikenal." in r.content.decode()
    r = client.post(
        "/pusdatin/dump/format-nomor/", {"provider": "esia", "number_format": "e164"}, follow=True
    )
    assert "Provider tidak dikenal." in r.content.decode()
    assert not ProviderSetting.objects.exists()


def test_provider_format_command_shows_and_sets_the_format(capsys, tsel_batch):
    call_command("provider_format", "--provider", "telkomsel")
    assert capsys.readouterr().out == "telkomsel: msisdn (628…)\n"
    call_command("provider_format", "--provider", "telkomsel", "--format", "e164", "--json")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "provider": "telkomsel",
        "number_format": "e164",
        "before": "msisdn",
        "changed": True,
        "unfinished_batches": 1,
    }
    event = AuditEvent.objects.get(action="set_provider_number_format")
    assert (event.actor, event.provider) == (None, "telkomsel")
    call_command("provider_format", "--provider", "telkomsel", "--json")
    assert json.loads(capsys.readouterr().out) == {"provider": "telkomsel", "number_format": "e164"}
    call_command("provider_format", "--provider", "telkomsel", "--format", "e164")
    assert capsys.readouterr().out == "telkomsel: already e164 (+628…).\n"


def test_a_change_counts_the_providers_unfinished_disbursement_batches_in_another_format(pusdatin):
    from tests.sptjm.conftest import make_period
    from verval.sptjm.models import DisbursementBatch

    period = make_period()
    for seq, state in enumerate(["TERBIT", "DIAMBIL", "SELESAI"], start=1):
        DisbursementBatch.objects.create(period=period, provider="telkomsel", seq=seq, state=state)
    DisbursementBatch.objects.create(period=period, provider="indosat", seq=1)  # another provider's

    done = actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="national")

    assert (done["changed"], done["unfinished_batches"]) == (True, 2)
    again = actions.set_number_format(actor=pusdatin, provider="telkomsel", number_format="msisdn")
    assert again["unfinished_batches"] == 0  # both were written as msisdn


def test_pusdatins_format_choice_shows_each_forms_shape_and_no_example_number(client, pusdatin):
    # An example number on Pusdatin's page (where numbers are masked) cannot be told from a
    # child's by whoever scans pages or screenshots (decision 0098; the privacy canary found it).
    client.force_login(pusdatin)
    page = client.get("/pusdatin/dump/").content.decode()

    assert (
        '<select id="format-telkomsel" name="number_format"><option value="msisdn" selected>'
        '628… (E.164 tanpa +, bawaan)</option><option value="e164">+628… (E.164 dengan +)</option>'
        '<option value="national">08… (nasional, awalan 0)</option></select>'
    ) in page
