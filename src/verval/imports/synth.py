"""Synthetic Dapodik cutoffs (SPEC §7) for demos, tests and benchmarks.

    write_cutoff(path, students=2000, teachers=150, seed=1, regencies=2, schools=12)

The file has the cutoff columns of SPEC §7, `nik` included (optional in a cutoff, filled here for
~80 % of students and ~95 % of teachers), plus the optional trailing `status_sekolah` (N/S).
It is deterministic for a seed (same arguments -> byte-identical file), streams (memory does not
grow with the number of rows: only the school list is held), and writes several hundred thousand
rows a second.

What it models (see docs/import.md):
- schools spread over real kecamatan, regencies weighted by population (shipped reference data),
  forms and sizes after the 2020 figures (SPEC §1: SD 11.38 M, SMP 5.32 M, SMA 3.12 M, SMK 3.03 M,
  PAUD 0.85 M, SLB 29 k, kesetaraan 27 k numbers; teachers spread over schools by size);
- Indonesian names, NISN (10 digits, birth year first), NIK (16 digits, ~80 % filled),
  UUID ids drawn from the seed;
- phone numbers typed the way people type them (SPEC §5): clean, +62, 62, dashes, spaces,
  brackets and dots, leading zero dropped, trailing .0, rare scientific notation, blanks and notes,
  landlines, placeholders, two numbers in one field, typos, numbers shared by siblings, and now
  and then one number for a whole class; provider shares as in 2020 (Telkomsel ~60 %, Indosat
  ~17 %, XL ~10 %, Axis ~6 %, Tri ~5 %, Smartfren ~2 %).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from verval.imports.reader import COLUMNS
from verval.phones.prefixes import PREFIXES
from verval.reference.loaders import region_rows

# The columns the importer reads (SPEC §7), in its order, with the optional status_sekolah last;
# nik is optional too (a cutoff may leave its column out), but a synthetic cutoff fills it.
HEADER = list(COLUMNS)

# form: (share of students in millions, mean students per school, share negeri, grades)
FORMS: dict[str, tuple[float, int, float, tuple[int, ...]]] = {
    "SD": (11.38, 170, 0.87, (1, 2, 3, 4, 5, 6)),
    "SMP": (5.32, 240, 0.56, (7, 8, 9)),
    "SMA": (3.12, 330, 0.49, (10, 11, 12)),
    "SMK": (3.03, 340, 0.26, (10, 11, 12)),
    "TK": (0.50, 40, 0.05, ()),
    "KB": (0.30, 28, 0.01, ()),
    "SPS": (0.04, 25, 0.01, ()),
    "TPA": (0.01, 20, 0.01, ()),
    "SLB": (0.029, 55, 0.27, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
    "PKBM": (0.027, 120, 0.01, (4, 5, 6, 7, 8, 9, 10, 11, 12)),
}

OPERATOR_SHARE = {"telkomsel": 60, "indosat": 17, "xl": 10, "axis": 6, "tri": 5, "smartfren": 2}

FIRST = (
    "Agus Ahmad Aditya Adi Andi Anisa Arif Ayu Bagus Bayu Budi Cahya Citra Dedi Dewi Dimas Dian Eka "
    "Endang Fajar Fitri Galih Gilang Hadi Hendra Ika Indah Intan Irfan Joko Kartika Lestari Lina Made "
    "Muhammad Nur Nanda Novi Nyoman Putri Putu Rahmat Rina Rizki Sari Siti Sri Taufik Tri Wahyu "
    "Wayan Yoga Yuni Zahra Aisyah Fadli Hasan Ilham Ketut Kadek Mega Nabila Rafi Ratna Reza Sinta Sigit"
).split()
MIDDLE = "Dwi Eko Nur Putra Putri Ayu Adi Sri Maulana Rahma Wulan Indra Ma'ruf".split()
LAST = (
    "Saputra Santoso Wijaya Pratama Hidayat Lestari Kurniawan Setiawan Wulandari Rahmawati Nugroho "
    "Siregar Nasution Harahap Simanjuntak Sihombing Lubis Tanjung Sinaga Pangaribuan Manurung Panjaitan "
    "Situmorang Sembiring Ginting Tarigan Hutapea Purba Rangkuti Daulay Permana Gunawan Susanto Hakim "
    "Firmansyah Ramadhan Syahputra Utami Anggraini Handayani Kusuma Halim Tanoto Pattiasina Latuconsina "
    "Rumbiak Mandacan Wonda Hasibuan Ritonga Pohan Sitompul"
).split()
DEGREES = (", S.Pd.", ", S.Pd.I", ", S.Ag.", ", M.Pd.", ", S.Kom.", ", S.Si.", ", A.Ma.Pd.")

SWASTA_NAMES = (
    "ISLAM TERPADU AL HIKMAH",
    "MUHAMMADIYAH",
    "PGRI",
    "KRISTEN IMMANUEL",
    "KATOLIK SANTO YOSEF",
    "IT NURUL IMAN",
    "PLUS AL FALAH",
    "TAMAN SISWA",
    "NAHDLATUL ULAMA",
    "BINA INSANI",
    "TUNAS BANGSA",
    "HARAPAN BANGSA",
)
PAUD_NAMES = (
    "PERTIWI",
    "AISYIYAH BUSTANUL ATHFAL",
    "MELATI",
    "MAWAR",
    "KASIH BUNDA",
    "TUNAS HARAPAN",
    "AL IKHLAS",
    "CERIA",
)

BLANKS = (
    "",
    "",
    "",
    "",
    "-",
    "0",
    "tidak ada",
    "Tidak Ada",
    "tdk ada",
    "belum ada",
    "--",
    "00",
    "kosong",
    "N/A",
)
LANDLINE_AREAS = ("21", "22", "24", "31", "61", "274", "411", "361", "711", "751", "341", "911", "967")
PLACEHOLDERS = ("0800000000", "081234567890", "08123456789", "081111111111", "0888888888888", "085200000000")

# Typing styles and their weights (per mille).
(CLEAN, PLUS62, P62, DASHES, SPACES, DOTS, NOZERO, DOT0, SCI, BLANK, LANDLINE, PLACEHOLDER, TWO, TYPO) = (
    range(14)
)
STYLE_WEIGHTS_PD = (560, 40, 40, 50, 40, 10, 50, 20, 3, 90, 25, 10, 7, 25)
STYLE_WEIGHTS_PTK = (700, 40, 30, 60, 40, 10, 30, 10, 2, 30, 15, 3, 5, 15)


SEQ4 = [f"{i:04d}" for i in range(10000)]
# Digits cut from the second group of four: 72 % 11-digit, 20 % 10-digit, 8 % 9-digit NSNs.
# NISN: last three digits of the birth year, then seven digits.
NISN_HEAD = {g: f"{(2013 - g) % 1000:03d}" for g in range(0, 14)}
LEN_CUT = [0] * 72 + [1] * 20 + [2] * 8


@dataclass(slots=True)
class School:
    npsn: str
    name: str
    bentuk: str
    status: str
    region: str
    nik_prefix: str
    students: int = 0
    teachers: int = 0


def _spread(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (exact sum, cumulative rounding)."""
    s = sum(weights)
    if not weights:
        return []
    if s <= 0:
        weights = [1.0] * len(weights)
        s = float(len(weights))
    out, cum, prev = [], 0.0, 0
    for w in weights:
        cum += w
        cur = round(total * cum / s)
        out.append(cur - prev)
        prev = cur
    return out


