"""Row rules of the cutoff import and their refusal codes (docs/import.md).

validate(df, region_codes) works on a whole batch at once (polars expressions) and returns the
normalised rows plus one issue row per broken rule: (line, column, code, value). The value is
what report_values() lets through: never a name, never a whole phone number.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from verval.phones import mask

# bentuk_pendidikan -> allowed tingkat_pendidikan for students (None: must be empty, PAUD).
FORM_GRADES: dict[str, tuple[int, int] | None] = {
    "TK": None,
    "KB": None,
    "TPA": None,
    "SPS": None,
    "SD": (1, 6),
    "SDLB": (1, 6),
    "SMP": (7, 9),
    "SMPLB": (7, 9),
    "SMA": (10, 12),
    "SMALB": (10, 12),
    "SMK": (10, 13),
    "SLB": (1, 12),
    "PKBM": (1, 12),
    "SKB": (1, 12),
}
PAUD_FORMS = frozenset(f for f, g in FORM_GRADES.items() if g is None)
NAME_MAX = 150  # registry.Recipient.name
SCHOOL_NAME_MAX = 200  # reference.School.name
# status_sekolah as typed (upper-cased) -> School.status; empty: the school keeps its status.
SCHOOL_STATUS = {"N": "N", "NEGERI": "N", "S": "S", "SWASTA": "S", "": ""}
# Names are stored with every run of white space (spaces, tabs, line breaks: a quoted CSV field
# or an Excel cell may hold Alt+Enter) as one space (decision 0020). The pattern leaves a lone
# space alone, so a name that needs nothing is matched nowhere.
_WHITESPACE_RUN = r"\s\s+|[^\S ]"


def collapse_whitespace(column: str) -> pl.Expr:
    """The column with its runs of white space as one space (its ends are already stripped)."""
    return pl.col(column).str.replace_all(_WHITESPACE_RUN, " ").alias(column)


@dataclass(frozen=True)
class Rule:
    code: str
    column: str
    message: str
    message_en: str


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("JENIS_TIDAK_DIKENAL", "jenis", "Jenis harus PD atau PTK.", "jenis must be PD or PTK."),
        Rule(
            "ID_TIDAK_VALID",
            "id",
            "id bukan UUID (format 8-4-4-4-12 heksadesimal).",
            "id is not a UUID (8-4-4-4-12 hexadecimal).",
        ),
        Rule(
            "ID_GANDA",
            "id",
            "id yang sama sudah ada di baris sebelumnya dalam berkas ini.",
            "The same id already appears on an earlier line of this file.",
        ),
        Rule("NAMA_KOSONG", "nama", "Nama kosong.", "The name is empty."),
        Rule(
            "NAMA_TERLALU_PANJANG",
            "nama",
            "Nama lebih dari 150 karakter.",
            "The name is longer than 150 characters.",
        ),
        Rule(
            "NISN_TIDAK_VALID",
            "nisn",
            "NISN harus 10 angka (boleh kosong hanya untuk PAUD dan PTK).",
            "NISN must be 10 digits (may be empty only for PAUD and PTK).",
        ),
        Rule("NIK_TIDAK_VALID", "nik", "NIK harus 16 angka atau kosong.", "NIK must be 16 digits or empty."),
        Rule(
            "NIK_ANGKA_EXCEL",
            "nik",
            "NIK tersimpan sebagai angka di Excel, yang hanya menyimpan 15 digit: digit terakhirnya sudah "
            "hilang. Format kolom nik sebagai Teks dan isi ulang NIK-nya, kosongkan kolom nik (NIK boleh kosong), atau unggah CSV dari Dapodik.",
            "The NIK is stored as a number in Excel, which keeps only 15 digits: its last digit is lost. "
            "Format the nik column as Text and enter the NIK again, empty the nik column (NIK is optional), or "
            "upload the CSV from Dapodik.",
        ),
        Rule(
            "TINGKAT_TIDAK_SESUAI",
            "tingkat_pendidikan",
            "Tingkat pendidikan tidak sesuai bentuk pendidikan (SD 1-6, SMP 7-9, SMA 10-12, SMK 10-13, "
            "SLB/PKBM/SKB 1-12; kosong untuk PAUD dan PTK).",
            "tingkat_pendidikan does not fit the school's form (SD 1-6, SMP 7-9, SMA 10-12, SMK 10-13, "
            "SLB/PKBM/SKB 1-12; empty for PAUD and PTK).",
        ),
        Rule(
            "BENTUK_TIDAK_DIKENAL",
            "bentuk_pendidikan",
            "Bentuk pendidikan tidak dikenal (TK, KB, TPA, SPS, SD, SMP, SMA, SMK, SLB, SDLB, SMPLB, SMALB, PKBM, SKB).",
            "Unknown bentuk_pendidikan (TK, KB, TPA, SPS, SD, SMP, SMA, SMK, SLB, SDLB, SMPLB, SMALB, PKBM, SKB).",
        ),
        Rule(
            "NPSN_TIDAK_VALID",
            "npsn",
            "NPSN harus 8 karakter (angka atau huruf).",
            "NPSN must be 8 characters (digits or letters).",
        ),
        Rule("NAMA_SEKOLAH_KOSONG", "nama_sekolah", "Nama sekolah kosong.", "The school name is empty."),
        Rule(
            "NAMA_SEKOLAH_TERLALU_PANJANG",
            "nama_sekolah",
            f"Nama sekolah lebih dari {SCHOOL_NAME_MAX} karakter.",
            f"The school name is longer than {SCHOOL_NAME_MAX} characters.",
        ),
        Rule(
            "KODE_WILAYAH_TIDAK_DIKENAL",
            "kode_wilayah",
            "Kode wilayah tidak dikenal atau bukan kode kabupaten/kota atau kecamatan Dapodik.",
            "Unknown kode_wilayah, or not a Dapodik kabupaten/kota or kecamatan code.",
        ),
        Rule(
            "STATUS_SEKOLAH_TIDAK_DIKENAL",
            "status_sekolah",
            "Status sekolah tidak dikenal: isi N atau Negeri, S atau Swasta (huruf besar atau kecil), "
            "atau kosongkan (status sekolah tidak diubah).",
            "Unknown status_sekolah: write N or Negeri, S or Swasta (upper or lower case), "
            "or leave it empty (the school keeps its status).",
        ),
        Rule(
            "TERKUNCI_SPTJM",
            "nomor_telepon_seluler",
            "Nomor berubah, tetapi data ini terkunci oleh SPTJM yang sudah dicetak; nomor lama dipertahankan. "
            "Batalkan atau selesaikan SPTJM, lalu impor ulang.",
            "The number changed, but this record is locked by a printed SPTJM; the old number is kept. "
            "Void or finish the SPTJM, then import again.",
        ),
    )
}

# Put by the XLSX reader before a nik cell that Excel stored as a number (reader._nik_cell): a
# private-use character, which no CSV nor a text cell brings.
NIK_NUMBER_MARK = "\ue000"

_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def validate(df: pl.DataFrame, region_codes: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows, issues). rows: normalised columns + `refused` + `id_ok`; issues: line, column, code, value."""
    forms = list(FORM_GRADES)
    lo = [g[0] if g else 0 for g in FORM_GRADES.values()]
    hi = [g[1] if g else 0 for g in FORM_GRADES.values()]
    jenis = pl.col("jenis").str.to_uppercase()
    bentuk = pl.col("bentuk_pendidikan").str.to_uppercase()
    t = pl.col("tingkat_pendidikan")
    status = pl.col("status_sekolah").str.to_uppercase()
    rows = df.with_columns(
        jenis.alias("jenis"),
        bentuk.alias("bentuk_pendidikan"),
        pl.col("id").str.to_lowercase().alias("id"),
        collapse_whitespace("nama"),
        collapse_whitespace("nama_sekolah"),
        # Anything else becomes null, which STATUS_SEKOLAH_TIDAK_DIKENAL refuses.
        pl.when(status.is_in(list(SCHOOL_STATUS)))
        .then(status.replace(SCHOOL_STATUS))
        .alias("status_sekolah"),
        pl.when(t.str.contains(r"^[0-9]{1,2}$")).then(t.cast(pl.Int16, strict=False)).alias("grade"),
    ).with_columns(
        pl.col("bentuk_pendidikan").is_in(forms).alias("_form_ok"),
        pl.col("bentuk_pendidikan").is_in(list(PAUD_FORMS)).alias("_paud"),
        pl.col("bentuk_pendidikan").replace_strict(forms, lo, default=0, return_dtype=pl.Int16).alias("_lo"),
        pl.col("bentuk_pendidikan").replace_strict(forms, hi, default=0, return_dtype=pl.Int16).alias("_hi"),
    )
    pd = pl.col("jenis") == "PD"
    ptk = pl.col("jenis") == "PTK"
    nisn10 = pl.col("nisn").str.contains(r"^[0-9]{10}$")
    grade = pl.col("grade")
    grade_ok = (
        pl.when(ptk | (pd & pl.col("_paud")))
        .then(pl.col("tingkat_pendidikan") == "")
        .when(pd & pl.col("_form_ok"))
        .then(grade.is_not_null() & (grade >= pl.col("_lo")) & (grade <= pl.col("_hi")))
        .otherwise(True)
    )
    checks = {
        "JENIS_TIDAK_DIKENAL": pd | ptk,
        "ID_TIDAK_VALID": pl.col("id").str.contains(_UUID),
        "NAMA_KOSONG": pl.col("nama") != "",
        "NAMA_TERLALU_PANJANG": pl.col("nama").str.len_chars() <= NAME_MAX,
        "NISN_TIDAK_VALID": nisn10 | ((pl.col("nisn") == "") & (ptk | (pd & pl.col("_paud")))),
        "NIK_TIDAK_VALID": (pl.col("nik") == "")
        | pl.col("nik").str.contains(r"^[0-9]{16}$")
        | pl.col("nik").str.starts_with(NIK_NUMBER_MARK),
        "NIK_ANGKA_EXCEL": ~pl.col("nik").str.starts_with(NIK_NUMBER_MARK),
        "TINGKAT_TIDAK_SESUAI": grade_ok,
        "BENTUK_TIDAK_DIKENAL": pl.col("_form_ok"),
        "NPSN_TIDAK_VALID": pl.col("npsn").str.contains(r"^[0-9A-Za-z]{8}$"),
        "NAMA_SEKOLAH_KOSONG": pl.col("nama_sekolah") != "",
        "NAMA_SEKOLAH_TERLALU_PANJANG": pl.col("nama_sekolah").str.len_chars() <= SCHOOL_NAME_MAX,
        "KODE_WILAYAH_TIDAK_DIKENAL": pl.col("kode_wilayah").is_in(region_codes.implode()),
        "STATUS_SEKOLAH_TIDAK_DIKENAL": pl.col("status_sekolah").is_not_null(),
    }
    flags = rows.select(pl.col("line"), *[(~e.fill_null(False)).alias(k) for k, e in checks.items()])
    issue_frames = []
    for code in checks:
        flag = flags.get_column(code)
        if flag.any():
            column = RULES[code].column
            bad = flags.filter(flag)
            # The value as typed (df): the normalised one (lower-cased id…) would describe
            # something the user never wrote.
            value = report_values(df.filter(flag).get_column(column), column)
            issue_frames.append(
                pl.DataFrame(
                    {
                        "line": bad.get_column("line"),
                        "column": pl.Series([column] * bad.height, dtype=pl.String),
                        "code": pl.Series([code] * bad.height, dtype=pl.String),
                        # Rebuilt from Python strings: a slice or gather of a polars string
                        # column is a view that keeps the whole batch's buffer alive, and the
                        # issues of every batch are kept to the end of the file (measured: 60
                        # batches of 55 k ids pinned 113 MB for 180 values).
                        "value": pl.Series(value, dtype=pl.String),
                    }
                )
            )
    refused = flags.select(pl.any_horizontal(list(checks)).alias("refused")).get_column("refused")
    rows = rows.with_columns(
        refused,
        pl.col("id").str.contains(_UUID).fill_null(False).alias("id_ok"),
        pl.when(ptk)
        .then(pl.lit("PTK"))
        .when(pl.col("_paud"))
        .then(pl.lit("PAUD"))
        .otherwise(pl.lit("DIKDASMEN"))
        .alias("category"),
        pl.when(pd & ~pl.col("_paud")).then(grade).otherwise(None).alias("grade"),
    ).drop("_form_ok", "_paud", "_lo", "_hi")
    issues = (
        pl.concat(issue_frames)
        if issue_frames
        else pl.DataFrame(
            schema={"line": pl.Int64, "column": pl.String, "code": pl.String, "value": pl.String}
        )
    )
    return rows, issues


