from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from verval.core.numbers import grouped
from verval.registry.models import NumberStatus

register = template.Library()

ACTION_LABELS = {
    "import": _("Impor cutoff Dapodik"),
    "import_number_changed": _("Nomor berubah di cutoff Dapodik"),
    "import_number_kept": _("Cutoff Dapodik memuat nomor lain; nomor koreksi sekolah dipertahankan"),
    "change_number": _("Nomor diubah"),
    "confirm": _("Diverifikasi sekolah"),
    "reconfirm": _("Dikonfirmasi ulang (residu)"),
    "bulk_correction": _("Koreksi massal (Excel)"),
    "validate": _("Validasi Pusdatin"),
    "validasi": _("Validasi Pusdatin"),  # the code the validation run stores
    "provider_result": _("Hasil provider"),
}
_STATUS_LABELS = dict(NumberStatus.choices)
_VERDICTS_AFTER_CONFIRMATION = frozenset({NumberStatus.FORMAT_SALAH.value, NumberStatus.RESIDU.value})


@register.filter
def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


@register.filter
def status_label(code: str) -> str:
    return str(_STATUS_LABELS.get(code, code))


@register.filter
def history_reason(code: str) -> str:
    """A history row's reason code as the sentence a school reads (phone rule or residue)."""
    from verval.registry.selectors import history_reason as reason

    found = reason(code)
    return found.message if found else code


# ---------------------------------------------------------------------------------------------
# Table rows of the school page, built in Python: 500 rows through {% include %} cost ~0.7 s of
# template rendering, this costs a few milliseconds (SPEC §9, docs/benchmarks.md).


def _texts() -> dict[str, str]:
    from django.utils.translation import get_language, gettext

    return {
        "pick": escape(gettext("Pilih")),
        "confirmed": escape(gettext("dikonfirmasi sekolah")),
        # Beside "Belum diverifikasi" (SPEC §4's label of BELUM_VERVAL: Pusdatin's validation has
        # not run) the school's tick read as a contradiction; it says what still waits (0113).
        "confirmed_waiting": escape(gettext("dikonfirmasi sekolah, menunggu validasi Pusdatin")),
        "locked": escape(gettext("terkunci SPTJM")),
        "saved": escape(gettext("Tersimpan")),
        "same": escape(gettext("Nomor sama, tidak ada perubahan")),
        # Saved with a failing verdict (decision 0005): the reason follows on the row.
        "invalid": escape(gettext("Tersimpan, tetapi bukan nomor ponsel yang sah")),
        # SPEC §5: a number used by more recipients than SHARED_NUMBER_LIMIT.
        "shared": escape(gettext("nomor ini dipakai %(n)s penerima")),
        "precheck": escape(gettext("Pemeriksaan awal:")),
        # A quota injection that failed (and was not delivered since): the provider's reason.
        "failed": escape(gettext("Injeksi kuota gagal (%(period)s):")),
        "failed_changed": escape(
            gettext("Nomor sudah diganti; dikirim lagi setelah tervalidasi dan disetujui.")
        ),
        # What to do follows the provider's reason (sptjm.reasons.failure_advice, decision 0034).
        "language": get_language() or "",
        "edit": escape(gettext("Ubah")),
        "history": escape(gettext("Riwayat")),
        "nisn": "NISN",
    }


