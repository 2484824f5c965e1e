"""Codes and messages (Indonesian, English) of the SPTJM and disbursement side. Plain data."""

from __future__ import annotations

from dataclasses import dataclass

from verval.core.jobs import JobRefused, RowIssue
from verval.exchange.reasons import REFUSALS as EXCHANGE_REFUSALS
from verval.exchange.resultfile import masked_text

# Refusals of an action (print, upload, review...): code -> (id, en).
ACTION_REFUSALS: dict[str, tuple[str, str]] = {
    "PERIODE_TIDAK_DIBUKA": (
        "Periode tidak ditemukan atau tidak dibuka.",
        "The period does not exist or is not open.",
    ),
    "TIDAK_ADA_DATA": (
        "Tidak ada data yang perlu dicantumkan pada SPTJM: semua nomor aktif sudah tercakup SPTJM.",
        "Nothing to list on an SPTJM: every active number is already covered.",
    ),
    "PERIODE_MASIH_DIBUKA": (
        "Periode SPTJM ini masih dibuka: hanya operator sekolah yang dapat membatalkannya.",
        "This SPTJM's period is still open: only the school's operator can void it.",
    ),
    "STATUS_TIDAK_SESUAI": (
        "SPTJM tidak dalam status yang mengizinkan tindakan ini.",
        "The SPTJM's status does not allow this.",
    ),
    # Raised for whichever transaction holds the rows (decision 0041): all three kinds are named.
    "SEDANG_DIPROSES": (
        "Data sekolah ini sedang diperbarui oleh proses lain: pekerjaan Pusdatin (misalnya impor "
        "Dapodik, validasi atau hasil provider), pekerjaan sekolah ini (berkas koreksi, cetak SPTJM atau "
        "pemeriksaan pindaian), atau simpanan pengguna lain. Tidak ada yang diubah; coba lagi beberapa "
        "menit lagi.",
        "This school's data is being updated by another process: a Pusdatin job (such as a Dapodik "
        "import, validation or provider results), a job of this school (a correction file, an SPTJM "
        "being printed or a scan being checked) or another user's save. Nothing was changed; try again "
        "in a few minutes.",
    ),
    "VERSI_BERUBAH": (
        "SPTJM sudah diubah orang lain sejak halaman dibuka. Muat ulang halaman.",
        "Someone else changed this SPTJM since you opened the page. Reload it.",
    ),
    "BERKAS_TERLALU_BESAR": (
        "Berkas pindaian lebih besar dari batas yang tertera di halaman. Pindai ulang dengan resolusi "
        "150–200 dpi atau hitam-putih.",
        "The scan file is larger than the limit shown on the page. Scan again at 150–200 dpi or in black and white.",
    ),
    "BERKAS_KOSONG": ("Berkas pindaian kosong.", "The scan file is empty."),
    # Decision 0107: one check of a document at a time; the same file joins the running one.
    "PINDAIAN_SEDANG_DIPERIKSA": (
        "Pindaian lain untuk SPTJM ini sedang diperiksa (diunggah oleh Anda atau operator lain sekolah "
        "ini). Berkas ini tidak disimpan. Tunggu hasil pemeriksaan itu di halaman ini, lalu unggah lagi "
        "bila masih perlu.",
        "Another scan of this SPTJM is being checked (uploaded by you or another operator of this "
        "school). This file was not kept. Wait for that check's result on this page, then upload again "
        "if still needed.",
    ),
    "JENIS_BERKAS_SALAH": (
        "Pindaian harus berupa PDF, JPG atau PNG (diperiksa dari isi berkas, bukan namanya).",
        "The scan must be a PDF, JPG or PNG (checked from the content, not the name).",
    ),
    "BERKAS_RUSAK": ("Berkas pindaian tidak dapat dibaca.", "The scan file cannot be read."),
    "HALAMAN_TERLALU_BANYAK": (
        "Pindaian memuat lebih banyak halaman daripada dokumen SPTJM yang dicetak. Unggah hanya "
        "halaman-halaman dokumen ini.",
        "The scan has more pages than the printed SPTJM. Upload the pages of this document only.",
    ),
    "QR_DOKUMEN_LAIN": (
        "Kode QR pada pindaian milik dokumen SPTJM lain. Unggah pindaian dari dokumen yang benar.",
        "The QR code on the scan belongs to another SPTJM. Upload the scan of the right document.",
    ),
    "QR_TIDAK_DITEMUKAN": (
        "Kode QR tidak terbaca pada pindaian. Pindaian tetap diterima, tetapi pastikan seluruh halaman terpindai jelas.",
        "No QR code could be read on the scan. The scan is accepted, but make sure every page is scanned clearly.",
    ),
    "QR_HALAMAN_KURANG": (
        "Kode QR dokumen ini terbaca pada %(found)s dari %(pages)s halaman yang dicetak. Pindaian tetap "
        "diterima, tetapi periksa apakah ada halaman yang terlewat atau kurang jelas, lalu unggah ulang "
        "bila perlu.",
        "The QR code of this document was read on %(found)s of the %(pages)s printed pages. The scan is "
        "accepted, but check whether a page was left out or scanned unclearly, and upload again if so.",
    ),
    # Texts under QR_DOKUMEN_LAIN and QR_HALAMAN_KURANG naming pages, and the warnings of a
    # document whose QR names its page (decision 0084).
    "QR_DOKUMEN_LAIN_HALAMAN": (
        "Halaman ke-%(at)s pindaian memuat kode QR dokumen SPTJM lain. Unggah pindaian yang hanya berisi "
        "halaman dokumen ini.",
        "Page %(at)s of the scan carries the QR code of another SPTJM. Upload a scan of this document's "
        "pages only.",
    ),
    "QR_DOKUMEN_LAIN_CETAKAN": (
        "Halaman ke-%(at)s pindaian berasal dari cetakan SPTJM lain sekolah ini (%(other)s), bukan dari "
        "dokumen ini. Unggah pindaian yang hanya berisi halaman dokumen ini.",
        "Page %(at)s of the scan comes from another print of this school's SPTJM (%(other)s), not from "
        "this document. Upload a scan of this document's pages only.",
    ),
    "QR_HALAMAN_KURANG_NOMOR": (
        "Halaman %(missing)s tidak terbaca pada pindaian: kode QR dokumen ini terbaca pada %(found)s dari "
        "%(pages)s halaman yang dicetak. Pindaian tetap diterima, tetapi periksa apakah halaman itu "
        "terlewat atau kurang jelas, lalu unggah ulang bila perlu.",
        "Not read on the scan: page %(missing)s. The QR code of this document was read on %(found)s of "
        "the %(pages)s printed pages. The scan is accepted, but check whether those pages were left out "
        "or scanned unclearly, and upload again if so.",
    ),
    "QR_HALAMAN_GANDA": (
        "Halaman %(repeated)s terpindai lebih dari sekali. Pindaian tetap diterima; buang salinan yang "
        "berlebih lalu unggah ulang bila perlu.",
        "Scanned more than once: page %(repeated)s. The scan is accepted; remove the extra copies and "
        "upload again if you wish.",
    ),
    "QR_HALAMAN_TIDAK_URUT": (
        "Halaman %(out_of_order)s terpindai sesudah halaman bernomor lebih besar: urutan halaman pada "
        "pindaian tidak sama dengan dokumen yang dicetak. Pindaian tetap diterima; urutkan halamannya "
        "lalu unggah ulang bila perlu.",
        "Scanned after a later page: page %(out_of_order)s. The pages of the scan are not in the printed "
        "order. The scan is accepted; put the pages in order and upload again if you wish.",
    ),
    "ALASAN_WAJIB": ("Alasan pengembalian wajib diisi.", "A reason for returning is required."),
    "BATCH_TIDAK_DIKENAL": ("Batch penyaluran tidak ditemukan.", "Disbursement batch not found."),
    "REKAP_TIDAK_VALID": (
        "Rekap tidak valid: angka harus bilangan bulat/desimal tidak negatif.",
        "Invalid recap: figures must be non-negative numbers.",
    ),
    # Texts under another code (ActionRefused(code, text=...)): REKAP_TIDAK_VALID naming the
    # figure refused, REKAP_TIDAK_KONSISTEN for GB without an injection (record_recap).
    "REKAP_TIDAK_VALID_KOLOM": (
        "Rekap tidak valid: %(figure)s harus berupa angka dari 0 sampai %(limit)s.",
        "Invalid recap: %(figure)s must be a number from 0 to %(limit)s.",
    ),
    "REKAP_TIDAK_KONSISTEN": (
        "Rekap tidak konsisten: injected (%(injected)s) + failed (%(failed)s) melebihi sent (%(sent)s); "
        "setiap baris yang dikirim hanya berhasil atau gagal.",
        "Inconsistent recap: injected (%(injected)s) + failed (%(failed)s) exceeds sent (%(sent)s); "
        "each row sent is either injected or failed.",
    ),
    "REKAP_GB_TANPA_INJEKSI": (
        "Rekap tidak konsisten: gb %(gb)s padahal injected 0; tanpa injeksi tidak ada kuota yang disalurkan.",
        "Inconsistent recap: gb is %(gb)s while injected is 0; without an injection no quota was delivered.",
    ),
}

