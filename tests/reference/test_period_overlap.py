"""Periods do not overlap (decision 0026): "the previous period" of the low-usage rule (SPEC §6)
is the one that started before, so an edit that moved a start into another period's days would
make the rule read the wrong period."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.sptjm.conftest import make_period
from verval.core.models import AuditEvent
from verval.reference import actions
from verval.reference.models import Period, QuotaPolicy

OVERLAP = (
    "Tanggal periode bertumpang tindih dengan periode 2020-09A (1 Sep 2020 sampai 28 Sep 2020). "
    "Periode tidak boleh berbagi hari: mulailah sesudah periode sebelumnya selesai, atau "
    "selesaikan sebelum periode berikutnya dimulai."
)


@pytest.fixture
def september(db):  # type: ignore[no-untyped-def]
    return make_period("2020-09A", "2020", date(2020, 9, 1))  # 1-28 September


def _create(actor, code: str, starts_on: date, ends_on: date) -> Period:  # type: ignore[no-untyped-def]
    return actions.save_period(
        actor=actor,
        code=code,
        name=f"Tahap {code}",
        policy=QuotaPolicy.objects.get(code="2020"),
        starts_on=starts_on,
        ends_on=ends_on,
        create=True,
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (date(2020, 9, 20), date(2020, 10, 20)),  # starts inside the previous period
        (date(2020, 8, 1), date(2020, 9, 1)),  # ends on its first day
        (date(2020, 9, 28), date(2020, 10, 28)),  # starts on its last day
        (date(2020, 8, 1), date(2020, 10, 31)),  # contains it
        (date(2020, 9, 5), date(2020, 9, 10)),  # inside it
    ],
)
def test_a_new_period_sharing_a_day_with_another_is_refused(pusdatin, september, starts_on, ends_on):
    with pytest.raises(ValidationError) as refused:
        _create(pusdatin, "2020-10A", starts_on, ends_on)

    assert (refused.value.code, refused.value.messages) == ("overlap", [OVERLAP])
    assert list(Period.objects.values_list("code", flat=True)) == ["2020-09A"]
    assert not AuditEvent.objects.filter(action="create_period").exists()


def test_a_period_starting_the_day_after_the_previous_one_ends_is_accepted(pusdatin, september):
    saved = _create(pusdatin, "2020-10A", date(2020, 9, 29), date(2020, 10, 28))

    assert list(Period.objects.order_by("starts_on").values_list("code", flat=True)) == [
        "2020-09A",
        "2020-10A",
    ]
    assert saved.starts_on == date(2020, 9, 29)


def test_the_period_edit_form_refuses_a_start_inside_the_previous_period(pusdatin, september):
    october = make_period("2020-10A", "2020", date(2020, 10, 1), is_open=False)
    client = Client()
    client.force_login(pusdatin)

    response = client.post(
        f"/pusdatin/periode/{october.code}/ubah/",
        {
            "name": october.name,
            "policy": "2020",
            "starts_on": "2020-09-15",
            "ends_on": "2020-10-28",
            "sptjm_print_deadline": "2020-10-20",
            "sptjm_upload_deadline": "2020-10-25",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OVERLAP]
    assert Period.objects.get(code="2020-10A").starts_on == date(2020, 10, 1)
    assert not AuditEvent.objects.filter(action="update_period").exists()


def test_a_period_edited_within_its_own_days_is_not_an_overlap_with_itself(pusdatin, september):
    saved = actions.save_period(
        actor=pusdatin,
        code="2020-09A",
        name="September",
        policy=september.policy,
        starts_on=date(2020, 9, 2),
        ends_on=date(2020, 9, 27),
    )

    assert (saved.starts_on, saved.ends_on) == (date(2020, 9, 2), date(2020, 9, 27))


def test_overlapping_periods_stored_before_the_rule_are_listed_in_pairs(september):
    # Written around save_period, as periods stored before decision 0026 were.
    make_period("2020-10A", "2020", date(2020, 9, 20), ends_on=date(2020, 10, 17))
    make_period("2020-10B", "2020", date(2020, 10, 17))  # shares 17 October with 2020-10A
    make_period("2020-12A", "2020", date(2020, 12, 1))  # alone

    from verval.reference.selectors import overlapping_periods

    assert [(o.first.code, o.second.code) for o in overlapping_periods()] == [
        ("2020-09A", "2020-10A"),
        ("2020-10A", "2020-10B"),
    ]


def test_pusdatin_home_warns_of_overlapping_periods_with_a_link_to_edit(pusdatin, september):
    make_period("2020-10A", "2020", date(2020, 9, 20), ends_on=date(2020, 10, 17))
    client = Client()
    client.force_login(pusdatin)

    page = client.get("/pusdatin/").content.decode()

    assert page.count('class="warn period-overlap"') == 1
    assert (
        "Periode 2020-09A (1 Sep 2020 – 28 Sep 2020) dan 2020-10A (20 Sep 2020 – "
        "17 Okt 2020) berbagi hari." in page
    )
    assert '<a href="/pusdatin/periode/2020-10A/ubah/">Ubah 2020-10A</a>' in page


def test_pusdatin_home_has_no_overlap_warning_for_periods_that_follow_each_other(pusdatin, september):
    make_period("2020-10A", "2020", date(2020, 9, 29), ends_on=date(2020, 10, 27))
    client = Client()
    client.force_login(pusdatin)

    assert "period-overlap" not in client.get("/pusdatin/").content.decode()


def test_overlap_warning_links_to_the_period_still_editable_and_to_none_when_both_are_closed(
    pusdatin, september
):  # type: ignore[no-untyped-def]
    # Stored overlapping before decision 0026; the later one ran and was closed (decision 0078).
    make_period("2020-10A", "2020", date(2020, 9, 20), ends_on=date(2020, 10, 17))
    actions.close_period(actor=None, code="2020-10A")
    client = Client()
    client.force_login(pusdatin)

    first = client.get("/pusdatin/").content.decode()
    actions.close_period(actor=None, code="2020-09A")
    both = client.get("/pusdatin/").content.decode()

    assert '<a href="/pusdatin/periode/2020-09A/ubah/">Ubah 2020-09A</a></p>' in first
    assert "Ubah 2020-10A" not in first
    assert "salah satunya.</p>" in both
    assert '/ubah/">Ubah 2020-' not in both
