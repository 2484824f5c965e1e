from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from tests.sptjm.conftest import aktif, make_period
from verval.core import files
from verval.core.models import AuditEvent
from verval.registry.models import Recipient
from verval.sptjm import actions, document
from verval.sptjm.models import Sptjm, SptjmItem
from verval.sptjm.reasons import ActionRefused


def test_print_lists_uncovered_aktif_recipients_and_locks_them(operator, school, period):
    listed = aktif(school, 3)
    aktif(school, 1, category="PTK", kind="PTK", nisn="", nik="3201010101010001", grade=None)
    aktif(school, 1, status="RESIDU")
    aktif(school, 1, active=False)

    sptjm, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    assert created is True
    assert sptjm.status == "DICETAK"
    assert sptjm.number == f"SPTJM/{period.code}/{school.npsn}/1"
    assert sptjm.rows == 4
    assert sptjm.total_gb == Decimal("147")  # 3 x 35 + 42
    assert SptjmItem.objects.filter(sptjm=sptjm).count() == 4
    assert Recipient.objects.filter(locked=True).count() == 4
    assert set(
        SptjmItem.objects.filter(sptjm=sptjm, category="DIKDASMEN").values_list("recipient_id", flat=True)
    ) == {r.pk for r in listed}
    pdf = files.absolute(sptjm.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert files.sha256_file(files.absolute(sptjm.pdf_path)) == sptjm.pdf_sha256
    assert AuditEvent.objects.filter(action="print_sptjm", object_id=str(sptjm.pk)).count() == 1


def test_pdf_qr_carries_number_page_of_pages_and_content_hash(operator, school, period):
    aktif(school, 2)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    codes = list(document.read_qr_codes(files.absolute(sptjm.pdf_path), "pdf"))

    sha = sptjm.content_sha256.upper()
    # one per page: statement and list (decision 0084: the page and the page count)
    assert codes == [
        f"VERVAL-SPTJM|2|{sptjm.number}|1|2|{sha}",
        f"VERVAL-SPTJM|2|{sptjm.number}|2|2|{sha}",
    ]


def test_printing_again_returns_the_same_live_document(operator, school, period):
    aktif(school, 2)
    first, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    aktif(school, 1)

    again, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    assert created is False
    assert again.pk == first.pk
    assert Sptjm.objects.count() == 1
    assert again.rows == 2


def test_void_unlocks_and_next_print_gets_a_new_sequence(operator, school, period):
    aktif(school, 2)
    first, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)

    voided = actions.void_sptjm(actor=operator, sptjm_id=first.pk, version=first.version)

    assert voided.status == "DIBATALKAN"
    assert Recipient.objects.filter(locked=True).count() == 0
    second, created = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert created is True
    assert second.number.endswith("/2")
    assert second.rows == 2


def test_print_refuses_when_nothing_to_list(operator, school, period):
    with pytest.raises(ActionRefused) as exc:
        actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert exc.value.code == "TIDAK_ADA_DATA"


def test_print_refuses_a_closed_period(operator, school, period):
    aktif(school, 1)
    period.is_open = False
    period.save()
    with pytest.raises(ActionRefused) as exc:
        actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    assert exc.value.code == "PERIODE_TIDAK_DIBUKA"


@pytest.mark.parametrize("who", ["other_operator", "dinas_kab", "pusdatin", "provider_user"])
def test_only_the_schools_operator_prints(request, who, school, period):
    aktif(school, 1)
    with pytest.raises(PermissionDenied):
        actions.print_sptjm(actor=request.getfixturevalue(who), npsn=school.npsn, period_code=period.code)
    assert Sptjm.objects.count() == 0


def test_other_operator_cannot_void(operator, other_operator, school, period):
    aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    with pytest.raises(PermissionDenied):
        actions.void_sptjm(actor=other_operator, sptjm_id=sptjm.pk)
    assert Sptjm.objects.get().status == "DICETAK"


def test_void_with_stale_version_is_refused(operator, school, period):
    aktif(school, 1)
    sptjm, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    with pytest.raises(ActionRefused) as exc:
        actions.void_sptjm(actor=operator, sptjm_id=sptjm.pk, version=sptjm.version + 5)
    assert exc.value.code == "VERSI_BERUBAH"


def test_2021_only_new_or_changed_numbers_need_an_sptjm(operator, pusdatin, school, period):
    kept, changed = aktif(school, 2)
    first, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    Sptjm.objects.filter(pk=first.pk).update(status="DIUNGGAH")
    actions.approve_sptjm(actor=pusdatin, sptjm_id=first.pk)
    new = aktif(school, 1)[0]
    changed.phone_e164 = "+6281299990000"
    changed.save()
    p2021 = make_period("2021-03", "2021", __import__("datetime").date(2021, 3, 1))

    doc, _ = actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=p2021.code)

    listed = set(doc.items.values_list("recipient_id", flat=True))
    assert listed == {changed.pk, new.pk}
    assert kept.pk not in listed
    assert doc.items.get(recipient=new).package_gb == Decimal("10")


@pytest.mark.parametrize(
    ("value", "file", "printed", "page_id", "page_en"),
    [
        ("14203", "14203", "14.203", "14.203", "14,203"),
        ("7.50", "7.5", "7,5", "7,5", "7.5"),
        ("1234567.25", "1234567.25", "1.234.567,25", "1.234.567,25", "1,234,567.25"),
        ("35", "35", "35", "35", "35"),
    ],
)
def test_gb_is_canonical_in_files_and_grouped_for_readers(value, file, printed, page_id, page_en):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from django.utils import translation

    from verval.sptjm.document import gb, gb_id
    from verval.sptjm.templatetags.sptjm_tags import gb as gb_filter

    assert (gb(Decimal(value)), gb_id(Decimal(value))) == (file, printed)
    with translation.override("id"):
        assert gb_filter(Decimal(value)) == page_id
    with translation.override("en"):
        assert gb_filter(Decimal(value)) == page_en
