"""Loads the shipped reference data (regions with Kemendagri codes and population, quota policies)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connections, router, transaction

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def region_rows() -> list[dict[str, Any]]:
    """Dapodik regions of Indonesia (the 'Luar Negeri' branch 35xxxx is left out)."""
    prov_map = {
        r["kode_wilayah_dapodik"]: r["kode_kemendagri"] for r in _rows("dapodik_to_kemendagri_provinsi.csv")
    }
    kab_map = {
        r["kode_wilayah_dapodik"]: r["kode_kemendagri"] for r in _rows("dapodik_to_kemendagri_kabkota.csv")
    }
    population = {r["kode"]: int(r["total"]) for r in _rows("penduduk.csv") if r["total"].isdigit()}
    out = []
    for r in _rows("kode_wilayah_dapodik.csv"):
        code = r["kode_wilayah"].strip()
        if code.startswith("35"):
            continue
        level = int(r["id_level_wilayah"])
        kemendagri = prov_map.get(code, "") if level == 1 else kab_map.get(code, "") if level == 2 else ""
        parent = r["mst_kode_wilayah"].strip()
        out.append(
            {
                "code": code,
                "name": r["nama"].strip(),
                "level": level,
                "parent_id": None if level == 1 else parent,
                "kemendagri_code": kemendagri,
                "population": population.get(kemendagri) if kemendagri else None,
            }
        )
    return out


QUOTA_POLICIES: list[dict[str, Any]] = [
    {
        "code": "2020",
        "name": "Bantuan kuota data internet 2020 (kuota umum + kuota belajar)",
        "max_packages_per_number": 3,
        "min_previous_usage_gb": None,
        "sptjm_only_changed": False,
        "rules": {"PAUD": ("5", "15"), "DIKDASMEN": ("5", "30"), "PTK": ("5", "37")},
    },
    {
        "code": "2021",
        "name": "Bantuan kuota data internet 2021 (kuota umum)",
        "max_packages_per_number": 3,
        "min_previous_usage_gb": Decimal("1"),
        "sptjm_only_changed": True,
        "rules": {"PAUD": ("7", "0"), "DIKDASMEN": ("10", "0"), "PTK": ("12", "0")},
    },
]


def load(apps: Any) -> None:
    Region = apps.get_model("reference", "Region")
    QuotaPolicy = apps.get_model("reference", "QuotaPolicy")
    QuotaRule = apps.get_model("reference", "QuotaRule")
    rows = sorted(region_rows(), key=lambda r: (r["level"], r["code"]))
    existing = set(Region.objects.values_list("code", flat=True))
    _insert(Region, [r for r in rows if r["code"] not in existing])
    for p in QUOTA_POLICIES:
        policy, _ = QuotaPolicy.objects.update_or_create(
            code=p["code"],
            defaults={
                k: p[k]
                for k in ("name", "max_packages_per_number", "min_previous_usage_gb", "sptjm_only_changed")
            },
        )
        for category, (general, learning) in p["rules"].items():
            QuotaRule.objects.update_or_create(
                policy=policy,
                category=category,
                defaults={"general_gb": Decimal(general), "learning_gb": Decimal(learning)},
            )


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """The rows bulk_create wrote, in the same order and database, as one executemany of plain
    values: bulk_create compiled each of the 7,600 regions' six values through the ORM (0.45 s of
    CPU), and the test suite pays it again after every transactional test's flush (decision 0132).
    The values are already what the columns store (str, int, None)."""
    if not rows:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    names = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    placeholders = ", ".join(["%s"] * len(names))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, [[r[n] for n in names] for r in rows])
