"""Decision 0055: a deadline out of place in the period form is named under its own field, not
at the top of the form where three dates were left to guess from."""

from __future__ import annotations

import pytest
from django.urls import reverse

from verval.reference.models import Period

pytestmark = pytest.mark.django_db

DATA = {
    "code": "2020-10-T1",
    "name": "Oktober 2020 tahap 1",
    "policy": "2020",
    "starts_on": "2020-10-01",
    "ends_on": "2020-10-31",
    "sptjm_print_deadline": "2020-10-10",
    "sptjm_upload_deadline": "2020-10-15",
    "handover_on": "2020-10-20",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sptjm_print_deadline", "2020-11-15", "Tenggat tidak boleh sesudah tanggal selesai periode."),
        ("sptjm_upload_deadline", "2020-09-30", "Tenggat tidak boleh sebelum tanggal mulai periode."),
        (
            "handover_on",
            "2020-10-12",
            "Urutan jadwal: batas cetak SPTJM, lalu batas unggah SPTJM, lalu serah ke provider; "
            "tanggal yang lebih belakang tidak boleh lebih awal.",
        ),
    ],
)
def test_deadline_out_of_place_is_named_under_its_field(client, pusdatin, field, value, message):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    response = client.post(reverse("core:period_create"), {**DATA, field: value})
    form = response.context["form"]
    assert (form.non_field_errors(), form.errors) == ([], {field: [message]})
    html = response.content.decode()
    assert "Periksa isian yang ditandai di bawah." in html
    assert f'aria-invalid="true" aria-describedby="id_{field}_error"' in html
    assert not Period.objects.exists()


def test_overlapping_period_stays_a_message_of_the_whole_form(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    assert client.post(reverse("core:period_create"), DATA).status_code == 302
    response = client.post(reverse("core:period_create"), {**DATA, "code": "2020-10-T2"})
    form = response.context["form"]
    assert list(form.errors) == ["__all__"]
    assert form.non_field_errors()[0].startswith(
        "Tanggal periode bertumpang tindih dengan periode 2020-10-T1 "
    )


def test_an_end_before_the_start_is_named_under_the_end_date(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)
    response = client.post(reverse("core:period_create"), {**DATA, "ends_on": "2020-09-30"})
    form = response.context["form"]
    assert (form.non_field_errors(), form.errors) == (
        [],
        {"ends_on": ["Tanggal selesai harus sesudah tanggal mulai."]},
    )
    html = response.content.decode()
    assert "Periksa isian yang ditandai di bawah." in html
    assert 'aria-invalid="true" aria-describedby="id_ends_on_error"' in html
    # Nothing typed is lost.
    assert 'value="Oktober 2020 tahap 1"' in html and 'value="2020-10-15"' in html
    assert not Period.objects.exists()
