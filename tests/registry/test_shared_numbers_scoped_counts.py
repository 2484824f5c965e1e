"""/nomor-bersama/ counts, for a Dinas and an operator, the recipients and schools of their own
scope (the people the page names), and says without a count or a name when the number is also
used outside it; Pusdatin reads the flag's national figures (decision 0096)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import SchoolFactory, UserFactory
from tests.registry.helpers import make_recipients
from verval.reference.models import Region
from verval.registry.services import recount_shared_numbers

pytestmark = pytest.mark.django_db

SHARED = {"phone_raw": "081399990000", "phone_e164": "+6281399990000"}
MASKED = "0813****0000"


def _row(user) -> list[str]:  # type: ignore[no-untyped-def]
    """The cells of the number's row, tags stripped: number, recipients, schools, flag, names."""
    client = Client()
    client.force_login(user)
    html = client.get("/nomor-bersama/").content.decode()
    row = next(r for r in html.split("<tr>") if MASKED in r or "0813-9999-0000" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


@pytest.fixture
def spread(school, other_school):  # type: ignore[no-untyped-def]
    """8 recipients in `school` (Kab. 020500), 5 in `other_school` (Kab. 020600, the same
    province), 4 in a school of another province: 17 in the nation, 3 schools."""
    district = Region.objects.filter(level=Region.Level.DISTRICT, code__startswith="03").first()
    far = SchoolFactory(
        region_id=district.code, regency_id=district.regency_code, province_id=district.province_code
    )
    make_recipients(school, 8, **SHARED)
    make_recipients(other_school, 5, start=100, **SHARED)
    make_recipients(far, 4, start=200, **SHARED)
    recount_shared_numbers()


def test_a_kabupaten_dinas_counts_its_own_recipients_and_is_told_the_number_is_used_elsewhere(
    spread, dinas_kab
):  # type: ignore[no-untyped-def]
    number, recipients, schools, flag, names = _row(dinas_kab)

    assert (number, recipients, schools) == (MASKED, "8", "1")
    assert flag == "Tidak rasional Juga dipakai di luar wilayah Anda"
    assert names.count("Siswa 0000") == 8 and "Siswa 001" not in names and "Siswa 002" not in names


def test_a_province_dinas_counts_the_recipients_and_schools_of_its_province(spread, dinas_prov):  # type: ignore[no-untyped-def]
    number, recipients, schools, flag, names = _row(dinas_prov)

    assert (recipients, schools, flag) == ("13", "2", "Tidak rasional Juga dipakai di luar wilayah Anda")
    assert names.count("Siswa 0000") == 8 and names.count("Siswa 0010") == 5 and "Siswa 002" not in names


def test_pusdatin_reads_the_national_figures_without_the_note(spread, pusdatin):  # type: ignore[no-untyped-def]
    number, recipients, schools, flag, names = _row(pusdatin)

    assert (recipients, schools, flag) == ("17", "3", "Tidak rasional")


def test_an_operator_counts_its_schools_recipients_and_is_told_other_schools_use_the_number(spread, operator):  # type: ignore[no-untyped-def]
    number, recipients, schools, flag, names = _row(operator)

    assert (number, recipients, schools) == ("0813-9999-0000", "8", "1")
    assert flag == "Tidak rasional Juga dipakai di sekolah lain"


def test_a_number_used_only_inside_the_region_carries_no_note(school, dinas_kab):  # type: ignore[no-untyped-def]
    make_recipients(school, 11, **SHARED)
    recount_shared_numbers()

    number, recipients, schools, flag, names = _row(dinas_kab)

    assert (recipients, schools, flag) == ("11", "1", "Tidak rasional")


def test_the_page_says_its_counts_are_the_regions(spread, dinas_kab):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(dinas_kab)
    html = client.get("/nomor-bersama/").content.decode()

    assert '<th class="num">Penerima di wilayah Anda</th><th class="num">Sekolah di wilayah Anda</th>' in html
    assert "17" not in re.sub(r"<[^>]+>", " ", html).split("Nomor dipakai bersama", 2)[-1].split("Siswa")[0]


def test_a_dinas_of_another_province_sees_nothing_of_the_number(spread):  # type: ignore[no-untyped-def]
    user = UserFactory(role="DINAS_PROV", region_id="050000", username="jatim")
    client = Client()
    client.force_login(user)

    html = client.get("/nomor-bersama/").content.decode()

    assert MASKED not in html and "Tidak ada nomor yang dipakai melebihi batas." in html