# --------------------------------------------------------------------------- report values

# Words a user may type for jenis / bentuk_pendidikan that are not accepted. A value made of
# letters only could be a one-word name (columns swapped), so only these are kept as typed.
_KNOWN_WORDS: dict[str, frozenset[str]] = {
    "jenis": frozenset(
        {"SISWA", "MURID", "GURU", "TENDIK", "PENDIDIK", "PESERTA DIDIK", "TENAGA KEPENDIDIKAN", "P.D", "P.T.K"}
    ),
    "bentuk_pendidikan": frozenset(
        {
            "MI", "MTS", "MA", "MAK", "RA", "BA", "TPQ", "MADRASAH", "PONPES", "PONDOK PESANTREN", "PAUD",
            "KURSUS", "SPK", "SPK TK", "SPK SD", "SPK SMP", "SPK SMA", "SDTK", "SMPTK", "SMTK", "SMAK", "SMAG.K",
        }
    ),
}  # fmt: skip
# Columns whose own codes may mix letters and digits (an NPSN such as P2964001, a class "10A",
# a region code "32.01.01"): a value holding a digit there is a code, not a name.
_CODE_COLUMNS = frozenset({"npsn", "tingkat_pendidikan", "kode_wilayah"})
# Nine digits or more may be a phone number (or a NIK): masked with the number mask.
_NUMBER_DIGITS = 9
_PUNCT = r"[!-/:-@\[-`{-~]"


