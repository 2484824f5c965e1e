"""Indonesia's three time zones, which province lies in which, and the programme's own clock.

Source of the mapping (`data/zona_waktu_provinsi.csv`): Keputusan Presiden Nomor 41 Tahun 1987
tentang Pembagian Wilayah Republik Indonesia Menjadi 3 (Tiga) Wilayah Waktu — WIB (UTC+7): Sumatra,
Java, Madura, Kalimantan Barat and Tengah; WITA (UTC+8): Bali, NTB, NTT, Kalimantan Selatan and
Timur, Sulawesi; WIT (UTC+9): Maluku and Papua (then Irian Jaya). Provinces created since keep the
zone of the territory they were split from (Kalimantan Utara from Kalimantan Timur: WITA; Gorontalo,
Sulawesi Barat: WITA; Banten, Bangka Belitung, Kepulauan Riau: WIB; Maluku Utara, Papua Barat: WIT).

The zone a person reads times in is for display only. Deadlines and "today" of the programme are
counted in `settings.TIME_ZONE` (Asia/Jakarta, WIB) whatever zone a request has activated
(docs/decisions/0037-times-in-the-readers-zone.md), so the functions here that answer those take the
default time zone explicitly instead of the active one.
"""

from __future__ import annotations

import csv
import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone

DATA = Path(__file__).resolve().parent / "data" / "zona_waktu_provinsi.csv"

WIB, WITA, WIT = "WIB", "WITA", "WIT"
ZONES: dict[str, ZoneInfo] = {
    WIB: ZoneInfo("Asia/Jakarta"),
    WITA: ZoneInfo("Asia/Makassar"),
    WIT: ZoneInfo("Asia/Jayapura"),
}
CHOICES = [(WIB, "WIB (UTC+7)"), (WITA, "WITA (UTC+8)"), (WIT, "WIT (UTC+9)")]
_LABELS = {tz.key: code for code, tz in ZONES.items()}


@cache
def province_zones() -> dict[str, str]:
    """Dapodik province code (`PP0000`) → zone code."""
    with open(DATA, encoding="utf-8", newline="") as fh:
        return {r["kode_wilayah_dapodik"]: r["zona_waktu"] for r in csv.DictReader(fh)}


def zone_of_region(code: str | None) -> str:
    """The zone of a region (any level: the province is its first two digits). A code the table
    does not know reads WIB, the programme's zone, rather than failing a page."""
    if not code:
        return WIB
    return province_zones().get(code[:2] + "0000", WIB)


def label(tz: datetime.tzinfo) -> str:
    """WIB / WITA / WIT for our three zones; the zone's own abbreviation for any other."""
    key = getattr(tz, "key", None)
    if key in _LABELS:
        return _LABELS[key]
    return str(tz.tzname(None) or key or tz)


def programme_tz() -> datetime.tzinfo:
    return timezone.get_default_timezone()


def programme_today() -> datetime.date:
    """Today in WIB: the day deadlines and daily figures are counted in, not the reader's day."""
    return timezone.localdate(timezone=programme_tz())


def programme_date(at: datetime.datetime) -> datetime.date:
    return timezone.localdate(at, programme_tz())


def file_day() -> str:
    """Today's WIB date as a file name carries it (`20261201`): the name of a download, an export
    or a dump says the programme's day, whoever downloads it and wherever the server's clock is
    (decision 0049), as the deadlines it is read against do."""
    return f"{programme_today():%Y%m%d}"


def deadline_end(day: datetime.date) -> datetime.datetime:
    """The instant a date-only deadline passes: the next day's 00:00 WIB (the deadline day is
    inclusive, decision 0018)."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=programme_tz()
    )
