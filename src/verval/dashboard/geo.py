"""The province map: GeoJSON → SVG paths once per process, and the folding of provinces onto shapes.

The shipped shapes (Natural Earth, 33 provinces) predate Kalimantan Utara (2012, Kemendagri 65) and
the 2022 Papua split (93 Papua Selatan, 94 Papua Tengah, 95 Papua Pegunungan, 96 Papua Barat Daya).
Dapodik (2020) has 34 provinces, Kemendagri 38; both are folded onto the 33 shapes, and the map says so.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

GEOJSON = Path(__file__).resolve().parent.parent / "reference" / "data" / "provinsi_ne10m_simplified.geojson"

# Kemendagri province code → the shape that carries it when it has none of its own.
FOLDS: dict[str, str] = {"65": "64", "93": "91", "94": "91", "95": "91", "96": "92"}
KEMENDAGRI_NAMES = {
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}

# Equirectangular projection (Indonesia straddles the equator: no latitude correction needed).
LON0, LAT0, SCALE = 94.8, 6.3, 20.0
WIDTH, HEIGHT = 930, 360
MIN_STEP = 1.2  # px: points closer than this to the last kept one are dropped
MIN_RING = 2.0  # px: rings smaller than this (bounding box) are dropped

# Sequential ramp (ColorBrewer YlGnBu, colour-blind safe) for 0-20-40-60-80-100 %, plus "no data".
RAMP = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
NO_DATA = "#d0d7de"


@dataclass(frozen=True)
class Shape:
    code: str  # kemendagri code of the shape
    name: str
    path: str  # SVG path data


def _project(lon: float, lat: float) -> tuple[float, float]:
    return (lon - LON0) * SCALE, (LAT0 - lat) * SCALE


def _ring_path(ring: list[list[float]]) -> str:
    pts = [_project(lon, lat) for lon, lat in ring]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    if max(xs) - min(xs) < MIN_RING and max(ys) - min(ys) < MIN_RING:
        return ""
    kept = [pts[0]]
    for x, y in pts[1:]:
        lx, ly = kept[-1]
        if math.hypot(x - lx, y - ly) >= MIN_STEP:
            kept.append((x, y))
    if len(kept) < 3:
        return ""
    # Relative coordinates with one decimal keep the markup small.
    out = [f"M{kept[0][0]:.1f} {kept[0][1]:.1f}"]
    px, py = round(kept[0][0], 1), round(kept[0][1], 1)
    for x, y in kept[1:]:
        rx, ry = round(x, 1), round(y, 1)
        out.append(f"l{rx - px:.1f} {ry - py:.1f}")
        px, py = rx, ry
    out.append("z")
    return "".join(out).replace(".0 ", " ").replace(".0l", "l").replace(".0z", "z")


@lru_cache(maxsize=1)
def shapes() -> tuple[Shape, ...]:
    """The 33 shapes as SVG path data, computed once per process."""
    data = json.loads(GEOJSON.read_text(encoding="utf-8"))
    out = []
    for feature in data["features"]:
        props = feature["properties"]
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        parts = [_ring_path(ring) for poly in polygons for ring in poly]
        out.append(
            Shape(
                code=props["kode_kemendagri"],
                name=props.get("name_id") or props["name"],
                path="".join(p for p in parts if p),
            )
        )
    return tuple(sorted(out, key=lambda s: s.code))


def shape_codes() -> set[str]:
    return {s.code for s in shapes()}


def shape_for(kemendagri_code: str) -> str:
    """The shape code that carries a Kemendagri province code."""
    codes = shape_codes()
    if kemendagri_code in codes:
        return kemendagri_code
    return FOLDS.get(kemendagri_code, "")


def fold_notes(provinces: list[tuple[str, str, str]]) -> list[str]:
    """Captions for every fold: Dapodik provinces drawn on another's shape, and the 2022 split.

    `provinces`: (dapodik code, name, kemendagri code) of the provinces in the data.
    """
    names = {s.code: s.name for s in shapes()}
    notes = []
    for _code, name, kem in provinces:
        target = shape_for(kem)
        if target and target != kem:
            notes.append(
                _(
                    "%(name)s (kode Kemendagri %(kem)s) digambar pada bentuk %(target)s: peta dasar belum memisahkannya."
                )
                % {"name": name, "kem": kem, "target": names.get(target, target)}
            )
    notes.append(
        _(
            "Peta memuat 33 bentuk provinsi; Dapodik mencatat 34 provinsi dan Kemendagri kini 38. "
            "Pemekaran 2022 (Papua Selatan 93, Papua Tengah 94, Papua Pegunungan 95 → bentuk Papua; "
            "Papua Barat Daya 96 → bentuk Papua Barat): Dapodik 2020 masih mencatat 34 provinsi, "
            "jadi angkanya termasuk di Papua dan Papua Barat."
        )
    )
    return notes


def bin_index(percent: float | None) -> int | None:
    if percent is None:
        return None
    return min(4, max(0, int(percent // 20)))


def render_map(values: dict[str, dict], *, title: str) -> SafeString:
    """The choropleth as inline SVG.

    `values`: shape code → {"percent": float|None, "label": str, "href": str}. Every shape links to
    its province page and carries a <title> (tooltip and accessible name).
    """
    parts = [
        # role="group", not "img": an image's content is hidden from assistive technology, and
        # these shapes are links (decision 0050).
        f'<svg class="dash-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" aria-labelledby="map-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="map-title">{escape(title)}</title>'
    ]
    for shape in shapes():
        v = values.get(shape.code, {})
        idx = bin_index(v.get("percent"))
        fill = NO_DATA if idx is None else RAMP[idx]
        label = escape(v.get("label") or shape.name)
        path = f'<path d="{shape.path}" fill="{fill}" stroke="#ffffff" stroke-width="0.6"><title>{label}</title></path>'
        href = v.get("href")
        parts.append(f'<a href="{escape(href)}" aria-label="{label}">{path}</a>' if href else path)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every dynamic value above is escaped


def render_legend(metric_label: str) -> SafeString:
    """The map's legend as HTML beside it: drawn inside the map it shrank with it, to 4 px text on
    a 360 px phone. Swatches are tiny SVGs (a fill attribute, which the CSP allows; a style
    attribute it would not)."""
    no_data = _("tanpa data")
    items = [(colour, f"{i * 20}–{(i + 1) * 20}%") for i, colour in enumerate(RAMP)] + [(NO_DATA, no_data)]
    swatch = '<svg width="14" height="10" aria-hidden="true"><rect width="14" height="10" fill="{}" stroke="#57606a" stroke-width="1"/></svg>'
    lis = "".join(f"<li>{swatch.format(colour)} {escape(label)}</li>" for colour, label in items)
    return mark_safe(
        f'<p class="dash-legend-title">{escape(metric_label)}</p><ul class="dash-legend">{lis}</ul>'
    )  # noqa: S308 - escaped
