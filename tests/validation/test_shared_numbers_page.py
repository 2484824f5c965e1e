"""The shared-number page names up to 50 recipients per number and counts the rest."""

from __future__ import annotations

import pytest

from tests.registry.helpers import make_recipients
from verval.registry.services import validate_pending

pytestmark = pytest.mark.django_db

SHARED = {"phone_raw": "081299990002", "phone_e164": "+6281299990002"}


def test_a_number_shared_by_110_recipients_names_50_and_counts_the_other_60(
    client, school, operator, pusdatin
):  # type: ignore[no-untyped-def]
    make_recipients(school, 110, **SHARED)
    validate_pending(actor=pusdatin)
    client.force_login(operator)
    html = client.get("/nomor-bersama/").content.decode()
    # The school's own operator reads each name as a link to its edit form (decision 0034).
    assert html.count('/ubah/">Siswa ') == 50
    assert '<li class="muted">dan 60 penerima lainnya</li>' in html


def test_a_number_shared_by_50_recipients_names_them_all_without_a_notice(client, school, operator, pusdatin):  # type: ignore[no-untyped-def]
    make_recipients(school, 50, **SHARED)
    validate_pending(actor=pusdatin)
    client.force_login(operator)
    html = client.get("/nomor-bersama/").content.decode()
    assert html.count('/ubah/">Siswa ') == 50 and "penerima lainnya" not in html
