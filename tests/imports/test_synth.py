"""The synthetic cutoff: SPEC §7 columns, deterministic for a seed, realistic mix."""

from __future__ import annotations

import csv
import re

import pytest
from django.core.management import call_command

from verval.imports.synth import HEADER, write_cutoff
from verval.phones import check_series


def test_same_seed_gives_a_byte_identical_file_and_another_seed_does_not(tmp_path):  # type: ignore[no-untyped-def]
    write_cutoff(tmp_path / "a.csv", 5000, 300, seed=11)
    write_cutoff(tmp_path / "b.csv", 5000, 300, seed=11)
    write_cutoff(tmp_path / "c.csv", 5000, 300, seed=12)
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes()
    assert a != (tmp_path / "c.csv").read_bytes()


def test_columns_counts_and_formats(tmp_path):  # type: ignore[no-untyped-def]
    info = write_cutoff(tmp_path / "a.csv", 4000, 250, seed=2, regencies=2, schools=20)
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == HEADER
    assert info == {"rows": 4250, "students": 4000, "teachers": 250, "schools": 20}
    assert sum(r["jenis"] == "PD" for r in rows) == 4000
    assert sum(r["jenis"] == "PTK" for r in rows) == 250
    schools = {r["npsn"]: (r["bentuk_pendidikan"], r["kode_wilayah"]) for r in rows}
    assert len(schools) == 20 and all(len(n) == 8 for n in schools)
    assert len({k[:4] for _, k in schools.values()}) <= 2
    assert len({r["id"] for r in rows}) == 4250
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid4.match(r["id"]) for r in rows)
    assert all(
        re.fullmatch(r"\d{10}", r["nisn"]) for r in rows if r["jenis"] == "PD" and r["tingkat_pendidikan"]
    )
    assert all(re.fullmatch(r"\d{16}", r["nik"]) for r in rows if r["nik"])
    assert {r["status_sekolah"] for r in rows} <= {"N", "S"}


def test_numbers_are_typed_like_people_type_them(tmp_path):  # type: ignore[no-untyped-def]
    write_cutoff(tmp_path / "a.csv", 40000, 2000, seed=4)
    with open(tmp_path / "a.csv", encoding="utf-8", newline="") as fh:
        phones = [r["nomor_telepon_seluler"] for r in csv.DictReader(fh)]
    verdicts = check_series(phones)
    valid = verdicts.filter(verdicts["valid"])
    share = valid["operator"].value_counts(normalize=True)
    shares = dict(zip(share["operator"].to_list(), share["proportion"].to_list(), strict=True))
    assert (
        0.55 < shares["telkomsel"] < 0.65
        and 0.14 < shares["indosat"] < 0.20
        and 0.01 < shares["smartfren"] < 0.03
    )
    assert 0.75 < len(valid) / len(phones) < 0.9
    reasons = set(verdicts["reason"].drop_nulls().to_list())
    assert {"KOSONG", "TELEPON_RUMAH", "NOTASI_ILMIAH", "DUA_NOMOR", "NOMOR_CONTOH"} <= reasons
    assert any(p.startswith("+62") for p in phones) and any("-" in p for p in phones)
    counts = valid["e164"].value_counts()
    assert counts["count"].max() > 3  # shared numbers exist (siblings, whole classes)


@pytest.mark.django_db
def test_synth_command_writes_xlsx(tmp_path, capsys):  # type: ignore[no-untyped-def]
    call_command(
        "synth",
        "--students",
        "100",
        "--teachers",
        "10",
        "--seed",
        "3",
        "--out",
        str(tmp_path / "a.xlsx"),
        "--schools",
        "2",
    )
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(tmp_path / "a.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[0] == HEADER and len(rows) == 111
    assert "110 rows" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--students", "-5"], "--students must be a positive number"),
        (["--students", "0", "--teachers", "0"], "--students or --teachers must be more than 0"),
        (["--students", "5", "--schools", "0"], "--schools must be a positive number"),
        (["--students", "5", "--out", "/nonexistent/x.csv"], "not a file in an existing folder"),
        (["--students", "5", "--format", "xlsx"], "--format xlsx does not match the name c.csv"),
    ],
)
def test_synth_refuses_arguments_it_cannot_honour_and_writes_nothing(tmp_path, args, message):  # type: ignore[no-untyped-def]
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = ["--out", str(tmp_path / "c.csv")] if "--out" not in args else []
    with pytest.raises(CommandError, match=message) as err:
        call_command("synth", *args, *out)
    assert err.value.returncode == 2
    assert list(tmp_path.iterdir()) == []