# What a scan upload (actions.upload_scan) can be refused with, in the order it checks, and the
# code of the warning it accepts a scan with. The help page explains each (verval.help).
UPLOAD_REFUSALS = (
    "STATUS_TIDAK_SESUAI",
    "VERSI_BERUBAH",
    "BERKAS_KOSONG",
    "BERKAS_TERLALU_BESAR",
    "JENIS_BERKAS_SALAH",
    "PINDAIAN_SEDANG_DIPERIKSA",
    "BERKAS_RUSAK",
    "HALAMAN_TERLALU_BANYAK",
    "QR_DOKUMEN_LAIN",
)
UPLOAD_WARNINGS = ("QR_TIDAK_DITEMUKAN", "QR_HALAMAN_KURANG", "QR_HALAMAN_GANDA", "QR_HALAMAN_TIDAK_URUT")

# Row refusals of an injection or usage file (on top of the exchange's structural codes).
ROW_REFUSALS: dict[str, tuple[str, str]] = {
    # The exchange's text speaks of the dump; here the number was sent in a disbursement batch.
    "NOMOR_TIDAK_SESUAI": (
        "no_ponsel berbeda dengan nomor yang dikirim dalam batch penyaluran.",
        "no_ponsel differs from the number sent in the disbursement batch.",
    ),
    "STATUS_INJEKSI_TIDAK_VALID": ("status harus BERHASIL atau GAGAL.", "status must be BERHASIL or GAGAL."),
    "KUOTA_TIDAK_VALID": ("kuota_gb bukan angka yang valid.", "kuota_gb is not a valid number."),
    "WAKTU_TIDAK_VALID": ("waktu bukan tanggal-waktu ISO 8601.", "waktu is not an ISO 8601 date-time."),
    "WAKTU_DI_MASA_DEPAN": (
        "waktu injeksi berada di masa depan (lebih dari 1 jam setelah berkas diterima).",
        "waktu (injection time) is in the future (more than 1 hour after the file was received).",
    ),
    # A platform logging UTC without an offset meets this for a whole file made the same day:
    # the text names the batch's time and how a time without an offset is read (decision 0057).
    "WAKTU_SEBELUM_BATCH": (
        "waktu injeksi lebih dari 1 jam lebih awal daripada pembuatan batch penyaluran "
        "(%(created)s WIB). Waktu tanpa zona waktu dibaca sebagai WIB (+07:00): jika platform "
        "Anda mencatat UTC, tulis zonanya (2020-09-10T01:15:00Z atau +00:00).",
        "waktu (injection time) is more than 1 hour earlier than the creation of the disbursement "
        "batch (%(created)s WIB). A time without an offset is read as WIB (+07:00): if your platform "
        "logs UTC, write its offset (2020-09-10T01:15:00Z or +00:00).",
    ),
    "ALASAN_GAGAL_WAJIB": (
        "Baris GAGAL wajib menyebutkan alasannya di kolom keterangan.",
        "A GAGAL row must give its reason in the keterangan column.",
    ),
    "KUOTA_PADA_GAGAL": (
        "Baris GAGAL tidak boleh membawa kuota_gb lebih dari 0: tidak ada kuota yang disalurkan. "
        "Kosongkan kuota_gb.",
        "A GAGAL row cannot carry a kuota_gb above 0: no quota was delivered. Leave kuota_gb empty.",
    ),
    "PEMAKAIAN_TIDAK_VALID": (
        "pemakaian_gb bukan angka tidak negatif.",
        "pemakaian_gb is not a non-negative number.",
    ),
    "BERTENTANGAN_INJEKSI": (
        "Hasil bertentangan dengan hasil sebelumnya (BERHASIL tidak dapat menjadi GAGAL); tidak diterapkan.",
        "The result contradicts an earlier one (BERHASIL cannot become GAGAL); not applied.",
    ),
    "BUKAN_PENERIMA_PROVIDER": (
        "pd_id tidak pernah dikirim ke provider ini pada periode ini.",
        "pd_id was never sent to this provider in this period.",
    ),
    "MELEBIHI_MAKS_PAKET": (
        "Nomor ini sudah menerima paket sebanyak batas per periode (paling banyak 3); hasil BERHASIL "
        "ini tidak diterapkan.",
        "This number has already received the most packages a period allows (at most 3); this "
        "BERHASIL result is not applied.",
    ),
    "INJEKSI_TIDAK_BERHASIL": (
        "Penerima ini tidak berhasil diinjeksi pada nomor ini pada periode ini (GAGAL atau belum ada "
        "hasil BERHASIL): tidak ada kuota yang dipakai, pemakaian tidak diterima.",
        "This recipient was not injected successfully on this number in this period (failed, or no "
        "BERHASIL result yet): there was no quota to use, so usage is not accepted.",
    ),
}


