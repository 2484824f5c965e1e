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


def test_the_page_reads_the_recipients_of_many_shared_numbers_in_the_same_number_of_queries(
    client, school, operator, pusdatin, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    # 30 numbers, each shared by 4 recipients (over the limit of 3), and one shared by 60: names
    # and counts per number.
    for k in range(30):
        make_recipients(
            school, 4, start=100 + 4 * k, phone_raw=f"0812999{k:05d}", phone_e164=f"+62812999{k:05d}"
        )
    make_recipients(school, 60, start=1000, **SHARED)
    validate_pending(actor=pusdatin)
    client.force_login(pusdatin)

    with django_assert_max_num_queries(12):
        html = client.get("/nomor-bersama/").content.decode()

    assert html.count("<li>Siswa ") == 30 * 4 + 50
    assert html.count('<li class="muted">dan 10 penerima lainnya</li>') == 1
