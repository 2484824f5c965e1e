"""The role DINAS_KAB is written "Admin Dinas Kabupaten/kota", as the region level it serves is
written "Kabupaten/kota" (decisions 0067 and 0075), on every page that names the role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_regency_dinas_sees_its_role_written_as_the_regency_level_is(client, dinas_kab):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)

    home = client.get(reverse("accounts:home")).content.decode()
    account = client.get("/akun/saya/").content.decode()

    assert re.search(r'<p class="muted">([^<·]*)', home).group(1).strip() == "Admin Dinas Kabupaten/kota"
    assert "<dt>Peran</dt><dd>Admin Dinas Kabupaten/kota</dd>" in account
    assert "Kabupaten/Kota" not in home + account


def test_pusdatin_chooses_the_regency_role_by_the_same_label(client, pusdatin):  # type: ignore[no-untyped-def]
    client.force_login(pusdatin)

    html = client.get("/pengguna/baru/").content.decode()

    options = re.findall(r'<option value="([A-Z_]+)"[^>]*>([^<]*)</option>', html)
    assert options == [
        ("DINAS_KAB", "Admin Dinas Kabupaten/kota"),
        ("DINAS_PROV", "Admin Dinas Provinsi"),
        ("PROVIDER", "Provider"),
        ("PUSDATIN", "Pusdatin"),
    ]