# Reconciliation flags (selectors.reconcile): the codes stay in the CSV and the API; pages show
# these labels, in the page's language (as reasons, data with its own English: docs/i18n.md).
RECONCILIATION_FLAGS: dict[str, tuple[str, str]] = {
    "REKAP_BELUM_ADA": ("Rekap provider belum ada", "No recap from the provider yet"),
    "TERKIRIM_BERBEDA": (
        "Jumlah dikirim berbeda dengan rekap provider",
        "Rows sent differ from the provider recap",
    ),
    "BERHASIL_BERBEDA": (
        "Jumlah berhasil berbeda dengan rekap provider",
        "Rows injected differ from the provider recap",
    ),
    "GAGAL_BERBEDA": (
        "Jumlah gagal berbeda dengan rekap provider",
        "Rows failed differ from the provider recap",
    ),
    "GB_BERBEDA": (
        "GB berhasil berbeda dengan rekap provider",
        "GB injected differs from the provider recap",
    ),
    "HASIL_BELUM_LENGKAP": (
        "Ada baris yang belum dilaporkan hasilnya",
        "Some rows have no injection result yet",
    ),
    "GB_BARIS_BERBEDA": (
        "Kuota yang dilaporkan per baris berbeda dengan paket",
        "Quota reported per row differs from the package",
    ),
    "BERHASIL_GANDA": (
        "Penerima yang sama dilaporkan berhasil dua kali (dihitung satu paket)",
        "The same recipient reported injected twice (counted as one package)",
    ),
}