def _kecamatan_by_regency() -> tuple[list[dict], dict[str, list[dict]]]:
    rows = region_rows()
    regencies = [r for r in rows if r["level"] == 2]
    kec: dict[str, list[dict]] = {}
    for r in rows:
        if r["level"] == 3:
            kec.setdefault(r["parent_id"], []).append(r)
    regencies = [r for r in regencies if r["code"] in kec]
    return regencies, kec


def _pick_regencies(rng: random.Random, regencies: list[dict], k: int | None) -> list[dict]:
    if not k or k >= len(regencies):
        return regencies
    pool = list(regencies)
    chosen = []
    for _ in range(k):
        r = rng.choices(pool, [x["population"] or 1 for x in pool])[0]
        chosen.append(r)
        pool.remove(r)
    return sorted(chosen, key=lambda x: x["code"])


def plan_schools(
    rng: random.Random, students: int, teachers: int, regencies: int | None, schools: int | None
) -> list[School]:
    """The school list (forms, sizes, places) for a cutoff of the given size."""
    all_regencies, kec = _kecamatan_by_regency()
    chosen = _pick_regencies(rng, all_regencies, regencies)
    reg_weights = [r["population"] or 1 for r in chosen]

    forms = list(FORMS)
    share = [FORMS[f][0] for f in forms]
    expected = [students * FORMS[f][0] / sum(share) / FORMS[f][1] for f in forms]
    n_schools = schools if schools else max(1, round(sum(expected)))
    counts = _spread(n_schools, expected)
    if n_schools >= 1 and not any(counts):
        counts[0] = 1
    active = [f for f, c in zip(forms, counts, strict=True) if c > 0]
    per_form_students = _spread(students, [FORMS[f][0] for f in active])

    npsns = rng.sample(range(10_000_000, 70_000_000), n_schools)
    out: list[School] = []
    k = 0
    for form, form_students in zip(active, per_form_students, strict=True):
        count = counts[forms.index(form)]
        sizes = _spread(form_students, [rng.lognormvariate(0, 0.55) for _ in range(count)])
        negeri_share = FORMS[form][2]
        seq: dict[tuple[str, str], int] = {}
        for size in sizes:
            regency = rng.choices(chosen, reg_weights)[0]
            district = rng.choice(kec[regency["code"]])
            place = district["name"].replace("Kec. ", "").upper()
            status = "N" if rng.random() < negeri_share else "S"
            key = (form, district["code"] if form in ("SD", "TK") else regency["code"])
            seq[key] = seq.get(key, 0) + 1
            if form in ("TK", "KB", "SPS", "TPA"):
                name = (
                    f"{form} {'NEGERI ' + str(seq[key]) if status == 'N' else rng.choice(PAUD_NAMES)} {place}"
                )
            elif form == "PKBM":
                name = f"PKBM {rng.choice(SWASTA_NAMES)} {place}"
            elif status == "N":
                name = f"{form} NEGERI {seq[key]} {place}"
            else:
                name = f"{form} {rng.choice(SWASTA_NAMES)} {rng.randint(1, 5)} {place}"
            kem = (regency["kemendagri_code"] or "32.01").replace(".", "")
            out.append(
                School(
                    npsn=f"{npsns[k]:08d}",
                    name=name,
                    bentuk=form,
                    status=status,
                    region=district["code"],
                    nik_prefix=f"{kem}{rng.randint(1, 30):02d}",
                    students=size,
                )
            )
            k += 1
    # Teachers: roughly one per 15-20 students, at least one per school when there are enough.
    t = _spread(teachers, [s.students + 8 for s in out])
    for s, n in zip(out, t, strict=True):
        s.teachers = n
    rng.shuffle(out)
    return out


