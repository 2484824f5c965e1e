"""The scan's file field names its size and signature hint in its description (decision 0050)."""

from __future__ import annotations

import pytest

from tests.sptjm.conftest import aktif
from verval.sptjm import actions

pytestmark = pytest.mark.django_db


def test_scan_field_is_described_by_its_hint(client, operator, school, period):  # type: ignore[no-untyped-def]
    aktif(school, 2)
    actions.print_sptjm(actor=operator, npsn=school.npsn, period_code=period.code)
    client.force_login(operator)
    html = client.get(f"/sekolah/{school.npsn}/sptjm/").content.decode()
    assert (
        'id="pindaian" type="file" name="pindaian" accept="application/pdf,image/jpeg,image/png" required aria-describedby="pindaian-help"'
        in html
    )
    assert '<span class="helptext" id="pindaian-help">PDF, JPG atau PNG, paling besar ' in html
