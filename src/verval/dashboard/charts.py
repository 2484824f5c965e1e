"""Small server-side SVG charts. No script, no style attributes (CSP): geometry and fill only.

Every chart has a <title> and sits beside a table with the same numbers, so it adds nothing a
screen reader or a browser without SVG would miss.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

from verval.dashboard.templatetags.dashboard_tags import pct1

COLOURS = {
    "imported": "#57606a",
    "valid": "#0b5394",
    "sent": "#3d85c6",
    "AKTIF": "#146c2e",
    "RESIDU": "#b35c00",
    "FORMAT_SALAH": "#a4161a",
    "MENUNGGU_PROVIDER": "#3d85c6",
    "BELUM_VERVAL": "#8c959f",
    "sptjm": "#6f42c1",
    "BERHASIL": "#146c2e",
    "GAGAL": "#a4161a",
    "berhasil_line": "#6f42c1",
}


def _n(value: int) -> str:
    return number_format(value, force_grouping=True)


def funnel_svg(stages: list[dict], *, title: str) -> SafeString:
    """Horizontal bars, one per stage, width relative to the first stage."""
    width, bar_h, gap, label_w = 640, 22, 8, 230
    top = max([s["value"] for s in stages] + [1])
    height = len(stages) * (bar_h + gap) + gap
    out = [
        f'<svg class="dash-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    span = width - label_w - 90
    for i, s in enumerate(stages):
        y = gap + i * (bar_h + gap)
        w = max(0.0, span * s["value"] / top)
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1b1f23">{escape(str(s["label"]))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{s.get("colour", "#0b5394")}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12" fill="#1b1f23">{_n(s["value"])}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above


def stacked_bars_svg(rows: list[dict], segments: list[tuple[str, str]], *, title: str) -> SafeString:
    """One horizontal 100 % bar per row, split into segments (key, label); a legend on top."""
    width, bar_h, gap, label_w, line_h = 640, 18, 8, 120, 18
    # The legend wraps to a second line when its labels (the status names of SPEC §4, as long as
    # "Proses validasi provider") do not fit beside each other.
    places, x, y = [], label_w, 6
    for key, label in segments:
        step = 14 + 7 * len(str(label)) + 10
        if x + step > width and x > label_w:
            x, y = label_w, y + line_h
        places.append((key, label, x, y))
        x += step
    legend_h = y + line_h
    height = legend_h + len(rows) * (bar_h + gap) + gap
    out = [
        f'<svg class="dash-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for key, label, x, y in places:
        out.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{COLOURS.get(key, "#57606a")}"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="11" fill="#1b1f23">{escape(str(label))}</text>'
        )
    span = width - label_w - 10
    for i, row in enumerate(rows):
        y = legend_h + gap + i * (bar_h + gap)
        total = row["total"] or 0
        out.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12" fill="#1b1f23">{escape(str(row["label"]))}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{y}" width="{span}" height="{bar_h}" fill="#f6f8fa" stroke="#d0d7de" stroke-width="0.5"/>'
        )
        x0 = float(label_w)
        for key, label in segments:
            v = row["parts"].get(key, 0)
            if not total or not v:
                continue
            w = span * v / total
            pct = 100 * v / total
            out.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS.get(key, "#57606a")}">'
                f"<title>{escape(str(row['label']))} · {escape(str(label))}: {_n(v)} ({pct1(pct)})</title></rect>"
            )
            x0 += w
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above


def line_svg(days: list[date], series: list[tuple[str, str, list[int]]], *, title: str) -> SafeString:
    """Progress over time: one polyline per series (key, label, values); y from 0 to the maximum."""
    width, height, left, right, top, bottom = 640, 220, 70, 10, 28, 24
    out = [
        f'<svg class="dash-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    peak = max([v for _k, _l, vals in series for v in vals] + [1])
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(days)

    def xy(i: int, v: int) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * v / peak

    for frac in (0, 0.5, 1):
        y = top + plot_h - plot_h * frac
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555d66">{_n(int(peak * frac))}</text>'
        )
    if days:
        out.append(
            f'<text x="{left}" y="{height - 6}" font-size="11" fill="#555d66">{days[0].isoformat()}</text>'
        )
        out.append(
            f'<text x="{width - right}" y="{height - 6}" text-anchor="end" font-size="11" fill="#555d66">{days[-1].isoformat()}</text>'
        )
    lx = left
    for key, label, vals in series:
        colour = COLOURS.get(key, "#57606a")
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(vals)))
        if n > 1:
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(vals):
            x, y = xy(i, v)
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>{days[i].isoformat()} {escape(str(label))}: {_n(v)}</title></circle>'
            )
        out.append(
            f'<rect x="{lx}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="15" font-size="11" fill="#1b1f23">{escape(str(label))}</text>'
        )
        lx += 14 + 7 * len(str(label)) + 12
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above