def report_values(values: pl.Series, column: str) -> list[str]:
    """What the refused-row report keeps of each value of `column` (docs/import.md): the value
    itself only when it cannot be a name or a whole phone number; otherwise the number mask
    (verval.phones.mask) for anything holding 9 or more digits, and a summary of length and
    character classes for the rest (and for every id that is not a UUID), e.g. `[15: a-z 0-9 -]`."""
    if column in ("nama", "nama_sekolah"):
        return [""] * values.len()
    v = pl.col("v")
    digits = v.str.count_matches(r"\d")
    few_digits = digits < _NUMBER_DIGITS
    letters = v.str.contains(r"\p{L}")
    no_name_no_number = ~letters & few_digits
    number = ~few_digits
    nik = pl.lit(False)
    if column == "id":
        # Not a UUID: only its length and character classes, which is what tells a user what
        # went wrong (dashes missing, a name or a number in the wrong column).
        keep = v.str.contains(_UUID)
        number = pl.lit(False)
    elif column == "nik":
        keep = pl.lit(False)
        v = v.str.strip_prefix(NIK_NUMBER_MARK)  # an Excel number cell: shown as its digits
        digits = v.str.count_matches(r"\d")
        number = digits >= _NUMBER_DIGITS
        # A NIK is shown by its first 6 digits (the region) as before; a NIK never starts with
        # 0 or +, a phone number typed here does, and gets the number mask.
        nik = v.str.contains(r"^[1-9][0-9]*$")
        number = number | v.str.contains(r"^[+0]")
    elif column in _KNOWN_WORDS:
        keep = no_name_no_number | v.str.to_uppercase().is_in(sorted(_KNOWN_WORDS[column]))
    elif column in _CODE_COLUMNS:
        code = v.str.contains(r"^[0-9A-Za-z][0-9A-Za-z .\-/]{0,19}$") & (digits > 0)
        keep = no_name_no_number | (code & few_digits)
    else:
        keep = no_name_no_number
    classes = [
        pl.when(v.str.contains(r"\p{Lu}")).then(pl.lit("A-Z")),
        pl.when(v.str.contains(r"[\p{L}&&\P{Lu}]")).then(pl.lit("a-z")),
        pl.when(digits > 0).then(pl.lit("0-9")),
        pl.when(v.str.contains(r"\s")).then(pl.lit("\u2423")),
        pl.when(v.str.contains(_PUNCT)).then(
            v.str.extract_all(_PUNCT).list.unique().list.sort().list.join("")
        ),
    ]
    summary = pl.format(
        "[{}: {}]", v.str.len_chars(), pl.concat_str(classes, separator=" ", ignore_nulls=True)
    )
    shown = (
        pl.when(v == "")
        .then(pl.lit(""))
        .when(keep)
        .then(v.str.slice(0, 100))
        .when(nik)
        .then(v.str.slice(0, 6) + "**********")
        .when(number)
        .then(pl.lit(None, dtype=pl.String))  # masked below, in Python (few values)
        .otherwise(summary)
    )
    frame = pl.DataFrame({"v": values.fill_null("")})
    out = frame.select(shown.alias("s")).get_column("s").to_list()
    raw = frame.get_column("v").to_list()
    return [(mask(r) or "*") if s is None else s for s, r in zip(out, raw, strict=True)]
