"""Findings of Pusdatin's walk (decision 0055): the dump pages count rows as "Jumlah baris" (whose
English is "Rows"; "Baris" is a report's line, "Row") and name the provider, not its code."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _get(client, url, lang="id"):  # type: ignore[no-untyped-def]
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def test_batch_page_counts_its_rows_and_names_its_provider(client, pusdatin, tsel_batch):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = _get(client, f"/pusdatin/dump/{tsel_batch.id}/")
    assert '<div class="card"><span>Jumlah baris</span>' in html
    assert "</span> · Telkomsel · " in html
    client.cookies["django_language"] = "en"
    en = _get(client, f"/pusdatin/dump/{tsel_batch.id}/", "en")
    assert '<div class="card"><span>Rows</span>' in en


def test_batch_list_names_the_provider_of_each_batch(client, pusdatin, tsel_batch):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    html = _get(client, "/pusdatin/dump/")
    assert '<td data-label="Provider">Telkomsel</td>' in html
    assert '<td data-label="Provider">telkomsel</td>' not in html
    assert html.count("<th>Jumlah baris</th>") == 2 and "<th>Baris</th>" not in html


def test_new_token_page_and_revoke_message_name_the_provider(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    client.post("/pusdatin/dump/token/", {"provider": "indosat"})
    assert "<h1>Token API baru · Indosat Ooredoo</h1>" in _get(client, "/pusdatin/dump/token/baru/")
    page = client.post("/pusdatin/dump/token/cabut/", {"provider": "indosat"}, follow=True).content.decode()
    assert (
        "1 token Indosat Ooredoo dicabut: provider ini tidak dapat memakai API sampai diberi token baru."
        in page
    )


def test_number_format_message_names_the_provider(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    page = client.post(
        "/pusdatin/dump/format-nomor/", {"provider": "xl", "number_format": "national"}, follow=True
    ).content.decode()
    assert "Format nomor XL Axiata: 08… (nasional, awalan 0), mulai batch berikutnya." in page


@pytest.mark.parametrize(
    ("provider", "named"),
    [("telkomsel", "Telkomsel"), ("indosat", "Indosat Ooredoo"), (None, "Semua provider")],
)
def test_a_dump_jobs_page_names_the_provider_it_was_for(client, pusdatin, provider, named):  # type: ignore[no-untyped-def]
    # Decision 0103: the walk of decision 0097 read "Dump ke provider" and nothing of which one.
    from verval.exchange import actions

    job = actions.request_dump(actor=pusdatin, provider=provider)
    client.force_login(pusdatin)

    html = _get(client, f"/pekerjaan/{job.pk}/")

    assert "<h1>Dump ke provider</h1>" in html
    assert f'<p class="muted small break-any">{named} · ' in html


def test_a_dump_jobs_page_names_its_provider_in_english_too(client, pusdatin):  # type: ignore[no-untyped-def]
    from verval.exchange import actions

    job = actions.request_dump(actor=pusdatin, provider="xl")
    client.force_login(pusdatin)
    client.cookies["django_language"] = "en"

    html = _get(client, f"/pekerjaan/{job.pk}/", "en")

    assert '<p class="muted small break-any">XL Axiata · ' in html


def test_the_dump_summary_calls_its_figures_answers_and_says_why_they_exceed_todays_statuses(
    client, pusdatin, tsel_batch, tmp_path
):  # type: ignore[no-untyped-def]
    # Decision 0103 (found by decision 0097's walk): recipients answered residu, corrected by
    # their school and dumped again stay residu answers here; the dashboard counts their status.
    from tests.exchange.helpers import dump_rows, results_file
    from verval.core import jobs
    from verval.exchange import actions
    from verval.registry.models import Recipient

    rows = dump_rows(tsel_batch)
    answers = [(r["pd_id"], r["no_ponsel"], "TIDAK_AKTIF" if i < 2 else "AKTIF") for i, r in enumerate(rows)]
    jobs.run(actions.create_ingest_job(actor=None, batch=tsel_batch, path=results_file(tmp_path, answers)).pk)
    # The school corrects one residu number; validation sends it back to the provider.
    Recipient.objects.filter(pk=rows[0]["pd_id"]).update(
        phone_e164="+6281299999999", status="MENUNGGU_PROVIDER"
    )
    (second,) = actions.publish_dumps(actor=None, provider="telkomsel")
    client.force_login(pusdatin)

    html = _get(client, "/pusdatin/dump/")

    assert Recipient.objects.filter(operator="telkomsel", status="RESIDU").count() == 1
    assert (
        '<td data-label="Jawaban aktif">8</td><td data-label="Jawaban residu">2</td>'
        '<td data-label="Bertentangan">0</td>'
    ) in html
    assert "<th>Jawaban aktif</th><th>Jawaban residu</th>" in html
    assert (
        '<p class="muted small" id="answers-note">Jawaban aktif dan Jawaban residu menghitung jawaban '
        "provider di semua batchnya, juga jawaban untuk nomor yang kemudian diperbaiki sekolah dan dikirim "
        "lagi di batch berikutnya; jumlahnya bisa lebih besar daripada status penerima hari ini, yang ada "
        'di <a href="/">dasbor nasional</a>.</p>'
    ) in html
    assert "<th>Residu</th>" not in html
