"""SPEC §3 end to end, through the public interfaces only: CLI (call_command), web (test Client
with a signed-in operator / Pusdatin) and the provider API (Bearer token).

cutoff import → verification → validation → dump → match results (API) → SPTJM print → scan
upload → approval → disbursement → injection results (API) → provider report (API) → reconciliation.

The operator account is created directly (registration and its Dinas approval are tested in
tests/accounts); everything after that goes through the product's interfaces.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory
from tests.sptjm.conftest import make_period, rasterise
from verval.registry.models import Recipient
from verval.sptjm.models import Disbursement, Sptjm

NPSN = "20199901"
HEADER = "jenis,id,nama,nisn,nik,tingkat_pendidikan,bentuk_pendidikan,npsn,nama_sekolah,kode_wilayah,nomor_telepon_seluler"


def _cutoff(path):  # type: ignore[no-untyped-def]
    rows = []
    numbers = [
        "081211110001",
        "+6281211110002",
        "0812-1111-0003",
        "0812 1111 0004",
        "6281211110005",
        "(0812) 1111.0006",  # telkomsel
        "0815-2222-0001",  # indosat
        "0813-3333-4444",
        "0813-3333-4444",
        "0813-3333-4444",
        "0813-3333-4444",  # one number, four children
        "021-5551234",  # landline
    ]
    for i, number in enumerate(numbers, start=1):
        rows.append(
            f"PD,{uuid.UUID(int=i)},Siswa Ke-{i},{3000000000 + i},,{(i % 6) + 1},SD,{NPSN},SD Negeri Uji Alur,020501,{number}"
        )
    rows.append(
        f"PTK,{uuid.UUID(int=101)},Guru Satu,,3201010101010001,,SD,{NPSN},SD Negeri Uji Alur,020501,0811-5555-0001"
    )
    rows.append(
        f"PTK,{uuid.UUID(int=102)},Guru Dua,,3201010101010002,,SD,{NPSN},SD Negeri Uji Alur,020501,0817-6666-0001"
    )
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _json_out(capsys) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _token(capsys, provider: str) -> Client:  # type: ignore[no-untyped-def]
    call_command("provider_token", "--provider", provider, "--json")
    return Client(HTTP_AUTHORIZATION=f"Bearer {_json_out(capsys)['token']}")


def _rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content)
    return list(csv.DictReader(io.StringIO(gzip.decompress(body).decode())))


# The cutoff import manages its own SQLite pragmas/transaction, so this test runs outside the
# per-test transaction (and restores the reference data afterwards).
@pytest.mark.django_db(transaction=True)
def test_the_twelve_steps(tmp_path, capsys):
    make_period("2020-09A", "2020", date(2020, 9, 1))
    pusdatin = UserFactory(role="PUSDATIN", username="pusdatin-alur")

    # 1. Cutoff import (CLI).
    call_command("import_dapodik", str(_cutoff(tmp_path / "cutoff.csv")), "--json")
    imported = _json_out(capsys)
    assert (imported["state"], imported["added"], imported["refused"]) == ("SUCCEEDED", 14, 0)
    operator = UserFactory(role="OPERATOR", school_id=NPSN, username="operator-alur")
    school_web, admin_web = Client(), Client()
    school_web.force_login(operator)
    admin_web.force_login(pusdatin)

    # 2. School verification (web): confirm every row; the landline cannot be confirmed before it is fixed.
    picks = [f"{r.pk}.{r.version}" for r in Recipient.objects.filter(school_id=NPSN)]
    assert school_web.post(f"/sekolah/{NPSN}/verifikasi/", {"pilih": picks}).status_code == 302
    assert Recipient.objects.filter(confirmed_at__isnull=False).count() == 13

    # 3. Validation (CLI).
    call_command("validate", "--json")
    validated = _json_out(capsys)
    assert (validated["awaiting_provider"], validated["invalid_format"]) == (13, 1)

    # 4. Dump files (CLI).
    call_command("dump", "--json")
    dumped = _json_out(capsys)
    assert sorted((b["provider"], b["rows"]) for b in dumped["batches"]) == [
        ("indosat", 1),
        ("telkomsel", 11),
        ("xl", 1),
    ]

    # 5.-6. Providers pull their dumps and answer through the API; XL's number is inactive → residue.
    clients = {p: _token(capsys, p) for p in ("telkomsel", "indosat", "xl")}
    for provider, api in clients.items():
        for batch in api.get("/api/v1/batches").json():
            dump = _rows(api.get(batch["file_url"]))
            status = "TIDAK_AKTIF" if provider == "xl" else "AKTIF"
            answer = "pd_id,no_ponsel,status\n" + "".join(
                f"{r['pd_id']},{r['no_ponsel']},{status}\n" for r in dump
            )
            response = api.post(
                f"/api/v1/batches/{batch['id']}/results", data=answer.encode(), content_type="text/csv"
            )
            assert response.status_code == 200, response.content
    assert Recipient.objects.filter(status="AKTIF").count() == 12
    assert Recipient.objects.filter(status="RESIDU", reason="TIDAK_AKTIF").count() == 1

    # 7.-8. The school sees what to print and prints its SPTJM (web); the records lock.
    page = school_web.get(f"/sekolah/{NPSN}/sptjm/").content.decode()
    assert "12 penerima aktif perlu dicantumkan" in page
    school_web.post(f"/sekolah/{NPSN}/sptjm/cetak/", {"periode": "2020-09A"})
    sptjm = Sptjm.objects.get()
    assert (sptjm.status, sptjm.rows, str(sptjm.total_gb)) == ("DICETAK", 12, "427.00")  # 11 x 35 + 42
    assert Recipient.objects.filter(locked=True).count() == 12
    pdf = b"".join(school_web.get(f"/sptjm/{sptjm.pk}/dokumen.pdf").streaming_content)

    # 9. Upload of the signed scan (a rasterised page as a scanner returns it).
    school_web.post(
        f"/sptjm/{sptjm.pk}/unggah/",
        {"pindaian": SimpleUploadedFile("scan.png", rasterise(pdf)), "version": sptjm.version},
    )
    sptjm.refresh_from_db()
    assert (sptjm.status, sptjm.qr_verdict) == ("DIUNGGAH", "QR_COCOK")

    # 10. Pusdatin reviews and approves (web), then creates the disbursement batches (CLI).
    assert sptjm.number in admin_web.get("/pusdatin/sptjm/").content.decode()
    admin_web.post(f"/pusdatin/sptjm/{sptjm.pk}/setujui/", {"version": sptjm.version})
    sptjm.refresh_from_db()
    assert sptjm.status == "DISETUJUI"
    assert Recipient.objects.filter(locked=True).count() == 0
    call_command("disburse", "--period", "2020-09A", "--json")
    disbursed = _json_out(capsys)
    assert (disbursed["scheduled"], disbursed["excluded"], disbursed["by_rule"]) == (
        11,
        1,
        {"MAKS_3_PAKET": 1},
    )
    assert sorted((b["provider"], b["rows"]) for b in disbursed["batches"]) == [
        ("indosat", 1),
        ("telkomsel", 10),
    ]

    # 11. Injection: Telkomsel fails one row, Indosat succeeds (API).
    failed_id = None
    for provider in ("telkomsel", "indosat"):
        api = clients[provider]
        (batch,) = api.get("/api/v1/disbursements/batches?period=2020-09A").json()
        rows = _rows(api.get(batch["file_url"]))
        lines = ["pd_id,no_ponsel,status,keterangan,kuota_gb,waktu"]
        # Injected after the batch was made (an injection time before it is refused).
        when = timezone.localtime().replace(microsecond=0).isoformat()
        for i, r in enumerate(rows):
            if provider == "telkomsel" and i == 0:
                failed_id = r["pd_id"]
                lines.append(f"{r['pd_id']},{r['no_ponsel']},GAGAL,Nomor sedang diblokir,,{when}")
            else:
                lines.append(f"{r['pd_id']},{r['no_ponsel']},BERHASIL,,{r['kuota_gb']},{when}")
        response = api.post(
            batch["results_url"], data=("\n".join(lines) + "\n").encode(), content_type="text/csv"
        )
        assert response.status_code == 200, response.content
    assert Disbursement.objects.filter(status="BERHASIL").count() == 10
    assert Disbursement.objects.get(status="GAGAL").recipient_id == uuid.UUID(failed_id)
    assert "Nomor sedang diblokir" in school_web.get(f"/sekolah/{NPSN}/sptjm/").content.decode()

    # 12. Provider report (API) and reconciliation (web, CSV export).
    telkomsel = clients["telkomsel"]
    berhasil = Disbursement.objects.filter(provider="telkomsel", status="BERHASIL")
    gb = sum(d.package_gb for d in berhasil)
    recap = telkomsel.put(
        "/api/v1/reports/2020-09A/recap",
        data=json.dumps({"sent": 10, "injected": 9, "failed": 1, "gb": str(gb)}),
        content_type="application/json",
    ).json()
    assert (recap["ok"], recap["sent"], recap["berhasil"], recap["gagal"]) == (True, 10, 9, 1)
    usage = "pd_id,no_ponsel,pemakaian_gb\n" + "".join(
        f"{d.recipient_id},{d.phone_e164[1:]},3.5\n" for d in berhasil
    )
    assert (
        telkomsel.post("/api/v1/reports/2020-09A/usage", data=usage.encode(), content_type="text/csv").json()[
            "counts"
        ]["added"]
        == 9
    )
    export = admin_web.get("/pusdatin/penyaluran/2020-09A/rekonsiliasi.csv").content.decode().splitlines()
    assert export[1].startswith("indosat,1,1,0,0,0,")
    assert export[1].endswith("REKAP_BELUM_ADA")
    assert export[2].startswith("telkomsel,10,9,1,0,1,")
    assert export[2].endswith(",10,9,1,322,")