def flag_label(code: str, language: str | None) -> str:
    """A reconciliation flag as a page shows it; an unknown code as it is."""
    labels = RECONCILIATION_FLAGS.get(code)
    if labels is None:
        return code
    return labels[1] if (language or "").startswith("en") else labels[0]


def masked_note(text: str) -> str:
    """A provider's free-text note (the keterangan of a GAGAL row) as stored and shown: every
    stretch that could be a phone number masked as refused values are (`0812****7890`), ids and
    the rest as they are."""
    return masked_text(text)


def message(code: str) -> tuple[str, str]:
    return ACTION_REFUSALS.get(code) or ROW_REFUSALS.get(code) or EXCHANGE_REFUSALS[code]


def issue(line: int, column: str, code: str, value: str = "", **params: object) -> RowIssue:
    """A refused row of a provider's file: its value is stored and shown, so a number in it is
    masked whatever the column (as a results file's, exchange.resultfile.issue). `params` fill
    the message's `%(name)s` placeholders."""
    msg, msg_en = message(code)
    if params:
        msg, msg_en = msg % params, msg_en % params
    return RowIssue(
        line=line, column=column, code=code, message=msg, message_en=msg_en, value=masked_text(value)
    )


def refused(code: str, issues: list[RowIssue] | None = None, **counts: object) -> JobRefused:
    msg, msg_en = message(code)
    return JobRefused(code=code, message=msg, message_en=msg_en, issues=issues or [], counts=dict(counts))


