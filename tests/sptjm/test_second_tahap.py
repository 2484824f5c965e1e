"""The second tahap, walked start to end (decision 0078): Pusdatin closes tahap 1 and opens tahap 2
under the same or the other quota policy. What the school is told to do with a tahap-1 SPTJM left
printed follows what the OPEN period's policy asks (the review page's rule), the disbursement
page of a tahap lists that tahap's jobs only, a closed tahap is shown but not edited, and
`verval stats --period` counts one tahap's SPTJM and disbursements."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.sptjm.conftest import aktif, approve_all, make_period
from verval.core import jobs
from verval.core.models import AuditEvent
from verval.reference import actions as reference_actions
from verval.reference.models import Period
from verval.sptjm import actions
from verval.sptjm.models import Sptjm

pytestmark = pytest.mark.django_db

CARRIES = (
    "Atau unggah pindaiannya: bila Pusdatin menyetujuinya, nomor yang tercantum terbawa ke periode "
    "berikutnya tanpa SPTJM baru."
)
NO_LONGER = "Menyetujui SPTJM periode yang sudah ditutup tidak lagi menghasilkan penyaluran kuota."
VOID_STEP = (
    "Menyetujuinya tidak lagi menghasilkan penyaluran kuota: kebijakan kuota periode yang dibuka "
    "meminta SPTJM baru. Langkah berikutnya: batalkan SPTJM ini di halaman SPTJM agar datanya dapat "
    "dicantumkan pada SPTJM periode yang dibuka."
)
UPLOAD_STEP = (
    "Langkah berikutnya: minta kepala sekolah menandatangani SPTJM di atas meterai Rp10.000 dan "
    "mengecapnya, lalu unggah pindaiannya."
)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _tahap_2(operator, pusdatin, school, *, first: str, second: str) -> Sptjm:  # type: ignore[no-untyped-def]
    """Tahap 1 under policy `first`, the school prints and leaves its SPTJM; Pusdatin opens
    tahap 2 under policy `second` (which closes tahap 1)."""
    tahap_1 = make_period("T1", first, date(2020, 9, 1))
    aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=tahap_1.code)
    make_period("T2", second, date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code="T2")
    return sptjm


@pytest.mark.parametrize(
    ("first", "second", "told", "not_told"),
    [("2020", "2021", CARRIES, NO_LONGER), ("2021", "2020", NO_LONGER, CARRIES)],
    ids=["2020-then-2021", "2021-then-2020"],
)
def test_school_page_says_what_approving_a_tahap_1_sptjm_does_by_the_open_tahaps_policy(
    operator, pusdatin, school, first, second, told, not_told
):  # type: ignore[no-untyped-def]
    sptjm = _tahap_2(operator, pusdatin, school, first=first, second=second)
    Sptjm.objects.filter(pk=sptjm.pk).update(status="DIUNGGAH")

    page = _login(operator).get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    review = _login(pusdatin).get(f"/pusdatin/sptjm/{sptjm.pk}/").content.decode()

    assert told in page
    assert not_told not in page
    # Pusdatin's review page says the same thing.
    carries = "Bila disetujui, nomor yang tercantum terbawa ke periode yang dibuka tanpa SPTJM baru"
    assert (carries in review) is (told == CARRIES)


def test_operator_home_says_to_void_a_tahap_1_sptjm_whose_approval_no_longer_disburses(
    operator, pusdatin, school
):  # type: ignore[no-untyped-def]
    sptjm = _tahap_2(operator, pusdatin, school, first="2020", second="2020")

    html = _login(operator).get("/beranda/").content.decode()

    assert (
        f'<li class="warn"><b>Tahap T1</b> (periode sudah ditutup): <span class="label s-DICETAK">Dicetak</span> '
        f"{sptjm.number}. {VOID_STEP}</li>"
    ) in html
    assert UPLOAD_STEP not in html
    assert "Batas unggah:" not in html


def test_operator_home_still_asks_to_upload_a_tahap_1_sptjm_that_carries_into_a_2021_tahap(
    operator, pusdatin, school
):  # type: ignore[no-untyped-def]
    sptjm = _tahap_2(operator, pusdatin, school, first="2020", second="2021")

    html = _login(operator).get("/beranda/").content.decode()

    assert f'<span class="label s-DICETAK">Dicetak</span> {sptjm.number}. {UPLOAD_STEP}' in html
    assert VOID_STEP not in html


def test_disbursement_page_of_tahap_2_lists_only_tahap_2s_jobs(operator, pusdatin, school, other_school):  # type: ignore[no-untyped-def]
    other_operator = type(operator).objects.create(
        username="op-other", role=operator.role, school=other_school, is_active=True
    )
    tahap_1 = make_period("T1", "2020", date(2020, 9, 1))
    aktif(school, 1)
    approve_all(operator, pusdatin, school, tahap_1)
    first = actions.request_disbursement(actor=pusdatin, period_code="T1", enqueue=False)
    jobs.run(first.pk)
    make_period("T2", "2020", date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code="T2")
    aktif(other_school, 1)
    approve_all(other_operator, pusdatin, other_school, Period.objects.get(code="T2"))
    second = actions.request_disbursement(actor=pusdatin, period_code="T2", enqueue=False)
    jobs.run(second.pk)
    web = _login(pusdatin)

    page_2 = web.get("/pusdatin/penyaluran/").content.decode()
    page_1 = web.get("/pusdatin/penyaluran/?periode=T1").content.decode()

    assert (f"/pekerjaan/{second.pk}/" in page_2, f"/pekerjaan/{first.pk}/" in page_2) == (True, False)
    assert (f"/pekerjaan/{first.pk}/" in page_1, f"/pekerjaan/{second.pk}/" in page_1) == (True, False)


def test_a_closed_tahap_is_shown_but_not_edited_on_the_web(pusdatin):  # type: ignore[no-untyped-def]
    make_period("T1", "2020", date(2020, 9, 1))
    make_period("T2", "2021", date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code="T2")  # closes T1
    make_period("T3", "2021", date(2020, 11, 1), is_open=False)  # never opened
    web = _login(pusdatin)
    audited = AuditEvent.objects.count()

    home = web.get("/pusdatin/").content.decode()
    form = web.get("/pusdatin/periode/T1/ubah/").content.decode()
    response = web.post(
        "/pusdatin/periode/T1/ubah/",
        {"name": "Lain", "policy": "2021", "starts_on": "2020-09-01", "ends_on": "2020-09-28"},
    )

    assert '<a class="tap" href="/pusdatin/periode/T1/ubah/">Lihat</a>' in home
    assert '<a class="tap" href="/pusdatin/periode/T2/ubah/">Ubah</a>' in home
    assert '<a class="tap" href="/pusdatin/periode/T3/ubah/">Ubah</a>' in home
    assert "Periode T1 sudah ditutup: jadwal dan kebijakan kuotanya adalah catatan tahap" in form
    assert '<button type="submit">' not in form
    assert response.status_code == 200
    assert Period.objects.filter(code="T1").values_list("name", "policy_id").get() == ("Tahap T1", "2020")
    assert AuditEvent.objects.count() == audited


def test_the_action_refuses_to_edit_a_closed_tahap_but_edits_an_open_and_a_never_opened_one(pusdatin):  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    make_period("T1", "2020", date(2020, 9, 1))
    make_period("T2", "2020", date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code="T2")  # closes T1
    make_period("T3", "2020", date(2020, 11, 1), is_open=False)

    def save(code: str) -> Period:
        period = Period.objects.get(code=code)
        return reference_actions.save_period(
            actor=pusdatin,
            code=code,
            name="Baru",
            policy=period.policy,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
        )

    with pytest.raises(ValidationError) as refused:
        save("T1")

    assert refused.value.code == "closed"
    assert (save("T2").name, save("T3").name) == ("Baru", "Baru")
    assert Period.objects.get(code="T1").name == "Tahap T1"


def test_stats_counts_one_tahaps_sptjm_and_disbursements_with_period(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    tahap_1 = make_period("T1", "2020", date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, tahap_1)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code="T1", enqueue=False).pk)
    make_period("T2", "2021", date(2020, 10, 1), is_open=False)
    reference_actions.open_period(actor=pusdatin, code="T2")  # 2021: tahap 1's numbers carry
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code="T2", enqueue=False).pk)

    def stats(*args: str) -> dict:
        out = StringIO()
        call_command("stats", *args, "--json", stdout=out)
        return json.loads(out.getvalue())

    every, one = stats(), stats("--period", "T2")
    text = StringIO()
    call_command("stats", "--period", "T2", stdout=text)

    assert (every["period"], every["sptjm_status"], every["disbursement_status"]) == (
        None,
        {"DISETUJUI": 1},
        {"DIJADWALKAN": 4},
    )
    assert (one["period"], one["sptjm_status"], one["disbursement_status"]) == ("T2", {}, {"DIJADWALKAN": 2})
    assert "disbursement_status (period T2):" in text.getvalue().splitlines()
    with pytest.raises(CommandError):
        call_command("stats", "--period", "T9", "--json", stdout=StringIO(), stderr=StringIO())


def test_closing_tahap_1_with_approved_recipients_in_no_batch_asks_again_on_the_web(
    operator, pusdatin, school
):  # type: ignore[no-untyped-def]
    tahap_1 = make_period("T1", "2020", date(2020, 9, 1))
    aktif(school, 3)
    approve_all(operator, pusdatin, school, tahap_1)  # approved after the last hand-over
    make_period("T2", "2020", date(2020, 10, 1), is_open=False)
    web = _login(pusdatin)

    asked = web.post("/pusdatin/periode/T2/buka/").content.decode()
    still = dict(Period.objects.values_list("code", "is_open"))
    done = web.post("/pusdatin/periode/T2/buka/", {"lanjut": "1"}, follow=True).content.decode()

    assert (
        "3 penerima tercakup SPTJM yang disetujui di periode T1 belum masuk batch penyaluran. Periode "
        'yang ditutup tidak disalurkan lagi: jalankan dulu "Buat batch penyaluran" untuk periode '
        "itu bila mereka harus menerima kuotanya."
    ) in asked
    assert "SPTJM yang dicetak, diunggah atau dikembalikan" not in asked  # none is live
    assert still == {"T1": True, "T2": False}
    assert dict(Period.objects.values_list("code", "is_open")) == {"T1": False, "T2": True}
    assert (
        "3 penerima yang tercakup SPTJM yang disetujui tidak mendapat penyaluran periode yang ditutup: "
        "periode itu tidak disalurkan lagi."
    ) in done


def test_closing_tahap_1_after_its_disbursement_run_asks_nothing(operator, pusdatin, school):  # type: ignore[no-untyped-def]
    tahap_1 = make_period("T1", "2020", date(2020, 9, 1))
    aktif(school, 3)
    approve_all(operator, pusdatin, school, tahap_1)
    jobs.run(actions.request_disbursement(actor=pusdatin, period_code="T1", enqueue=False).pk)

    response = _login(pusdatin).post("/pusdatin/periode/T1/tutup/")

    assert response.status_code == 302
    assert Period.objects.get(code="T1").is_open is False


def test_period_close_without_yes_is_refused_while_approved_recipients_are_in_no_batch(
    operator, pusdatin, school
):  # type: ignore[no-untyped-def]
    tahap_1 = make_period("T1", "2020", date(2020, 9, 1))
    aktif(school, 2)
    approve_all(operator, pusdatin, school, tahap_1)
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("period", "close", "T1", "--json", stdout=out, stderr=StringIO())
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    closed = StringIO()
    call_command("period", "close", "T1", "--yes", "--json", stdout=closed)

    assert refused.value.returncode == 2
    assert line == {
        "state": "REFUSED",
        "error_code": "KONFIRMASI_DIPERLUKAN",
        "error": "KONFIRMASI_DIPERLUKAN",
        "message": "2 recipients covered by an approved SPTJM of T1 are in no disbursement batch yet, and a "
        "closed period is not disbursed: run `verval disburse --period T1` first if they are to receive "
        "its quota. Run again with --yes to close it anyway; nothing was changed.",
        "period": "T1",
        "not_disbursed": 2,
    }
    assert (json.loads(closed.getvalue())["not_disbursed"], Period.objects.get(code="T1").is_open) == (
        2,
        False,
    )
