"""The entries of the help pages (decision 0083), built from the codes and texts the other pages
already use, so that help and page cannot say two things:

- number statuses: the labels of `registry.models.NumberStatus`;
- why a number is refused: `phones.reasons` (REASONS, WARNINGS) through `registry.selectors.reason_text`,
  the sentence and "what to do" the school list shows on the row;
- residue: `exchange.reasons.RESIDUE_REASONS` (the same function);
- failed injections: `sptjm.reasons.FAILURE_ADVICE` and the words `failure_kind` sorts by (decision 0034);
- exclusions: `sptjm.selectors.exclusion_help`, with the period's own figures;
- an SPTJM scan refused: `sptjm.reasons.ACTION_REFUSALS` for `UPLOAD_REFUSALS`;
- a correction file refused: `registry.bulk.MESSAGES`;
- a provider's file refused: `exchange.reasons.REFUSALS` and `sptjm.reasons.ROW_REFUSALS`;
- reconciliation flags: `sptjm.reasons.RECONCILIATION_FLAGS`.

What only the help says (what a status means and what to do about it) is in `TEXTS` below, keyed by
the status codes; tests/help checks that every code of every enumeration has its entry.

Every entry has an anchor (`<section>-<CODE>`) on the page of the role that acts on it;
`help_url(section, code)` is the link a page puts beside a label or a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Entry:
    """One thing a page shows (a status, a reason, a refusal) as the help explains it."""

    section: str
    code: str
    label: str  # as the page shows it
    meaning: str = ""
    action: str = ""  # what to do about it; "" when nothing

    @property
    def anchor(self) -> str:
        return anchor(self.section, self.code)


def anchor(section: str, code: str) -> str:
    return f"{section}-{code}"


def _english() -> bool:
    return (get_language() or "id").startswith("en")


def _pick(pair: tuple[str, str]) -> str:
    """The text of a (Indonesian, English) pair in the page's language; a placeholder the page
    fills with its figure (`%(created)s`) reads "…" here."""
    return re.sub(r"%\((\w+)\)s", "…", pair[1] if _english() else pair[0])


# Which role's help page holds a section (the page a context link opens).
SECTION_PAGE = {
    "status": "operator",
    "alasan": "operator",
    "residu": "operator",
    "gagal": "operator",
    "dikecualikan": "operator",
    "sptjm": "operator",
    "unggah": "operator",
    "koreksi": "operator",
    "penyaluran": "operator",
    "hasil": "provider",
    "berkas": "provider",
    "injeksi": "provider",
    "rekonsiliasi": "pusdatin",
}


def help_url(section: str, code: str = "") -> str:
    """The address of a help entry (or of a section's first entry list, without a code)."""
    base = reverse(f"help:{SECTION_PAGE[section]}")
    return f"{base}#{anchor(section, code) if code else section}"


# ------------------------------------------------------------------ texts only the help has
# (meaning, what to do) per status code; the label stays the enumeration's.

TEXTS: dict[str, dict[str, tuple[Promise | str, Promise | str]]] = {
    "status": {
        "BELUM_VERVAL": (
            _(
                "Nomor dari cutoff Dapodik, atau nomor yang baru Anda ubah, yang belum diperiksa oleh "
                "validasi Pusdatin."
            ),
            _(
                'Periksa nomornya. Jika benar, centang barisnya lalu klik "Verifikasi nomor yang '
                'dipilih"; jika salah, klik "Ubah" dan ketik nomor yang benar.'
            ),
        ),
        "FORMAT_SALAH": (
            _("Nomor ditolak validasi Pusdatin karena bukan nomor ponsel Indonesia yang sah."),
            _("Baca alasannya di baris itu (daftar alasan ada di bawah), lalu ketik nomor yang benar."),
        ),
        "MENUNGGU_PROVIDER": (
            _("Format nomor sah dan nomornya sedang diperiksa oleh provider selulernya."),
            _("Tunggu jawaban provider; nomornya tidak perlu diubah."),
        ),
        "AKTIF": (
            _("Provider menyatakan nomor ini aktif: nomor siap dicantumkan pada SPTJM."),
            _("Cetak SPTJM bila halaman SPTJM memintanya. Jangan ganti nomor yang aktif tanpa alasan."),
        ),
        "RESIDU": (
            _("Provider mengembalikan nomor ini (data residu) dengan alasan yang tertera di barisnya."),
            _(
                "Lakukan yang diminta alasan itu (daftar di bawah): ganti nomornya, atau pastikan nomor "
                'sudah aktif lalu konfirmasi ulang dengan "Verifikasi nomor yang dipilih".'
            ),
        ),
    },
    "sptjm": {
        "DICETAK": (
            _("SPTJM sudah dicetak; data yang tercantum terkunci dan tidak dapat diubah."),
            _(
                "Minta kepala sekolah menandatangani di atas meterai Rp10.000 dan mengecapnya, lalu unggah pindaiannya."
            ),
        ),
        "DIUNGGAH": (
            _("Pindaian sudah diunggah dan menunggu pemeriksaan Pusdatin."),
            _("Tunggu. Anda masih dapat mengunggah ulang pindaian bila yang pertama keliru."),
        ),
        "DISETUJUI": (
            _("Pusdatin menyetujui SPTJM; nomor yang tercantum dikirim ke provider untuk injeksi kuota."),
            _("Tidak ada yang perlu dilakukan."),
        ),
        "DIKEMBALIKAN": (
            _("Pusdatin mengembalikan SPTJM (belum sempurna) dengan alasan yang tertera di halaman SPTJM."),
            _("Perbaiki sesuai alasan itu, lalu unggah pindaiannya lagi sebelum batas unggah."),
        ),
        "DIBATALKAN": (
            _("SPTJM dibatalkan oleh sekolah sebelum disetujui; datanya terbuka kembali."),
            _("Perbaiki nomor yang perlu diperbaiki, lalu cetak SPTJM baru."),
        ),
    },
    "penyaluran": {
        "DIJADWALKAN": (
            _("Penerima ada dalam batch penyaluran yang dikirim ke provider."),
            _("Tunggu hasil injeksi dari provider."),
        ),
        "BERHASIL": (
            _("Provider melaporkan kuota berhasil diinjeksi ke nomor ini."),
            _("Tidak ada yang perlu dilakukan."),
        ),
        "GAGAL": (
            _("Provider melaporkan injeksi kuota gagal, dengan alasannya."),
            _('Yang perlu dilakukan tergantung alasan dari provider; lihat "Injeksi kuota gagal" di bawah.'),
        ),
        "DIKECUALIKAN": (
            _("Penerima tidak dikirim ke provider pada periode ini karena aturan kebijakan kuota."),
            _('Lihat aturannya di "Penerima yang dikecualikan" di bawah.'),
        ),
    },
    # A failed injection's kind (sptjm.reasons.FailureKind): the name of the group; the advice is
    # the pages' own (FAILURE_ADVICE).
    "gagal": {
        "NOMOR": (_("Nomor tidak aktif atau tidak dikenal provider"), ""),
        "MASA_TENGGANG": (_("Nomor dalam masa tenggang"), ""),
        "SISTEM": (_("Gangguan sistem provider"), ""),
        "LAINNYA": (_("Alasan lain"), ""),
    },
}


# An exclusion rule the period's quota policy does not use (the 2020 policy has no usage minimum).
NOT_IN_POLICY = _("Kebijakan kuota periode ini tidak memakai aturan ini.")


def _texts(section: str, code: str) -> tuple[str, str]:
    meaning, action = TEXTS[section].get(code, ("", ""))
    return str(meaning), str(action)


# ------------------------------------------------------------------ the entries


def number_statuses() -> list[Entry]:
    from verval.registry.models import NumberStatus

    return [
        Entry("status", code, str(label), *_texts("status", code)) for code, label in NumberStatus.choices
    ]


def phone_reasons() -> list[Entry]:
    """Why a number is refused (and the two formats repaired), as the school list's row says it."""
    from verval.phones.reasons import REASONS, WARNINGS
    from verval.registry.models import NumberStatus
    from verval.registry.selectors import reason_text

    out = []
    for code in [*REASONS, *WARNINGS]:
        text = reason_text(NumberStatus.FORMAT_SALAH, code)
        assert text is not None
        out.append(Entry("alasan", code, text.message, "", text.action))
    return out


def residue_reasons() -> list[Entry]:
    from verval.registry.models import NumberStatus, ResidueReason
    from verval.registry.selectors import reason_text

    out = []
    for code, label in ResidueReason.choices:
        text = reason_text(NumberStatus.RESIDU, code)
        assert text is not None
        out.append(Entry("residu", code, str(label), text.message, text.action))
    return out


def failure_kinds() -> list[Entry]:
    """The kinds a provider's reason for a failed injection is sorted into, with the advice the
    school list, the SPTJM page and the home page give, and the words that decide the kind."""
    from verval.sptjm.reasons import _FAILURE_WORDS, FAILURE_ADVICE, FailureKind

    words = dict(_FAILURE_WORDS)
    out = []
    for kind in (FailureKind.NOMOR, FailureKind.MASA_TENGGANG, FailureKind.SISTEM, FailureKind.LAINNYA):
        label, _unused = _texts("gagal", kind)
        examples = ", ".join(f"\u201c{w}\u201d" for w in words.get(kind, ())[:6])
        out.append(Entry("gagal", kind, label, examples, _pick(FAILURE_ADVICE[kind])))
    return out


def exclusions(period: Any) -> list[Entry]:
    """The exclusion rules with the period's figures (the SPTJM page's own texts); without any
    period, their names only."""
    from verval.sptjm.models import ExclusionRule

    if period is None:
        return [Entry("dikecualikan", code, str(label)) for code, label in ExclusionRule.choices]
    from verval.sptjm.selectors import exclusion_help

    found = exclusion_help(period, [code for code, _label in ExclusionRule.choices])
    out = []
    for h in found.values():
        if h.code == ExclusionRule.PEMAKAIAN_RENDAH and period.policy.min_previous_usage_gb is None:
            out.append(Entry("dikecualikan", h.code, h.label, str(NOT_IN_POLICY)))
        else:
            out.append(Entry("dikecualikan", h.code, h.label, h.message, h.action))
    return out


def sptjm_statuses() -> list[Entry]:
    from verval.sptjm.models import SptjmStatus

    return [Entry("sptjm", code, str(label), *_texts("sptjm", code)) for code, label in SptjmStatus.choices]


def disbursement_statuses() -> list[Entry]:
    from verval.sptjm.models import DisbursementStatus

    return [
        Entry("penyaluran", code, str(label), *_texts("penyaluran", code))
        for code, label in DisbursementStatus.choices
    ]


def upload_refusals() -> list[Entry]:
    """What an SPTJM scan can be refused with (and the warning it can be accepted with), in the
    words of the message the SPTJM page shows."""
    from verval.sptjm.reasons import ACTION_REFUSALS, UPLOAD_REFUSALS, UPLOAD_WARNINGS

    return [
        Entry("unggah", code, _pick(ACTION_REFUSALS[code])) for code in (*UPLOAD_REFUSALS, *UPLOAD_WARNINGS)
    ]


def correction_refusals() -> list[Entry]:
    """What a correction file (or one of its rows) can be refused with: the preview's words."""
    from verval.registry.bulk import MESSAGES

    return [Entry("koreksi", code, _pick(texts)) for code, texts in MESSAGES.items()]


def result_statuses() -> list[Entry]:
    """The statuses a provider answers a dump row with (`exchange.models.ResultStatus`)."""
    from verval.exchange.models import ResultStatus

    return [Entry("hasil", code, str(label)) for code, label in ResultStatus.choices]


def result_file_refusals() -> list[Entry]:
    """Refusals of a provider's results file (match results)."""
    from verval.exchange.reasons import INFO_CODES, REFUSALS

    return [
        Entry("berkas", code, _pick(texts), "info" if code in INFO_CODES else "")
        for code, texts in REFUSALS.items()
    ]


def injection_file_refusals() -> list[Entry]:
    """Refusals of an injection, usage or recap file, on top of the structural ones above."""
    from verval.sptjm.reasons import ROW_REFUSALS

    return [Entry("injeksi", code, _pick(texts)) for code, texts in ROW_REFUSALS.items()]


def reconciliation_flags() -> list[Entry]:
    from verval.sptjm.reasons import RECONCILIATION_FLAGS

    return [Entry("rekonsiliasi", code, _pick(texts)) for code, texts in RECONCILIATION_FLAGS.items()]


def operator_entries(period: Any) -> dict[str, list[Entry]]:
    """Every entry of the school operator's page, by section."""
    return {
        "status": number_statuses(),
        "alasan": phone_reasons(),
        "residu": residue_reasons(),
        "gagal": failure_kinds(),
        "dikecualikan": exclusions(period),
        "sptjm": sptjm_statuses(),
        "unggah": upload_refusals(),
        "koreksi": correction_refusals(),
        "penyaluran": disbursement_statuses(),
    }


def anchors(entries: Iterable[Entry]) -> list[str]:
    return [e.anchor for e in entries]


def codes_of(section: str) -> frozenset[str]:
    """The codes a section of the help explains (language aside)."""
    from verval.exchange.models import ResultStatus
    from verval.exchange.reasons import REFUSALS
    from verval.phones.reasons import REASONS, WARNINGS
    from verval.registry.bulk import MESSAGES
    from verval.registry.models import NumberStatus, ResidueReason
    from verval.sptjm.models import DisbursementStatus, ExclusionRule, SptjmStatus
    from verval.sptjm.reasons import (
        FAILURE_ADVICE,
        RECONCILIATION_FLAGS,
        ROW_REFUSALS,
        UPLOAD_REFUSALS,
        UPLOAD_WARNINGS,
    )

    codes: dict[str, Iterable[str]] = {
        "status": NumberStatus.values,
        "alasan": [*REASONS, *WARNINGS],
        "residu": ResidueReason.values,
        "gagal": FAILURE_ADVICE,
        "dikecualikan": ExclusionRule.values,
        "sptjm": SptjmStatus.values,
        "unggah": [*UPLOAD_REFUSALS, *UPLOAD_WARNINGS],
        "koreksi": MESSAGES,
        "penyaluran": DisbursementStatus.values,
        "hasil": ResultStatus.values,
        "berkas": REFUSALS,
        "injeksi": ROW_REFUSALS,
        "rekonsiliasi": RECONCILIATION_FLAGS,
    }
    return frozenset(codes[section])


def help_url_for(code: str, *sections: str) -> str:
    """The help entry of `code` in the first of `sections` that explains it, or ""."""
    for section in sections:
        if code in codes_of(section):
            return help_url(section, code)
    return ""
