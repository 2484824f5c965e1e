"""Residue reasons (SPEC §4, §6) and the refusal codes of a results file, with texts in Indonesian
and English and, for residue, what the school should do next.

Plain data, no Django: the web pages, the API and the CLI all read these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResidueReason:
    code: str
    message_id: str
    message_en: str
    action_id: str
    action_en: str


# message: what the provider said; action: what the school does about it. The row shows both, one
# after the other, so the action does not repeat the message.
RESIDUE_REASONS: dict[str, ResidueReason] = {
    r.code: r
    for r in [
        ResidueReason(
            "TIDAK_AKTIF",
            "Nomor tidak aktif menurut provider.",
            "The provider reports the number as inactive.",
            "Pastikan nomor masih dipakai dan isi ulang pulsa, atau ganti dengan nomor yang aktif.",
            "Make sure it is still in use and top it up, or replace it with an active number.",
        ),
        ResidueReason(
            "MASA_TENGGANG",
            "Nomor dalam masa tenggang.",
            "The number is in its grace period.",
            "Minta pemilik mengisi ulang pulsa agar nomor aktif kembali, lalu konfirmasi ulang nomor ini.",
            "Ask the owner to top it up so it becomes active again, then re-confirm the number.",
        ),
        ResidueReason(
            "TIDAK_TERDAFTAR",
            "Nomor tidak terdaftar di provider.",
            "The number is not registered with the provider.",
            "Periksa kembali setiap digit nomor dengan pemiliknya, lalu perbaiki atau ganti nomor.",
            "Check every digit with its owner, then correct or replace the number.",
        ),
        ResidueReason(
            "BUKAN_PELANGGAN",
            "Provider menyatakan nomor ini bukan pelanggannya.",
            "The provider says this number is not its subscriber.",
            "Pastikan nomor benar; jika benar, konfirmasi ulang dan Pusdatin akan memeriksa penyalurannya.",
            "Make sure the number is right; if it is, re-confirm it and Pusdatin will review the routing.",
        ),
        ResidueReason(
            "LAINNYA",
            "Ditolak provider dengan alasan lain.",
            "Returned by the provider for another reason.",
            "Baca keterangan dari provider, perbaiki nomor bila perlu, lalu konfirmasi ulang.",
            "Read the provider's note, correct the number if needed, then re-confirm it.",
        ),
    ]
}


def residue_reason(code: str) -> ResidueReason:
    return RESIDUE_REASONS.get(code) or RESIDUE_REASONS["LAINNYA"]


# Row and file refusal codes of a results file: code -> (message id, message en).
REFUSALS: dict[str, tuple[str, str]] = {
    # whole file
    "BERKAS_KOSONG": (
        "Berkas kosong atau hanya berisi judul kolom.",
        "The file is empty or holds only the header.",
    ),
    "ENCODING_SALAH": ("Berkas bukan teks UTF-8.", "The file is not UTF-8 text."),
    "PEMISAH_SALAH": ("Pemisah kolom harus koma (,).", "Columns must be separated by commas (,)."),
    "KOLOM_SALAH": ("Judul kolom tidak sesuai format.", "The header does not match the format."),
    "BERKAS_TERPOTONG": (
        "Berkas terpotong (baris terakhir tidak lengkap).",
        "The file is cut off (last row incomplete).",
    ),
    "TERLALU_BANYAK_DITOLAK": (
        "Terlalu banyak baris ditolak; berkas ditolak seluruhnya. Periksa apakah berkas dan batch sudah benar.",
        "Too many rows refused; the whole file is refused. Check that the file and the batch are the right ones.",
    ),
    "BATCH_TIDAK_DIKENAL": ("Batch tidak ditemukan.", "Batch not found."),
    # row
    "JUMLAH_KOLOM": (
        "Jumlah kolom pada baris ini tidak sesuai judul.",
        "This row has the wrong number of columns.",
    ),
    "PD_ID_TIDAK_VALID": ("pd_id bukan UUID yang valid.", "pd_id is not a valid UUID."),
    "PD_ID_TIDAK_DIKENAL": ("pd_id tidak dikenal.", "Unknown pd_id."),
    "BUKAN_BATCH_INI": ("pd_id tidak termasuk dalam batch ini.", "pd_id is not part of this batch."),
    "NOMOR_TIDAK_VALID": ("no_ponsel tidak berformat angka yang valid.", "no_ponsel is not a valid number."),
    "NOMOR_TIDAK_SESUAI": (
        "no_ponsel berbeda dengan nomor yang dikirim dalam dump.",
        "no_ponsel differs from the number sent in the dump.",
    ),
    "STATUS_TIDAK_VALID": (
        "status harus salah satu dari AKTIF, TIDAK_AKTIF, MASA_TENGGANG, TIDAK_TERDAFTAR, BUKAN_PELANGGAN.",
        "status must be one of AKTIF, TIDAK_AKTIF, MASA_TENGGANG, TIDAK_TERDAFTAR, BUKAN_PELANGGAN.",
    ),
    "DUPLIKAT": (
        "pd_id muncul lebih dari sekali dalam berkas; baris pertama yang dipakai.",
        "pd_id appears more than once in the file; the first row is used.",
    ),
    "BERTENTANGAN": (
        "Jawaban bertentangan dengan jawaban sebelumnya untuk baris yang sama; tidak diterapkan, diteruskan ke Pusdatin.",
        "The answer contradicts an earlier answer for the same row; not applied, passed to Pusdatin.",
    ),
    # informational (answer recorded on the batch, recipient left alone; not counted as refused)
    "NOMOR_SUDAH_DIUBAH": (
        "Sekolah sudah mengganti nomor ini; jawaban dicatat tetapi tidak diterapkan. Nomor baru dikirim di batch berikutnya.",
        "The school changed this number meanwhile; the answer is recorded but not applied. The new number goes in a later batch.",
    ),
    "STATUS_SUDAH_BERUBAH": (
        "Status penerima sudah berubah sejak dump; jawaban dicatat tetapi tidak diterapkan.",
        "The recipient's status changed since the dump; the answer is recorded but not applied.",
    ),
}

# TERLALU_BANYAK_DITOLAK's message when every refused row contradicts an earlier answer: such a
# file is most likely a deliberate correction, not a wrong file, and a file cannot change an
# answer (decision 0103). Not a code of its own: scripts keep handling TERLALU_BANYAK_DITOLAK,
# and the help lists codes only.
ONLY_CONTRADICTIONS: tuple[str, str] = (
    "Terlalu banyak baris ditolak; berkas ditolak seluruhnya. Semua baris yang ditolak bertentangan "
    "dengan jawaban Anda sebelumnya untuk batch ini: jawaban pertama tetap berlaku dan tidak dapat "
    "diganti dengan berkas. Pusdatin melihat pertentangan ini di halaman batch dan akan menghubungi "
    "Anda. Untuk menerapkan baris lainnya, hapus baris yang bertentangan (lihat laporan) lalu kirim "
    "ulang berkas.",
    "Too many rows refused; the whole file is refused. Every refused row contradicts your earlier "
    "answer for this batch: the first answer stays and a file cannot replace it. Pusdatin sees these "
    "contradictions on the batch page and will contact you. To apply the other rows, remove the "
    "contradicting rows (see the report) and send the file again.",
)

# Codes that report a row without refusing it (they do not count towards the refusal share).
INFO_CODES = frozenset({"NOMOR_SUDAH_DIUBAH", "STATUS_SUDAH_BERUBAH"})