class ActionRefused(Exception):
    """An SPTJM action refused (nothing changed); `code` is stable, messages for the user.

    `text` picks another message than the code's own (a more precise one under the same code),
    `params` fill its `%(name)s` placeholders; `field` names the input refused, if one is."""

    def __init__(self, code: str, *, text: str = "", field: str = "", **params: object) -> None:
        self.code = code
        self.field = field
        msg, msg_en = message(text or code)
        self.message, self.message_en = (msg % params, msg_en % params) if params else (msg, msg_en)
        super().__init__(code)


@dataclass(frozen=True, slots=True)
class ExclusionText:
    """Why a recipient got no package in a period (a rule of SPEC §6) and what the school can do.
    Plain data with `{placeholders}` for the period's figures (`exclusion_text` fills them); the
    pages pick the language as for residue reasons (docs/i18n.md: texts that are data)."""

    code: str
    message_id: str
    message_en: str
    action_id: str
    action_en: str


# Keyed by verval.sptjm.models.ExclusionRule. Placeholders: {cap} packages per number,
# {minimum} GB of usage, {previous} the previous period's name.
EXCLUSION_TEXTS: dict[str, ExclusionText] = {
    t.code: t
    for t in [
        ExclusionText(
            "MAKS_3_PAKET",
            "Nomor ini sudah menerima {cap} paket pada periode ini untuk penerima lain. Satu nomor "
            "paling banyak menerima {cap} paket per periode; paket diberikan menurut urutan "
            "persetujuan SPTJM.",
            "This number already carries {cap} packages this period for other recipients. A number "
            "receives at most {cap} packages per period, in the order the SPTJMs were approved.",
            "Ganti dengan nomor ponsel penerima sendiri (atau nomor orang tua/wali yang belum dipakai "
            "{cap} penerima) di data sekolah. Setelah nomor baru tervalidasi, dinyatakan aktif oleh "
            "provider dan tercantum pada SPTJM yang disetujui, paketnya dikirim pada batch "
            "berikutnya periode ini.",
            "Replace it in the school data with the recipient's own number (or a parent's or "
            "guardian's number not yet used by {cap} recipients). Once the new number is validated, "
            "matched active by the provider and listed on an approved SPTJM, its package goes out "
            "in the next batch of this period.",
        ),
        ExclusionText(
            "PEMAKAIAN_RENDAH",
            "Menurut laporan provider, nomor ini memakai kurang dari {minimum} GB pada periode "
            "sebelumnya ({previous}). Kebijakan periode ini tidak memberi paket kepada nomor dengan "
            "pemakaian serendah itu.",
            "According to the provider's report, this number used less than {minimum} GB in the "
            "previous period ({previous}). This period's policy gives no package to a number "
            "used that little.",
            "Pastikan nomor ini memang dipakai penerima. Jika penerima kini memakai nomor lain, "
            "perbarui nomornya di data sekolah: nomor baru yang tervalidasi, dinyatakan aktif oleh "
            "provider dan tercantum pada SPTJM yang disetujui dikirim pada batch berikutnya periode "
            "ini. Jika nomornya sudah benar, tidak ada yang perlu dilakukan; periode berikutnya "
            "menilai pemakaian periode ini.",
            "Make sure the recipient really uses this number. If the recipient now uses another "
            "one, update it in the school data: a new number that is validated, matched active by "
            "the provider and listed on an approved SPTJM goes out in the next batch of this "
            "period. If the number is right, there is nothing to do; the next period looks at "
            "this period's usage.",
        ),
        ExclusionText(
            "TANPA_PAKET",
            "Kebijakan kuota periode ini tidak memberi paket untuk kategori penerima ini.",
            "This period's quota policy gives no package to this recipient's category.",
            "Periksa jenis dan jenjang penerima di Dapodik: jika salah (misalnya guru tercatat "
            "sebagai peserta didik), perbaiki di Dapodik; perbaikannya masuk pada cutoff "
            "berikutnya. Jika sudah benar, tidak ada yang perlu dilakukan sekolah.",
            "Check the recipient's type and level in Dapodik: if wrong (a teacher recorded as a "
            "student, say), correct it in Dapodik; the correction comes in with the next cutoff. "
            "If right, the school has nothing to do.",
        ),
    ]
}


