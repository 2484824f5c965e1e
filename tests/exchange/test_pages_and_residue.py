from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from tests.exchange.helpers import dump_rows, results_file
from verval.core import jobs
from verval.exchange import actions, selectors
from verval.exchange.models import DumpBatch, ProviderToken
from verval.exchange.reasons import RESIDUE_REASONS
from verval.registry.models import ResidueReason


def test_every_residue_reason_has_texts_and_what_to_do():
    assert set(RESIDUE_REASONS) == set(ResidueReason.values)
    for r in RESIDUE_REASONS.values():
        assert r.message_id and r.message_en and r.action_id and r.action_en
    assert RESIDUE_REASONS["TIDAK_AKTIF"].action_id.startswith("Pastikan nomor masih dipakai")
    # The row shows the message and then the action: the action does not say the message again.
    for r in RESIDUE_REASONS.values():
        first = r.message_id.split()[:2]
        assert r.action_id.split()[:2] != first, r.code


def test_school_residue_rows_carry_reason_note_batch_and_action(
    operator, other_operator, school, tsel_batch, tmp_path
):
    rows = dump_rows(tsel_batch)
    jobs.run(
        actions.create_ingest_job(
            actor=None,
            batch=tsel_batch,
            path=results_file(
                tmp_path, [(rows[0]["pd_id"], rows[0]["no_ponsel"], "MASA_TENGGANG", "isi pulsa")]
            ),
        ).pk
    )
    (row,) = selectors.residue_rows(operator, school.npsn)
    assert str(row["recipient"].pk) == rows[0]["pd_id"]
    assert (row["reason"], row["note"], row["batch"], row["provider"]) == (
        "MASA_TENGGANG",
        "isi pulsa",
        tsel_batch.id,
        "telkomsel",
    )
    assert row["action"] == RESIDUE_REASONS["MASA_TENGGANG"].action_id
    assert row["action_en"] == RESIDUE_REASONS["MASA_TENGGANG"].action_en
    with pytest.raises(PermissionDenied):
        selectors.residue_rows(other_operator, school.npsn)


def test_pusdatin_publishes_dumps_from_the_page(
    client, pusdatin, waiting, django_capture_on_commit_callbacks
):
    client.force_login(pusdatin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/pusdatin/dump/terbitkan/", {"provider": ""})
    assert r.status_code == 302
    assert sorted(DumpBatch.objects.values_list("provider", "rows")) == [("indosat", 3), ("telkomsel", 10)]
    page = client.get("/pusdatin/dump/")
    assert page.status_code == 200
    assert DumpBatch.objects.get(provider="telkomsel").id in page.content.decode()


def test_pusdatin_page_shows_the_dump_section(client, pusdatin):
    client.force_login(pusdatin)
    html = client.get("/pusdatin/").content.decode()
    assert "/pusdatin/dump/terbitkan/" in html and "/pusdatin/dump/" in html


def test_token_is_shown_once_and_only_its_hash_is_stored(client, pusdatin):
    client.force_login(pusdatin)
    r = client.post("/pusdatin/dump/token/", {"provider": "xl"})
    assert (r.status_code, r["Location"]) == (302, "/pusdatin/dump/token/baru/")
    shown = client.get("/pusdatin/dump/token/baru/")
    assert shown["Cache-Control"] == "no-store"
    row = ProviderToken.objects.get(provider="xl")
    html = shown.content.decode()
    start = html.index("vp_" + row.prefix)
    token = html[start : html.index("<", start)]
    assert row.token_hash == actions.hash_token(token) and token not in row.token_hash
    assert token not in client.get("/pusdatin/dump/").content.decode()
    # Reloading the page neither shows the token again nor issues another one.
    again = client.get("/pusdatin/dump/token/baru/", follow=True)
    assert token not in again.content.decode() and "Token sudah ditampilkan sekali." in again.content.decode()
    assert ProviderToken.objects.filter(provider="xl").count() == 1


def test_dump_page_lists_every_live_token_of_a_provider(client, pusdatin):
    actions.issue_token(actor=None, provider="xl", label="simulator", rotate=False)
    client.force_login(pusdatin)
    client.post("/pusdatin/dump/token/", {"provider": "telkomsel"})
    demo, _ = actions.issue_token(actor=None, provider="telkomsel", label="demo", rotate=False)
    html = client.get("/pusdatin/dump/").content.decode()
    assert f"<code>vp_{demo.prefix}_…</code> <small>(demo)</small>" in html
    assert "<small>(simulator)</small>" in html
    assert html.count("Semua token provider ini akan dicabut. Lanjutkan?") == 2


def test_batch_page_lists_contradictions_and_routing_questions(
    client, pusdatin, settings, tsel_batch, tmp_path
):
    settings.VERVAL = {**settings.VERVAL, "REFUSE_FILE_ABOVE_SHARE": 1.0}
    rows = dump_rows(tsel_batch)
    jobs.run(
        actions.create_ingest_job(
            actor=None,
            batch=tsel_batch,
            path=results_file(
                tmp_path,
                [
                    (rows[0]["pd_id"], rows[0]["no_ponsel"], "AKTIF"),
                    (rows[1]["pd_id"], rows[1]["no_ponsel"], "BUKAN_PELANGGAN"),
                ],
            ),
        ).pk
    )
    jobs.run(
        actions.create_ingest_job(
            actor=None,
            batch=tsel_batch,
            path=results_file(
                tmp_path, [(rows[0]["pd_id"], rows[0]["no_ponsel"], "TIDAK_AKTIF")], name="b.csv"
            ),
        ).pk
    )
    client.force_login(pusdatin)
    html = client.get(f"/pusdatin/dump/{tsel_batch.id}/").content.decode()
    assert html.count(rows[0]["pd_id"]) == 1 and "TIDAK_AKTIF" in html
    assert rows[1]["pd_id"] in html
    assert rows[1]["no_ponsel"] not in html  # masked


def test_exchange_pages_are_pusdatin_only(client, operator, provider_user):
    for user in (operator, provider_user):
        client.force_login(user)
        assert client.get("/pusdatin/dump/").status_code == 403
        assert client.post("/pusdatin/dump/token/", {"provider": "xl"}).status_code == 403
