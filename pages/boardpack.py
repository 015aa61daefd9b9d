"""A self-contained HTML board pack: static map (inline SVG drawn from the boundaries and school points — no
network, no kaleido), headline figures, tables, definitions, data sources with file names, generated date.

Every string that comes from data passes through `html.escape` before it is written.
"""
from __future__ import annotations

import datetime as dt
import html

import numpy as np
import pandas as pd

from pages import maplayers as ml

SVG_W, SVG_H = 760, 520


def _e(v: object) -> str:
    return html.escape("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def _rings(geom) -> list:
    """Exterior and interior rings of a (multi)polygon as coordinate arrays."""
    if geom is None or geom.is_empty:
        return []
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom] if geom.geom_type == "Polygon" else []
    out = []
    for p in polys:
        out.append(np.asarray(p.exterior.coords))
        out.extend(np.asarray(r.coords) for r in p.interiors)
    return out


def svg_map(shapes, fills: dict[str, list[int]], points: pd.DataFrame | None, title: str = "") -> str:
    """Inline SVG of the areas (fill colours by shape code) and school points (lon/lat, colour, radius)."""
    xs, ys = [], []
    for g in shapes.geometry if shapes is not None else []:
        b = g.bounds
        xs += [b[0], b[2]]
        ys += [b[1], b[3]]
    if points is not None and len(points):
        xs += list(points["lon"])
        ys += list(points["lat"])
    if not xs:
        return '<p class="note">No boundaries or located schools to draw.</p>'
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    k = np.cos(np.radians((y0 + y1) / 2))  # equirectangular with the latitude's scale: shapes look right
    w, h = max((x1 - x0) * k, 1e-6), max(y1 - y0, 1e-6)
    s = min((SVG_W - 20) / w, (SVG_H - 20) / h)

    def tx(lon, lat):
        return 10 + (np.asarray(lon) - x0) * k * s, SVG_H - 10 - (np.asarray(lat) - y0) * s

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SVG_W} {SVG_H}" width="{SVG_W}" '
             f'height="{SVG_H}" role="img" aria-label="{_e(title or "Map")}">']
    for code, name, geom in shapes[["code", "name", "geometry"]].itertuples(index=False):
        fill = ml.hex_of(fills.get(str(code), ml.NO_DATA_RGBA))
        d = []
        for ring in _rings(geom):
            px, py = tx(ring[:, 0], ring[:, 1])
            d.append("M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py)) + "Z")
        parts.append(f'<path d="{"".join(d)}" fill="{fill}" stroke="#444" stroke-width="0.8" fill-rule="evenodd">'
                     f"<title>{_e(name)}</title></path>")
    if points is not None and len(points):
        px, py = tx(points["lon"], points["lat"])
        rmax = float(points["radius"].max()) or 1.0
        for x, y, c, r in zip(px, py, points["colour"], points["radius"]):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2 + 5 * float(r) / rmax:.1f}" '
                         f'fill="{ml.hex_of(c)}" stroke="#222" stroke-width="0.5"/>')
    parts.append("</svg>")
    return "".join(parts)


def _table(df: pd.DataFrame, max_rows: int = 60) -> str:
    if df is None or df.empty:
        return '<p class="note">Nothing to show.</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for r in df.head(max_rows).itertuples(index=False):
        cells = []
        for v in r:
            if isinstance(v, float):
                cells.append(f'<td class="n">{"" if np.isnan(v) else f"{v:.1f}"}</td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="note">First {max_rows} of {len(df)} rows.</p>' if len(df) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


CSS = """body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{margin-bottom:.2rem}.sub{color:#555;margin-top:0}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #ccc;border-radius:8px;padding:.6rem 1rem;min-width:150px}.card b{display:block;font-size:1.6rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #ddd;padding:3px 6px}
th{background:#f2f2f2;text-align:left}td.n{text-align:right}.note{color:#666;font-size:.85rem}
@media print{body{margin:0}}"""


def board_pack(title: str, subtitle: str, cards: list[tuple[str, str, str]], map_svg: str, legend: str,
               tables: list[tuple[str, pd.DataFrame]], definitions: list[str], sources: list[str],
               generated: dt.datetime | None = None) -> str:
    """The whole pack as one HTML string. cards = [(label, value, note)]; legend is HTML we built (escaped)."""
    when = (generated or dt.datetime.now()).strftime("%d %B %Y, %H:%M")
    card_html = "".join(f'<div class="card">{_e(lab)}<b>{_e(val)}</b><span class="note">{_e(note)}</span></div>'
                        for lab, val, note in cards)
    tab_html = "".join(f"<h2>{_e(t)}</h2>{_table(df)}" for t, df in tables)
    defs = "".join(f"<li>{_e(d)}</li>" for d in definitions)
    srcs = "".join(f"<li>{_e(s)}</li>" for s in sources) or "<li>none recorded</li>"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1><p class=\"sub\">{_e(subtitle)}</p>"
            f"<div class=\"cards\">{card_html}</div><h2>Map</h2>"
            f"<div style=\"display:flex;gap:1rem;align-items:flex-start\">"
            f"{map_svg}<div>{legend}</div></div>{tab_html}<h2>Definitions</h2><ul>{defs}</ul>"
            f"<h2>Data sources</h2><ul>{srcs}</ul><p class=\"note\">Generated {_e(when)} by gapwatch.</p>"
            "</body></html>")