class _Typist:
    """Turns a national significant number into what an operator typed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        prefixes = sorted(PREFIXES)
        by_op: dict[str, list[str]] = {}
        for p in prefixes:
            by_op.setdefault(PREFIXES[p], []).append(p)
        self.prefixes: list[str] = []
        self.prefix_w: list[float] = []
        for op, share in OPERATOR_SHARE.items():
            for p in by_op.get(op, []):
                self.prefixes.append(p)
                self.prefix_w.append(share / len(by_op[op]))
        self.cum_prefix_w = list(_cumulative(self.prefix_w))

    def numbers(self, k: int) -> list[str]:
        """k national significant numbers (10-12 digits) with the 2020 provider shares."""
        rng = self.rng
        rr = rng.random
        pre = rng.choices(self.prefixes, cum_weights=self.cum_prefix_w, k=k)
        return [
            p + SEQ4[int(x * 1e4) % 10000] + SEQ4[int(x * 1e8) % 10000][LEN_CUT[int(x * 1e12) % 100] :]
            for p, x in zip(pre, [rr() for _ in range(k)], strict=True)
        ]

    def style(self, style: int, nsn: str) -> str:  # noqa: C901 - one branch per style
        rng = self.rng
        if style == PLUS62:
            return "+62" + nsn if rng.random() < 0.7 else f"+62 {nsn[:3]}-{nsn[3:7]}-{nsn[7:]}"
        if style == P62:
            return "62" + nsn
        if style == DASHES:
            return f"0{nsn[:3]}-{nsn[3:7]}-{nsn[7:]}"
        if style == SPACES:
            return f"0{nsn[:3]} {nsn[3:7]} {nsn[7:]}" if rng.random() < 0.8 else f" 0{nsn} "
        if style == DOTS:
            return (
                f"(0{nsn[:3]}) {nsn[3:7]}.{nsn[7:]}"
                if rng.random() < 0.5
                else f"0{nsn[:3]}.{nsn[3:7]}.{nsn[7:]}"
            )
        if style == NOZERO:
            return nsn
        if style == DOT0:
            return nsn + ".0" if rng.random() < 0.7 else "0" + nsn + ".0"
        if style == SCI:
            return f"{nsn[0]}.{nsn[1:5]}E+{len(nsn) - 1}"
        if style == BLANK:
            return rng.choice(BLANKS)
        if style == LANDLINE:
            area = rng.choice(LANDLINE_AREAS)
            local = (
                f"{rng.randrange(2, 10)}{rng.randrange(10**6):06d}"
                if len(area) == 2
                else f"{rng.randrange(2, 10)}{rng.randrange(10**5):05d}"
            )
            return rng.choice((f"0{area}-{local}", f"0{area}{local}", f"(0{area}) {local}"))
        if style == PLACEHOLDER:
            return rng.choice(PLACEHOLDERS)
        if style == TWO:
            other = self.numbers(1)[0]
            return rng.choice(
                (f"0{nsn} / 0{other}", f'"0{nsn}, 0{other}"', f"0{nsn} atau 0{other}", f"0{nsn}/0{other}")
            )
        if style == TYPO:
            national = "0" + nsn
            y = rng.random()
            if y < 0.4:
                return national[: rng.randrange(6, 10)]
            if y < 0.7:
                return national + str(rng.randrange(10, 1000))
            if y < 0.85:
                return "08" + rng.choice("0479") + nsn[2:]
            return national.replace("1", "l", 1) if "1" in national else national[:-1]
        return "0" + nsn


def _cumulative(weights: tuple[int, ...] | list[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


_V4_MASK = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_V4_BITS = (0x4 << 76) | (0x2 << 62)


def _uuids(rng: random.Random, n: int) -> list[str]:
    """n version-4 UUIDs drawn from rng (8-4-4-4-12 lowercase hex)."""
    getbits = rng.getrandbits
    hexes = [f"{(getbits(128) & _V4_MASK) | _V4_BITS:032x}" for _ in range(n)]
    return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes]


def _dob_pool(rng: random.Random, prefix: str, years: list[int], k: int = 32) -> list[str]:
    """NIK heads: kecamatan code + DDMMYY (day + 40 for women); k of them, reused in a school."""
    out = []
    ny = len(years)
    for _ in range(k):
        x = rng.random()
        day = int(x * 28) + 1 + (40 if int(x * 1e3) & 1 else 0)
        out.append(f"{prefix}{day:02d}{int(x * 1e5) % 12 + 1:02d}{years[int(x * 1e7) % ny] % 100:02d}")
    return out


def iter_lines(
    students: int,
    teachers: int,
    seed: int = 1,
    regencies: int | None = None,
    schools: int | None = None,
) -> Iterator[str]:
    """The cutoff as CSV text chunks (header first), school by school."""
    rng = random.Random(seed)
    plan = plan_schools(rng, students, teachers, regencies, schools)
    typist = _Typist(rng)
    cum_pd = list(_cumulative(STYLE_WEIGHTS_PD))
    cum_ptk = list(_cumulative(STYLE_WEIGHTS_PTK))
    style_ids = list(range(len(STYLE_WEIGHTS_PD)))
    rand = rng.random
    choices = rng.choices
    style = typist.style
    n_mid = len(MIDDLE)
    n_deg = len(DEGREES)
    yield ",".join(HEADER) + "\n"
    for school in plan:
        mid = f"{school.bentuk},{school.npsn},{school.name},{school.region}"
        tail = f",{school.status}\n"
        grades = FORMS[school.bentuk][3]
        parts: list[str] = []
        n = school.students
        if n:
            if grades:
                per_grade = _spread(n, [1.0] * len(grades))
                row_grades = [g for g, c in zip(grades, per_grade, strict=True) for _ in range(c)]
            else:
                row_grades = [0] * n
            numbers = typist.numbers(n)
            # Siblings: ~8 % of children give a parent's number already used in the school.
            for i in rng.sample(range(1, n), int((n - 1) * 0.08)) if n > 1 else ():
                numbers[i] = numbers[i - 1 - int(rand() * min(i, 40))]
            phones = [
                "0" + nsn if s == CLEAN else style(s, nsn)
                for s, nsn in zip(choices(style_ids, cum_weights=cum_pd, k=n), numbers, strict=True)
            ]
            # Now and then a whole class was given one number (the class teacher's).
            if grades and rand() < 0.03:
                g0 = rng.choice(grades)
                shared = "0" + typist.numbers(1)[0]
                phones = [
                    shared if g == g0 and rand() < 0.8 else p for g, p in zip(row_grades, phones, strict=True)
                ]
            xs = [rand() for _ in range(n)]
            names = [
                f"{a} {b}"
                if x > 0.6
                else f"{a} {MIDDLE[int(x * 1e4) % n_mid]} {b}"
                if x > 0.3 or x < 0.01
                else a
                for a, b, x in zip(choices(FIRST, k=n), choices(LAST, k=n), xs, strict=True)
            ]
            years = [2013 - g for g in grades] or [2015, 2016]
            dobs = _dob_pool(rng, school.nik_prefix, years)
            niks = [dobs[int(x * 1e6) & 31] + SEQ4[int(x * 1e10) % 9999 + 1] if x < 0.8 else "" for x in xs]
            nisns = [
                NISN_HEAD[g] + SEQ4[int(x * 1e9) % 10000] + SEQ4[int(x * 1e13) % 10000][1:]
                if g or x < 0.5
                else ""
                for g, x in zip(row_grades, xs, strict=True)
            ]
            gtxt = [str(g) if g else "" for g in row_grades]
            parts += [
                f"PD,{u},{nm},{ns},{nk},{g},{mid},{p}{tail}"
                for u, nm, ns, nk, g, p in zip(_uuids(rng, n), names, nisns, niks, gtxt, phones, strict=True)
            ]
        t = school.teachers
        if t:
            numbers = typist.numbers(t)
            phones = [
                "0" + nsn if s == CLEAN else style(s, nsn)
                for s, nsn in zip(choices(style_ids, cum_weights=cum_ptk, k=t), numbers, strict=True)
            ]
            xs = [rand() for _ in range(t)]
            names = [
                f'"{a} {b}{DEGREES[int(x * 1e4) % n_deg]}"' if x < 0.5 else f"{a} {b}"
                for a, b, x in zip(choices(FIRST, k=t), choices(LAST, k=t), xs, strict=True)
            ]
            dobs = _dob_pool(rng, school.nik_prefix, list(range(1960, 2000)))
            niks = [dobs[int(x * 1e6) & 31] + SEQ4[int(x * 1e10) % 9999 + 1] if x < 0.95 else "" for x in xs]
            parts += [
                f"PTK,{u},{nm},,{nk},,{mid},{p}{tail}"
                for u, nm, nk, p in zip(_uuids(rng, t), names, niks, phones, strict=True)
            ]
        yield "".join(parts)


def write_cutoff(
    path: str | Path,
    students: int,
    teachers: int,
    seed: int = 1,
    regencies: int | None = None,
    schools: int | None = None,
    fmt: str | None = None,
) -> dict[str, int]:
    """Write a synthetic cutoff to `path` (CSV, or XLSX when fmt='xlsx' or the name ends .xlsx).

    Returns {"rows": ..., "students": ..., "teachers": ..., "schools": ...}."""
    path = Path(path)
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    chunks = iter_lines(students, teachers, seed=seed, regencies=regencies, schools=schools)
    if fmt == "xlsx":
        _write_xlsx(path, chunks)
    else:
        with open(path, "w", encoding="utf-8", newline="") as out:
            pending: list[str] = []
            size = 0
            for chunk in chunks:
                pending.append(chunk)
                size += len(chunk)
                if size > 1 << 20:
                    out.write("".join(pending))
                    pending, size = [], 0
            out.write("".join(pending))
    n_schools = (
        schools
        if schools
        else max(
            1,
            round(
                sum(students * FORMS[f][0] / sum(v[0] for v in FORMS.values()) / FORMS[f][1] for f in FORMS)
            ),
        )
    )
    return {"rows": students + teachers, "students": students, "teachers": teachers, "schools": n_schools}


def _write_xlsx(path: Path, chunks: Iterator[str]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("cutoff")
    for chunk in chunks:
        for row in csv.reader(chunk.splitlines()):
            ws.append(row)
    wb.save(path)
