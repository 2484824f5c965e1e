"""The reconciliation report as people open it (decision 0059): the CSV starts with a UTF-8 byte
order mark, the Excel twin keeps the counts as numbers, both audited; Pusdatin's alone."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from django.core.management import call_command
from openpyxl import load_workbook

from tests.factories import RecipientFactory
from tests.sptjm.conftest import approve_all
from verval.core.models import AuditEvent

BOM = b"\xef\xbb\xbf"


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]


def test_reconciliation_csv_starts_with_a_bom_and_its_excel_keeps_counts_as_numbers(
    client, operator, pusdatin, school, period
):  # type: ignore[no-untyped-def]
    RecipientFactory(school=school, status="AKTIF", needs_validation=False)
    approve_all(operator, pusdatin, school, period)
    call_command("disburse", "--period", period.code)
    client.force_login(pusdatin)
    body = client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.csv").content
    assert body.startswith(BOM + b"provider,sent,berhasil,gagal,missing,excluded,")
    csv_rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

    ws = _sheet(client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.xlsx"))
    xlsx_rows = list(ws.iter_rows(values_only=True))
    assert [list(xlsx_rows[0])] + [[r[0], *r[1:6]] for r in xlsx_rows[1:]] == [csv_rows[0]] + [
        [r[0], *map(int, r[1:6])] for r in csv_rows[1:]
    ]
    assert xlsx_rows[1][:6] == ("telkomsel", 1, 0, 0, 1, 0)
    events = AuditEvent.objects.filter(action="download_reconciliation").order_by("id")
    assert [e.note for e in events] == ["format=csv", "format=xlsx"]


def test_dinas_cannot_download_the_reconciliation_as_excel(client, dinas_kab, period):  # type: ignore[no-untyped-def]
    client.force_login(dinas_kab)
    assert client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.xlsx").status_code == 403


def _documented_columns() -> list[str]:
    """The first cell of each row of docs/sptjm.md's table under "The reconciliation file"."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "sptjm.md").read_text(encoding="utf-8")
    section = text.split("### The reconciliation file", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_every_column_of_the_reconciliation_file_is_documented_in_its_order(client, pusdatin, period):  # type: ignore[no-untyped-def]
    # The names are a published format that scripts parse (decision 0075): a column added,
    # renamed or moved must be written in docs/sptjm.md, in both languages, the same day.
    client.force_login(pusdatin)

    body = client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.csv").content.decode("utf-8-sig")
    ws = _sheet(client.get(f"/pusdatin/penyaluran/{period.code}/rekonsiliasi.xlsx"))

    header = body.splitlines()[0].split(",")
    assert _documented_columns() == header
    assert list(next(ws.iter_rows(values_only=True))) == header
    assert header == [
        "provider",
        "sent",
        "berhasil",
        "gagal",
        "missing",
        "excluded",
        "gb_sent",
        "gb_berhasil",
        "gb_reported_rows",
        "recap_sent",
        "recap_injected",
        "recap_failed",
        "recap_gb",
        "flags",
    ]