def _row_html(
    r: Any,
    can_edit: bool,
    base: str,
    back: str,
    t: Mapping[str, str],
    statuses: Mapping[str, str],
    saved: str,
    focus: bool = False,
) -> str:
    pk = str(r.pk)
    name = escape(r.name)
    parts = [f'<tr id="r{pk}">']
    if can_edit:
        # The label around the box is its tap target on a phone (44 px, app.css). autocomplete="off":
        # Back after a confirmation re-fetches the list (no-store), and the browser would tick the
        # boxes again from the page before, for rows the user has not looked at again.
        box = (
            ""
            if r.locked
            else (
                f'<label class="tap-box"><input type="checkbox" form="c" name="pilih" value="{pk}.{r.version}.{r.number_tag}" autocomplete="off" aria-label="{t["pick"]} {name}"></label>'
            )
        )
        parts.append(f'<td class="pick">{box}</td>')
    ident = "PTK" if r.kind == "PTK" else f"{t['nisn']} {escape(r.nisn) or '-'}"
    parts.append(f'<td class="who">{name}<br><small class="muted">{ident}</small></td>')
    parts.append(f'<td class="hide-sm">{escape(r.grade_label)}</td>')
    parts.append(f'<td class="nowrap no">{escape(r.shown_number) or "-"}</td>')
    status = f'<td class="st"><span class="label s-{r.status}">{statuses.get(r.status, r.status)}</span>'
    # A tick only where it is the latest word: a FORMAT_SALAH or RESIDU verdict came after the
    # school's confirmation and asks it to act again (re-confirming a residu is a new one).
    if r.confirmed_at and r.status not in _VERDICTS_AFTER_CONFIRMATION:
        confirmed = t["confirmed_waiting"] if r.status == NumberStatus.BELUM_VERVAL else t["confirmed"]
        status += f' <small class="okay">✓ {confirmed}</small>'
    if r.locked:
        status += f" <small>{t['locked']}</small>"
    shared_with = getattr(r, "shared_with", 0)
    if shared_with:
        status += f' <small class="warn">{t["shared"] % {"n": grouped(shared_with)}}</small>'
    if saved == "invalid":
        status += f' <small class="warn" role="alert">{t["invalid"]}</small>'
    elif saved:
        # read out through the list's #row-status (registry/_row.html), not from the swapped row
        status += f' <small class="okay">{t["same" if saved == "same" else "saved"]}</small>'
    failed = getattr(r, "failed_injection", None)
    if failed is not None:
        from verval.sptjm.reasons import failure_advice, masked_note

        note = escape(masked_note(failed.reason)) or "–"
        follow = (
            t["failed_changed"]
            if failed.phone_e164 != r.phone_e164
            else escape(failure_advice(failed.reason, t["language"]))
        )
        status += (
            f'<br><small class="warn">{t["failed"] % {"period": escape(failed.period.name)}} {note}'
            f" <b>{follow}</b></small>"
        )
    why = getattr(r, "why", None)
    if why:
        pre = f"{t['precheck']} " if getattr(r, "why_is_precheck", False) else ""
        action = f" <b>{escape(why.action)}</b>" if why.action else ""
        status += f"<br><small>{pre}{escape(why.message)}{action}</small>"
    parts.append(status + "</td>")
    # After an inline edit is saved or cancelled the keyboard comes back to this row's link, not
    # to the top of the page (htmx focuses an element marked autofocus once it is swapped in).
    autofocus = " autofocus" if focus else ""
    links = (
        f'<a class="tap" href="{base}{pk}/ubah/{back}" hx-get="{base}{pk}/ubah/"{autofocus}>{t["edit"]}</a> '
        if can_edit and not r.locked
        else ""
    )
    parts.append(
        f'<td class="nowrap acts">{links}<a class="tap" href="{base}{pk}/riwayat/">{t["history"]}</a></td></tr>\n'
    )
    return "".join(parts)


@register.simple_tag(takes_context=True)
def recipient_rows(context: Any, rows: Any, saved: str = "", focus: bool = False) -> str:
    """The <tr> of each recipient (decorated by selectors.decorate). saved: "saved", "same" or
    "invalid" (saved, but the number fails a rule) after an inline edit, else ""."""
    t = _texts()
    statuses = {code: escape(str(label)) for code, label in NumberStatus.choices}
    can_edit = bool(context.get("can_edit"))
    base = escape(context.get("row_base", ""))
    # The list's filters and page ride on the edit link (plain href only: htmx swaps the row in
    # place), so that an edit saved without JavaScript returns to the same list.
    query = context.get("list_query", "")
    back = escape(f"?{query}") if query else ""
    return mark_safe("".join(_row_html(r, can_edit, base, back, t, statuses, saved, focus) for r in rows))  # noqa: S308 - every value escaped above