# ------------------------------------------------------------------ failed injections
# A GAGAL row's reason is the provider's free text (`keterangan`, SPEC §7): what the school must
# do depends on it (decisions/0034-what-a-failed-injection-asks-of-the-school.md). The text is
# sorted into a kind by the words providers use; the advice is data in both languages, as the
# residue reasons are (docs/i18n.md).


class FailureKind:
    MASA_TENGGANG = "MASA_TENGGANG"  # number in its grace period: top it up
    NOMOR = "NOMOR"  # number inactive, unknown, not a subscriber: replace it
    SISTEM = "SISTEM"  # the provider's own failure: the number is fine
    LAINNYA = "LAINNYA"  # a reason not recognised: read it
    # Not a reason: the school has already replaced the number since (registry rows, banners).
    DIGANTI = "DIGANTI"


# Checked in this order: a note naming the number's state ("nomor tidak aktif di sistem") is
# about the number, whatever else it says; a grace period is a state of its own.
_FAILURE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (FailureKind.MASA_TENGGANG, ("tenggang", "grace")),
    (
        FailureKind.NOMOR,
        (
            "tidak aktif",
            "nonaktif",
            "non aktif",
            "inactive",
            "not active",
            "tidak terdaftar",
            "tidak ditemukan",
            "tidak dikenal",
            "bukan pelanggan",
            "not registered",
            "not found",
            "unknown number",
            "not a subscriber",
            "nomor tidak valid",
            "invalid number",
            "terblokir",
            "diblokir",
            "blocked",
            "hangus",
        ),
    ),
    (
        FailureKind.SISTEM,
        (
            "sistem",
            "system",
            "gangguan",
            "coba lagi",
            "try again",
            "retry",
            "timeout",
            "time out",
            "server",
            "error",
            "teknis",
            "technical",
            "pemeliharaan",
            "maintenance",
        ),
    ),
)


def failure_kind(note: str) -> str:
    """The kind of a provider's reason for a failed injection (FailureKind), from its words; a
    residue code in it counts as its words (`MASA_TENGGANG`, `TIDAK_AKTIF`...)."""
    text = " ".join((note or "").lower().replace("_", " ").replace("-", " ").split())
    for kind, words in _FAILURE_WORDS:
        if any(w in text for w in words):
            return kind
    return FailureKind.LAINNYA


# kind -> (id, en): what the school does about a failed injection of that kind.
FAILURE_ADVICE: dict[str, tuple[str, str]] = {
    FailureKind.SISTEM: (
        "Gangguan di sistem provider, bukan masalah nomor: jangan ganti nomornya, sekolah tidak "
        "perlu berbuat apa-apa. Kuota dikirim lagi oleh provider atau pada penyaluran berikutnya.",
        "A failure of the provider's system, not of the number: do not replace it, the school has "
        "nothing to do. The quota is sent again by the provider or in the next disbursement.",
    ),
    FailureKind.MASA_TENGGANG: (
        "Nomor dalam masa tenggang: minta pemiliknya mengisi pulsa agar nomor aktif kembali. Nomor "
        "tidak perlu diganti; kuota dikirim lagi pada penyaluran berikutnya.",
        "The number is in its grace period: ask its owner to top it up so that it is active again. "
        "No need to replace it; the quota is sent again in the next disbursement.",
    ),
    FailureKind.NOMOR: ("Ganti dengan nomor yang aktif.", "Replace it with an active number."),
    FailureKind.LAINNYA: (
        "Baca alasan dari provider: jika nomornya salah atau tidak aktif, ganti dengan nomor yang "
        "aktif; jika bukan masalah nomor, sekolah tidak perlu berbuat apa-apa.",
        "Read the provider's reason: if the number is wrong or inactive, replace it with an active "
        "one; if the number is not the problem, the school has nothing to do.",
    ),
}


def failure_advice(note: str, language: str | None) -> str:
    """What the school does about a failed injection with the provider's reason `note`."""
    texts = FAILURE_ADVICE[failure_kind(note)]
    return texts[1] if (language or "").startswith("en") else texts[0]
