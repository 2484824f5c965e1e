"""Provider kit, disbursement side (SPEC §3 steps 10-12): what a provider's engineer runs
against the API once Pusdatin has handed a period's approved recipients over. No Django.

- `pull_batches`: download this provider's disbursement batches (resuming, SHA-256 checked)
  into the workdir, where the provider's injection platform picks them up;
- `upload_injection`: send the platform's own results file of a batch
  (`pd_id,no_ponsel,status[,keterangan,kuota_gb,waktu]`, BERHASIL/GAGAL), checked first, and
  keep a copy of every file the server applied;
- `upload_usage`: send the period's usage per number (`pd_id,no_ponsel,pemakaian_gb`);
- `period_recap` / `send_recap`: the provider's recap of a **whole period** (sent, injected,
  failed, GB), built from every batch of the period and every results file the kit sent for
  it — not from one run's files: `PUT /reports/{period}/recap` replaces the period's recap, so a
  recap of the second batch alone would report a fraction of what was sent.

The workdir (`<workdir>/penyaluran/<period>/`) keeps, per period:
  `<batch id>.csv.gz` (the batch as downloaded), `<batch id>.json` (its listing),
  `hasil/<batch id>-<n>.csv[.gz]` (each results file the server applied to that batch, in order)
  and `hasil.json` (the ledger of those uploads: batch, file, job, state).

How the recap counts (the server's own rules, so that an honest provider's recap matches):
every line of every batch of the period counts, as the server's reconciliation counts batch lines
(a recipient retried after a GAGAL is a line of each batch that carried it: the failed line and
the new one; decisions/0021); a line's result is the one of its batch's results files — within
one file the first row of a pd_id, across files the latest, except that BERHASIL never turns
back into GAGAL; rows whose pd_id is not a UUID, not
in the batch, whose status is not BERHASIL or GAGAL, or whose `kuota_gb` is not a number are
not counted (the server refuses them). GB: the `kuota_gb` of each BERHASIL row, rounded to two
decimals (half up), or the package of the batch when the row leaves it empty.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from verval_provider.client import UNSENDABLE_ID, ApiClient, ApiFailure, api_path
from verval_provider.match import MatchError, _blocks, _is_gzip, _mask, _readable
from verval_provider.transfer import (
    DISBURSEMENT_ID_FORM,
    FINISHED,
    local_time,
    not_yours,
    send,
    shown_id,
    well_formed,
)

INJECTION_REQUIRED = ("pd_id", "no_ponsel", "status")
INJECTION_COLUMNS = (*INJECTION_REQUIRED, "keterangan", "kuota_gb", "waktu")
USAGE_COLUMNS = ("pd_id", "no_ponsel", "pemakaian_gb")
BATCH_COLUMNS = ("pd_id", "no_ponsel", "kuota_gb", "kategori")
INJECTION_STATUSES = ("BERHASIL", "GAGAL")

Log = Callable[[str], Any] | None


class KitFileError(ValueError):
    """A file the kit cannot read or send (the message names it and says why, numbers masked)."""


# ------------------------------------------------------------------ the workdir


def _safe(name: str) -> str:
    """A period code or batch id as a file name (they are `2020-09A`, UUIDs: kept as they are)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class DisbursementStore:
    """The kit's record of a provider's disbursement side, under `<workdir>/penyaluran/`."""

    root: Path

    @classmethod
    def at(cls, workdir: str | Path) -> DisbursementStore:
        return cls(Path(workdir) / "penyaluran")

    def period_dir(self, period: str) -> Path:
        path = self.root / _safe(period)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def batch_file(self, batch: dict[str, Any]) -> Path:
        return self.period_dir(batch["period"]) / f"{_safe(batch['id'])}.csv.gz"

    def _listing(self, batch: dict[str, Any]) -> Path:
        return self.period_dir(batch["period"]) / f"{_safe(batch['id'])}.json"

    def has_batch(self, batch: dict[str, Any]) -> bool:
        """The batch's file is here and is the one the server lists (same SHA-256)."""
        path, listing = self.batch_file(batch), self._listing(batch)
        if not path.exists() or not listing.exists():
            return False
        try:
            return bool(json.loads(listing.read_text(encoding="utf-8")).get("sha256") == batch["sha256"])
        except ValueError:
            return False

    def save_listing(self, batch: dict[str, Any]) -> None:
        _write_json(self._listing(batch), batch)

    def ledger(self, period: str) -> list[dict[str, Any]]:
        path = self.period_dir(period) / "hasil.json"
        return list(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else []

    def _save_ledger(self, period: str, entries: list[dict[str, Any]]) -> None:
        _write_json(self.period_dir(period) / "hasil.json", entries)

    def record(self, period: str, batch_id: str, source: Path, job_id: str, state: str) -> Path:
        """Keep a copy of a results file the server applied (or is applying) to a batch."""
        folder = self.period_dir(period) / "hasil"
        folder.mkdir(exist_ok=True)
        entries = self.ledger(period)
        n = 1 + sum(1 for e in entries if e["batch"] == batch_id)
        suffix = ".csv.gz" if _is_gzip(source) else ".csv"
        copy = folder / f"{_safe(batch_id)}-{n:03d}{suffix}"
        tmp = copy.with_name(copy.name + ".part")
        shutil.copyfile(source, tmp)
        os.replace(tmp, copy)
        entries.append(
            {
                "batch": batch_id,
                "file": f"hasil/{copy.name}",
                "job": job_id,
                "state": state,
                "source": source.name,
                "at": local_time(),
            }
        )
        self._save_ledger(period, entries)
        return copy

    def settle(self, period: str, job_id: str, state: str) -> None:
        """A job the kit recorded as still running has finished: keep its file if the server
        applied it, drop it if the server refused it."""
        entries = self.ledger(period)
        kept = []
        for e in entries:
            if e["job"] == job_id:
                if state == "SUCCEEDED":
                    e["state"] = state
                else:
                    (self.period_dir(period) / e["file"]).unlink(missing_ok=True)
                    continue
            kept.append(e)
        self._save_ledger(period, kept)

    def applied(self, period: str) -> list[dict[str, Any]]:
        return [e for e in self.ledger(period) if e["state"] == "SUCCEEDED"]


# ------------------------------------------------------------------ reading files


_CUT_OFF = "cut off: its last line has no line end (a complete file ends with a line break)"


@contextmanager
def _scan(path: Path, what: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> Iterator[Any]:
    """The file (plain or gzip, told by its bytes) as a lazy polars frame with lower-cased
    column names. Refused with KitFileError: not UTF-8, no header with the required columns, an
    unknown or repeated column, cut off (no line end after the last row)."""
    import polars as pl

    path = Path(path)
    if not path.exists():
        raise KitFileError(f"{what} {path.name}: no such file")
    scratch = path.parent if os.access(path.parent, os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix=".verval-", dir=scratch) as tmp:
        plain = path
        try:
            if _is_gzip(path):
                plain = Path(tmp) / "unpacked.csv"
                with open(plain, "wb") as out:
                    for block in _blocks(path):
                        out.write(block)
        except MatchError as exc:
            raise KitFileError(f"{what} {path.name}: {exc}") from None
        with open(plain, "rb") as fh:
            first = fh.readline()
            if not first.strip():
                raise KitFileError(f"{what} {path.name}: empty file")
            fh.seek(-1, 2)
            if fh.read(1) not in (b"\n", b"\r"):
                raise KitFileError(f"{what} {path.name}: {_CUT_OFF}")
        try:
            header = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n").split(",")
        except UnicodeDecodeError:
            utf16 = first.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first
            raise KitFileError(
                f"{what} {path.name}: not UTF-8 text{' (it looks like UTF-16)' if utf16 else ''}: "
                "save it as a UTF-8 CSV"
            ) from None
        names = [h.strip().lower() for h in header]
        expected = ",".join(required) + "".join(f"[,{c}]" for c in allowed if c not in required)
        if len(names) == 1 and re.search(r"[;\t|]", header[0]):
            raise KitFileError(f"{what} {path.name}: not comma-separated (expected {expected})")
        if not (set(required) <= set(names) <= set(allowed)) or len(set(names)) != len(names):
            shown = _mask(",".join(names))[:120]
            raise KitFileError(f"{what} {path.name}: header is {shown!r}, expected {expected}")
        try:
            # A line polars cannot parse (more fields than the header, a stray quote, bytes
            # that are not UTF-8) is named with its line, as the matcher names it.
            with _readable(what, path):
                scan = pl.scan_csv(plain, infer_schema=False, quote_char='"')
                raw = scan.collect_schema().names()
                yield scan.rename({r: r.strip().lstrip("\ufeff").lower() for r in raw})
        except MatchError as exc:
            raise KitFileError(str(exc)) from None


def _key(column: str) -> Any:
    """A pd_id as a 128-bit integer (null when it is not a UUID), however it is written (upper
    case, without hyphens, in braces), as the server parses it. No regular expression: with
    one, this was most of the cost of reading a file (a million pd_ids: 1.7 s, now 0.6 s)."""
    import polars as pl

    text = pl.col(column).str.strip_chars("{} \t").str.replace_all("-", "", literal=True)
    return pl.when(text.str.len_bytes() == 32).then(
        text.str.to_integer(base=16, dtype=pl.UInt128, strict=False)
    )


def _gb(value: str | None) -> Decimal | None:
    """A `kuota_gb` as the server reads it (two decimals, half up, 0 to under 10,000)."""
    try:
        d = Decimal(str(value).strip().replace(",", ".")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    return d if Decimal(0) <= d < Decimal(10000) else None


def check_results(path: str | Path) -> dict[str, Any]:
    """Read an injection results file before it is sent: rows, counts by status, rows the server
    will refuse for their pd_id or status. KitFileError when it cannot be sent at all."""
    import polars as pl

    path = Path(path)
    with _scan(path, "results", INJECTION_REQUIRED, INJECTION_COLUMNS) as scan:
        status = pl.col("status").fill_null("").str.strip_chars().str.to_uppercase()
        counts = scan.select(
            pl.len().alias("rows"),
            (status == "BERHASIL").sum().alias("berhasil"),
            (status == "GAGAL").sum().alias("gagal"),
            (~status.is_in(INJECTION_STATUSES)).sum().alias("other_status"),
            _key("pd_id").is_null().sum().alias("bad_pd_id"),
            # Every column read: polars skips the columns a query does not need, and with them
            # a line with more fields than the header (which the server refuses).
            pl.all().null_count().name.prefix("empty_"),
        ).collect(engine="streaming")
    out: dict[str, Any] = {
        k: int(v) for k, v in counts.row(0, named=True).items() if not k.startswith("empty_")
    }
    if out["rows"] == 0:
        raise KitFileError(f"results {path.name}: no rows under the header")
    return out


# ------------------------------------------------------------------ API calls


# Failures of one listed batch, reported on its row while the others are pulled: its file did not
# match its SHA-256, or the server listed it under an id no path can carry (decision 0075).
BATCH_FAILURES = ("SHA256_TIDAK_COCOK", UNSENDABLE_ID)


def list_batches(
    client: ApiClient, *, period: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    path = api_path("disbursements", "batches", query={"period": period, "state": state})
    return client._json("GET", path, shape=list)[1]


def _check_period(client: ApiClient, period: str) -> None:
    """ApiFailure 404 PERIODE_TIDAK_DIKENAL when the server has no such period, naming the ones
    it has: an empty listing alone cannot tell a typo (`2020-09a`) from a period without a batch
    for this provider yet."""
    codes = [
        str(p.get("code")) for p in client._json("GET", "/periods", shape=list)[1] if isinstance(p, dict)
    ]
    if period in codes:
        return
    shown = shown_id(period)
    known = f"; the server's periods: {', '.join(codes[:8])}" if codes else ""
    raise ApiFailure(
        404,
        {
            "code": "PERIODE_TIDAK_DIKENAL",
            "message": f"Periode {shown} tidak ada di server; periksa --period.",
            "message_en": f"the server has no period {shown}: check --period (pull-disbursements prints "
            f"the period of each of your batches, e.g. 2020-09A){known}",
        },
    )


def download_batch(client: ApiClient, batch: dict[str, Any], dest: Path) -> Path:
    """Download a disbursement batch (resuming `dest.part` with Range) and check its SHA-256."""
    return client.download_file(
        api_path("disbursements", "batches", batch["id"], "file"),
        dest,
        batch["sha256"],
        what=f"batch {batch['id']}",
    )


def pull_batches(
    client: ApiClient, workdir: str | Path, *, period: str | None = None, log: Log = None
) -> list[dict[str, Any]]:
    """Download every disbursement batch of this provider (of `period`, or all) not yet in the
    workdir. One report per batch: id, period, seq, rows, total_gb, state, file, downloaded
    (False: already here), or error (SHA-256 mismatch: the file was discarded, run again)."""
    store = DisbursementStore.at(workdir)
    say = log or (lambda _msg: None)
    reports = []
    listed = list_batches(client, period=period)
    if period and not listed:
        _check_period(client, period)
    for batch in sorted(listed, key=lambda b: (b["period"], b["seq"])):
        report = {k: batch[k] for k in ("id", "period", "seq", "rows", "total_gb", "state")}
        dest = store.batch_file(batch)
        report["file"] = str(dest)
        if store.has_batch(batch):
            report["downloaded"] = False
        else:
            try:
                download_batch(client, batch, dest)
            except ApiFailure as failure:
                if failure.code not in BATCH_FAILURES:  # the server, not this batch
                    raise
                report.update({"error": failure.code, "detail": str(failure)})
                say(f"{batch['id']}: {failure}")
                reports.append(report)
                continue
            store.save_listing(batch)
            report["downloaded"] = True
            if report["state"] == "TERBIT":  # the listing came before this, the batch's first download
                report["state"] = "DIAMBIL"
        say(
            f"{batch['id']} {batch['period']} #{batch['seq']}: {batch['rows']} rows, "
            f"{batch['total_gb']} GB, {report['state']} -> {dest}"
            + ("" if report["downloaded"] else " (already here)")
        )
        reports.append(report)
    return reports


def upload_injection(
    client: ApiClient,
    workdir: str | Path,
    batch_id: str,
    results: str | Path,
    *,
    wait_seconds: float = 600.0,
    log: Log = None,
) -> dict[str, Any]:
    """Check and send a batch's injection results; keep a copy of what the server applied.

    Returns the server's answer (job_id, state SUCCEEDED / REFUSED / PENDING / RUNNING, counts,
    issues...) with `batch`, `period` and `checked` (the kit's own counts of the file). Raises
    KitFileError (nothing sent) for a file that cannot be sent, ApiFailure for an unknown
    batch (404) or a server that cannot be reached."""
    say = log or (lambda _msg: None)
    results = Path(results)
    checked = check_results(results)
    try:
        batch = client._json("GET", api_path("disbursements", "batches", batch_id))[1]
    except ApiFailure as failure:
        if failure.status != 404:
            raise
        dump = (
            " (a dump batch: those are answered by sync or upload-results)"
            if batch_id.upper().startswith("DMP-")
            else ""
        )
        if not well_formed(batch_id):
            raise not_yours(
                failure,
                f"Tidak ada batch penyaluran perusahaan Anda dengan id itu; {DISBURSEMENT_ID_FORM[0]}. "
                "Periksa --batch.",
                f"no disbursement batch of yours on this server has that id{dump}; {DISBURSEMENT_ID_FORM[1]}: "
                "check --batch (pull-disbursements prints the id of each of your batches)",
            ) from None
        shown = shown_id(batch_id)
        raise not_yours(
            failure,
            f"Batch penyaluran {shown} tidak ada untuk perusahaan Anda; periksa --batch.",
            f"no disbursement batch {shown} of yours on this server{dump}: check --batch "
            "(pull-disbursements prints the id of each of your batches)",
        ) from None
    say(
        f"{results.name}: {checked['rows']} rows, {checked['berhasil']} BERHASIL, {checked['gagal']} GAGAL"
        + (f", {checked['other_status']} with another status" if checked["other_status"] else "")
        + (f", {checked['bad_pd_id']} without a valid pd_id" if checked["bad_pd_id"] else "")
    )
    answer = send(
        client,
        api_path("disbursements", "batches", batch["id"], "results"),
        results,
        jobs="/disbursements/jobs",
        wait_seconds=wait_seconds,
    )
    if answer.get("state") not in ("REFUSED", "FAILED"):
        DisbursementStore.at(workdir).record(
            batch["period"], batch["id"], results, answer["job_id"], answer["state"]
        )
    return {"batch": batch["id"], "period": batch["period"], "checked": checked, **answer}


def upload_usage(
    client: ApiClient, period: str, usage: str | Path, *, wait_seconds: float = 600.0
) -> dict[str, Any]:
    """Send a period's usage per number (`pd_id,no_ponsel,pemakaian_gb`; a later upload replaces
    the figures of the rows it lists)."""
    import polars as pl

    usage = Path(usage)
    with _scan(usage, "usage", USAGE_COLUMNS, USAGE_COLUMNS) as scan:
        # Every column read, so that a line with more fields than the header is named.
        rows = int(scan.select(pl.len(), pl.all().null_count()).collect(engine="streaming").item(0, 0))
    if rows == 0:
        raise KitFileError(f"usage {usage.name}: no rows under the header")
    try:
        answer = send(
            client,
            api_path("reports", period, "usage"),
            usage,
            jobs="/disbursements/jobs",
            wait_seconds=wait_seconds,
        )
    except ApiFailure as failure:
        if failure.status != 404:
            raise
        shown = shown_id(period)
        raise not_yours(
            failure,
            f"Periode {shown} tidak ada di server; periksa --period.",
            f"the server has no period {shown}: check --period (pull-disbursements prints the period "
            "of each of your batches, e.g. 2020-09A)",
        ) from None
    return {"period": period, **answer}


# ------------------------------------------------------------------ the period's recap


@dataclass
class PeriodRecap:
    period: str
    recap: dict[str, Any]  # sent, injected, failed, gb: what PUT /reports/{period}/recap takes
    pending: int  # rows of the period's batches without a result the kit sent
    running: list[str]  # jobs of results uploads the server has not finished applying
    batches: list[dict[str, Any]]  # per batch: id, seq, rows, results files

    @property
    def complete(self) -> bool:
        return not self.pending and not self.running


def period_recap(client: ApiClient, workdir: str | Path, period: str, *, log: Log = None) -> PeriodRecap:
    """The provider's recap of the whole period, from every batch the server lists for it
    (downloaded when the workdir lacks it) and every results file the kit sent for them."""
    store = DisbursementStore.at(workdir)
    say = log or (lambda _msg: None)
    batches = sorted(list_batches(client, period=period), key=lambda b: b["seq"])
    if not batches:
        _check_period(client, period)
    for batch in batches:
        if not store.has_batch(batch):
            download_batch(client, batch, store.batch_file(batch))
            store.save_listing(batch)
            say(f"{batch['id']}: downloaded (it was not in the workdir)")
    running = []
    for entry in store.ledger(period):
        if entry["state"] in FINISHED:
            continue
        try:
            job = client._json("GET", api_path("disbursements", "jobs", entry["job"]))[1]
        except ApiFailure as failure:
            if failure.status != 404:
                raise
            job = {"state": "FAILED"}
        if job.get("state") in FINISHED:
            store.settle(period, entry["job"], job["state"])
        else:
            running.append(entry["job"])
    return _count(store, period, batches, running)


def _count(
    store: DisbursementStore, period: str, batches: list[dict[str, Any]], running: list[str]
) -> PeriodRecap:
    """Batch by batch, every line of each (the server counts batch lines: a recipient sent again
    after a GAGAL counts in both batches). Memory: one batch and its answers at a time."""
    import polars as pl

    files_of: dict[str, list[tuple[int, str]]] = {}
    for order, entry in enumerate(store.applied(period)):
        files_of.setdefault(entry["batch"], []).append((order, entry["file"]))
    sent = injected = failed = 0
    by_gb: dict[str, int] = {}
    for batch in sorted(batches, key=lambda b: int(b["seq"]), reverse=True):
        with _scan(store.batch_file(batch), "batch", ("pd_id", "kuota_gb"), BATCH_COLUMNS) as scan:
            rows = (
                scan.select(_key("pd_id").alias("k"), _text("kuota_gb").alias("package"))
                .filter(pl.col("k").is_not_null())
                .collect(engine="streaming")
            )
        answers = _answers(store, period, files_of.get(batch["id"], []))
        outcome = (
            rows.lazy()
            .join(answers.lazy(), on="k", how="left")
            .group_by(pl.col("ok"), pl.coalesce(pl.col("kuota"), pl.col("package")).alias("gb"))
            .agg(pl.len().alias("n"))
            .collect(engine="streaming")
            .with_columns(pl.col("gb").cast(pl.String))
        )
        for ok, value, n in outcome.iter_rows():
            sent += n
            if ok:
                injected += n
                by_gb[value] = by_gb.get(value, 0) + n
            elif ok is not None:
                failed += n
    total = sum(((_gb(v) or Decimal(0)) * n for v, n in by_gb.items()), Decimal(0))
    recap = {
        "sent": sent,
        "injected": injected,
        "failed": failed,
        "gb": format(total.normalize(), "f") if total else "0",
    }
    per_batch = [
        {
            "id": b["id"],
            "seq": b["seq"],
            "rows": b["rows"],
            "state": b["state"],
            "results_files": [f for _o, f in files_of.get(b["id"], [])],
        }
        for b in batches
    ]
    return PeriodRecap(
        period=period,
        recap=recap,
        pending=sent - injected - failed,
        running=running,
        batches=per_batch,
    )


def _text(column: str) -> Any:
    """A short text column (a GB figure) stripped, empty as null, as a categorical: 4 bytes a
    row instead of a string's 16."""
    import polars as pl

    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text).cast(pl.Categorical)


def _answers(store: DisbursementStore, period: str, files: list[tuple[int, str]]) -> Any:
    """k, ok (BERHASIL), kuota: the answer in force for each pd_id a batch's results files name.
    Within one file the first row of a pd_id is the one applied (later ones: DUPLIKAT, whatever
    they hold); across files the latest holds, except that BERHASIL never turns into GAGAL.
    Rows the server refuses for their status or kuota_gb are left out."""
    import polars as pl

    frames = []
    for order, name in files:
        with _scan(store.period_dir(period) / name, "results", INJECTION_REQUIRED, INJECTION_COLUMNS) as scan:
            kuota = _text("kuota_gb") if "kuota_gb" in scan.collect_schema().names() else pl.lit(None)
            status = pl.col("status").str.strip_chars().str.to_uppercase()
            rows = (
                scan.select(
                    _key("pd_id").alias("k"),
                    pl.when(status == "BERHASIL").then(True).when(status == "GAGAL").then(False).alias("ok"),
                    kuota.cast(pl.Categorical).alias("kuota"),
                )
                .filter(pl.col("k").is_not_null())
                .collect(engine="streaming")
            )
        if rows.get_column("k").n_unique() < rows.height:
            rows = rows.with_row_index("line")
            rows = rows.filter(pl.col("line") == pl.col("line").min().over("k")).drop("line")
        bad = [v for v in rows.get_column("kuota").drop_nulls().unique().cast(pl.String) if _gb(v) is None]
        rows = rows.filter(pl.col("ok").is_not_null())
        if bad:
            rows = rows.filter(~pl.col("kuota").cast(pl.String).is_in(bad).fill_null(False))
        # BERHASIL answers rank above every GAGAL one, later files above earlier ones.
        frames.append(rows.with_columns((pl.col("ok").cast(pl.UInt32) * 1_000_000 + order).alias("rank")))
    if not frames:
        return pl.DataFrame(schema={"k": pl.UInt128, "ok": pl.Boolean, "kuota": pl.Categorical})
    answers = pl.concat(frames)
    if len(frames) > 1:
        answers = answers.filter(pl.col("rank") == pl.col("rank").max().over("k"))
    return answers.drop("rank")


def send_recap(client: ApiClient, period: str, recap: dict[str, Any]) -> dict[str, Any]:
    """PUT the period's recap; answers the server's reconciliation row (flags, ok)."""
    return client._json(
        "PUT",
        api_path("reports", period, "recap"),
        {"Content-Type": "application/json"},
        json.dumps(recap).encode(),
    )[1]
