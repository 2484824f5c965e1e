"""Reason and warning codes of the phone-number engine.

The codes are stable wire values (stored in the database, written to CSV files and sent to
schools); never rename one. Add new codes at the end. Every code carries a message in
Indonesian and English and a "what to do" line a school operator understands.

No phone number ever appears in these texts, not even an example (they are stored with refused
rows and reach job reports and logs; the privacy canary of decision 0081 holds them to it): they
are shown next to the (masked) number.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reason", "REASONS", "WARNINGS", "describe"]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message_id: str
    message_en: str
    action_id: str
    action_en: str


def _r(code: str, message_id: str, message_en: str, action_id: str, action_en: str) -> Reason:
    return Reason(code, message_id, message_en, action_id, action_en)


# Why a number is refused. Order: roughly the order in which check() decides.
REASONS: dict[str, Reason] = {
    r.code: r
    for r in (
        _r(
            "KOSONG",
            "Nomor ponsel kosong atau diisi keterangan seperti 'tidak ada' / '-'.",
            "The phone number is blank or holds a note such as 'none' / '-'.",
            "Isi nomor ponsel aktif milik siswa/guru atau orang tua/wali. Jika memang tidak ada, "
            "biarkan kosong; nomor ini tidak akan menerima kuota.",
            "Enter the active mobile number of the student/teacher or their parent/guardian. "
            "If there is none, leave it blank; no data quota will be sent.",
        ),
        _r(
            "KARAKTER_TIDAK_SAH",
            "Nomor berisi huruf atau tanda yang bukan bagian nomor telepon.",
            "The number contains letters or symbols that are not part of a phone number.",
            "Tulis hanya angka: 10 sampai 13 angka yang diawali 08. Hapus huruf, nama, dan keterangan "
            "(HP, WA, dll.).",
            "Type digits only: 10 to 13 digits starting with 08. Remove letters, names and notes "
            "(HP, WA, etc.).",
        ),
        _r(
            "NOTASI_ILMIAH",
            "Nomor tersimpan sebagai notasi ilmiah (misalnya 8,12E+11) oleh Excel; sebagian angka hilang.",
            "The number was stored in scientific notation (e.g. 8.12E+11) by a spreadsheet; digits were lost.",
            "Ketik ulang nomor lengkap. Di Excel, format kolom sebagai Teks (Text) sebelum mengetik "
            "atau menempel nomor.",
            "Re-type the full number. In the spreadsheet, format the column as Text before typing "
            "or pasting numbers.",
        ),
        _r(
            "DUA_NOMOR",
            "Kolom berisi lebih dari satu nomor.",
            "The field holds more than one number.",
            "Pilih satu nomor ponsel yang paling aktif dipakai, dan hapus nomor lainnya.",
            "Choose the one mobile number that is used most, and delete the others.",
        ),
        _r(
            "TERLALU_PENDEK",
            "Nomor terlalu pendek. Nomor ponsel Indonesia terdiri dari 10-13 angka (diawali 08).",
            "The number is too short. Indonesian mobile numbers have 10-13 digits (starting with 08).",
            "Periksa apakah ada angka yang terlewat, lalu ketik ulang nomor lengkap.",
            "Check for missing digits and re-type the full number.",
        ),
        _r(
            "TERLALU_PANJANG",
            "Nomor terlalu panjang. Nomor ponsel Indonesia terdiri dari 10-13 angka (diawali 08).",
            "The number is too long. Indonesian mobile numbers have 10-13 digits (starting with 08).",
            "Periksa apakah ada angka yang terketik dua kali atau dua nomor yang tergabung.",
            "Check for a digit typed twice or two numbers run together.",
        ),
        _r(
            "BUKAN_INDONESIA",
            "Nomor memakai kode negara selain Indonesia (+62).",
            "The number uses a country code other than Indonesia (+62).",
            "Gunakan nomor ponsel Indonesia (diawali 08 atau +62 8). Kuota hanya dapat dikirim ke "
            "operator seluler Indonesia.",
            "Use an Indonesian mobile number (starting with 08 or +62 8). Quota can only be sent to "
            "Indonesian mobile operators.",
        ),
        _r(
            "TELEPON_RUMAH",
            "Nomor ini nomor telepon rumah/kantor (telepon tetap), bukan nomor ponsel.",
            "This is a landline (home/office) number, not a mobile number.",
            "Ganti dengan nomor ponsel (diawali 08) milik siswa/guru atau orang tua/wali.",
            "Replace it with a mobile number (starting with 08) of the student/teacher or parent/guardian.",
        ),
        _r(
            "NOMOR_LAYANAN",
            "Nomor ini nomor layanan (misalnya 112, 14xxx, 0800, 0807), bukan nomor ponsel pribadi.",
            "This is a service number (e.g. 112, 14xxx, 0800, 0807), not a personal mobile number.",
            "Ganti dengan nomor ponsel pribadi (diawali 08) milik siswa/guru atau orang tua/wali.",
            "Replace it with a personal mobile number (starting with 08) of the student/teacher or "
            "parent/guardian.",
        ),
        _r(
            "PREFIKS_TIDAK_DIKENAL",
            "Awalan nomor (misalnya 0810, 0820, 0840, 0890) tidak dipakai operator seluler Indonesia.",
            "The number's prefix (e.g. 0810, 0820, 0840, 0890) is not used by any Indonesian mobile operator.",
            "Periksa empat angka pertama. Nomor ponsel diawali misalnya 0811-0813, 0821-0823, 0851-0859, "
            "0877-0879, 0881-0889, 0895-0899, 0831-0833, 0838.",
            "Check the first four digits. Mobile numbers start with e.g. 0811-0813, 0821-0823, 0851-0859, "
            "0877-0879, 0881-0889, 0895-0899, 0831-0833, 0838.",
        ),
        _r(
            "NOMOR_CONTOH",
            "Nomor ini tampak seperti nomor contoh/isian asal (misalnya 08 lalu 1234567890, 0800000000, "
            "atau angka berulang/berurutan).",
            "This looks like a placeholder number (e.g. 08 then 1234567890, 0800000000, or repeated/"
            "sequential digits).",
            "Ganti dengan nomor ponsel asli yang aktif. Jika nomor ini memang benar, hubungi Dinas.",
            "Replace it with the real, active mobile number. If the number is genuine, contact the "
            "district office (Dinas).",
        ),
        # A date cell (or its text, 2024-01-05): read as digits it looked like a landline
        # (TELEPON_RUMAH) and sent the school after a fixed-line number nobody typed.
        _r(
            "NOMOR_BERUPA_TANGGAL",
            "Isian nomor berupa tanggal atau jam, bukan nomor ponsel: biasanya Excel mengubah nomor yang "
            "diketik menjadi tanggal.",
            "The number field holds a date or a time, not a mobile number: usually a spreadsheet (Excel) "
            "turned the number typed into a date.",
            "Ketik ulang nomor ponsel lengkap (diawali 08). Di Excel, format kolom nomor sebagai Teks (Text) "
            "sebelum mengetik atau menempel nomor.",
            "Re-type the full mobile number (starting with 08). In the spreadsheet, format the number column "
            "as Text before typing or pasting numbers.",
        ),
    )
}

# Recovered formats: the number is accepted, but the operator should know what was repaired.
WARNINGS: dict[str, Reason] = {
    r.code: r
    for r in (
        _r(
            "NOL_DEPAN_HILANG",
            "Angka 0 di depan nomor hilang (biasanya karena Excel); sudah ditambahkan kembali.",
            "The leading 0 was missing (usually a spreadsheet); it has been restored.",
            "Tidak perlu tindakan. Agar tidak terulang, format kolom nomor di Excel sebagai Teks.",
            "No action needed. To prevent it, format the number column as Text in the spreadsheet.",
        ),
        _r(
            "DESIMAL_SPREADSHEET",
            "Nomor tersimpan sebagai angka desimal (misalnya ...890.0) oleh Excel; sudah diperbaiki.",
            "The number was stored as a decimal (e.g. ...890.0) by a spreadsheet; it has been repaired.",
            "Tidak perlu tindakan. Agar tidak terulang, format kolom nomor di Excel sebagai Teks.",
            "No action needed. To prevent it, format the number column as Text in the spreadsheet.",
        ),
    )
}


def describe(code: str | None) -> Reason | None:
    """The Reason (or warning) for a code; None for None or an unknown code."""
    if code is None:
        return None
    return REASONS.get(code) or WARNINGS.get(code)
