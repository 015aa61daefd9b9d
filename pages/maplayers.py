"""Map building blocks shared by the map, board and early-years pages (no Streamlit here, so tests and the
HTML board pack use them too).

- colour scales: a diverging, colour-blind-safe ColorBrewer RdBu scale centred on zero (positive = warm =
  disadvantaged further behind / widening; negative = cool), light grey for no data; Okabe-Ito colours for
  school classifications;
- boundaries: `area_shapes(level, year)` in WGS84 with `code`/`name`, simplified for the browser;
- pydeck layers: areas (GeoJsonLayer), schools (ScatterplotLayer), partner arcs (ArcLayer), all with the same
  tooltip fields (`tt_title`, `tt_1`, `tt_2`, `tt_3`) so one tooltip template serves every layer;
- `legend_html`, `reading` (a one-line reading of the map), and the official LA-level figures
  (`official_area_gaps`) used where the store holds no school-level results.

Escaping: every data string that goes into HTML we write (legend, board pack) passes through `html.escape`.
Tooltip values are *not* pre-escaped: Streamlit's pydeck tooltip escapes each `{field}` it interpolates into an
`html` template (checked in Streamlit 1.67's DeckGlJsonChart), so escaping here would show "&amp;" to users.
"""
from __future__ import annotations

import functools
import hashlib
import html
import importlib
import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from gapdata.measures import MEASURES, year_label

# ColorBrewer RdBu (9 classes), from cool (negative) to warm (positive); colour-blind safe.
RDBU = [(33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240), (247, 247, 247), (253, 219, 199),
        (244, 165, 130), (214, 96, 77), (178, 24, 43)]
NO_DATA_RGBA = [215, 215, 215, 140]
OUTLINE_RGBA = [70, 70, 70, 200]

# Okabe-Ito, the classification colours for schools (and their legend order).
CLASS_COLOURS: dict[str, tuple[int, int, int]] = {
    "best practice": (0, 158, 115),      # bluish green
    "widening": (213, 94, 0),            # vermillion
    "narrowing": (0, 114, 178),          # blue
    "no clear change": (240, 228, 66),   # yellow
    "too small": (204, 121, 167),        # reddish purple
    "no data": (255, 255, 255),          # white (dark outline)
}
CLASS_LABELS = {"best practice": "Best practice", "widening": "Widening (credible)",
                "narrowing": "Narrowing (credible)", "no clear change": "No clear change",
                "too small": "Too small to say", "no data": "No data"}


# ---------------------------------------------------------------------------------------------- numbers
def unit_of(measure: str) -> str:
    return MEASURES[measure].unit if measure in MEASURES else "pp"


def fmt_gap(v: object, unit: str, signed: bool = False) -> str:
    """'12.3 pp' / '+0.45' / '–' for a missing value."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "–"
    return _fmt_float(float(v), unit, signed)


def arrow(change: object) -> str:
    """▲ for a gap that grew (widening direction), ▼ for one that shrank, '' when unknown."""
    if change is None or pd.isna(change):
        return ""
    return "▲" if float(change) > 0 else "▼" if float(change) < 0 else "="


def nice_limit(values: pd.Series | np.ndarray | list, floor: float = 1.0) -> float:
    """A round symmetric limit for the diverging scale: the largest |value| rounded up (1, 2, 2.5, 5 × 10^k)."""
    arr = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").abs().dropna()
    m = float(arr.max()) if len(arr) else 0.0
    m = max(m, floor)
    exp = 10 ** math.floor(math.log10(m))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * exp >= m:
            return float(step * exp)
    return float(10 * exp)


def diverging_rgba(values: pd.Series | list, limit: float, alpha: int = 190) -> list[list[int]]:
    """RdBu colour per value, centred on zero and saturating at ±limit; missing values light grey."""
    out = []
    n = len(RDBU) - 1
    for v in pd.Series(values, dtype="float64"):
        if pd.isna(v) or limit <= 0:
            out.append(list(NO_DATA_RGBA))
            continue
        t = (max(-limit, min(limit, float(v))) + limit) / (2 * limit) * n
        i = min(int(t), n - 1)
        f = t - i
        c = [round(RDBU[i][k] + (RDBU[i + 1][k] - RDBU[i][k]) * f) for k in range(3)]
        out.append(c + [alpha])
    return out


def hex_of(rgb: list[int] | tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*[int(x) for x in rgb[:3]])


def school_class(df: pd.DataFrame) -> pd.Series:
    """The colour class of each school: 'best practice' wins over its gap classification."""
    cls = df.get("classification", pd.Series("no data", index=df.index)).fillna("no data").astype(str)
    bp = df.get("best_practice", pd.Series(False, index=df.index)).fillna(False).astype(bool)
    return cls.where(~bp, "best practice")


# ---------------------------------------------------------------------------------------------- boundaries
LEVEL_FILES = {"la": "Counties_and_Unitary_Authorities_(December_2022)_UK_BUC.geojson",
               "district": "Local_Authority_Districts_(May_2021)_UK_BUC.geojson"}
_CODE_COLS = ("code", "areacd", "gss", "area_code", "ctyua22cd", "lad21cd")
_NAME_COLS = ("name", "areanm", "area_name", "ctyua22nm", "lad21nm")


def _normalise(gdf):
    """Any boundary frame -> GeoDataFrame[code, name, geometry] in WGS84."""
    lower = {c.lower(): c for c in gdf.columns}
    code = next((lower[c] for c in _CODE_COLS if c in lower), None)
    name = next((lower[c] for c in _NAME_COLS if c in lower), None)
    if code is None:
        raise ValueError("boundaries have no code column")
    out = gdf.rename(columns={code: "code", **({name: "name"} if name else {})})
    if "name" not in out:
        out["name"] = out["code"]
    if out.crs is not None and out.crs.to_epsg() != 4326:
        out = out.to_crs(4326)
    return out[["code", "name", "geometry"]].reset_index(drop=True)


def area_shapes(level: str, year: int, raw: Path | None = None, tolerance: float = 0.004):
    """Boundaries of one level ('la' or 'district') valid in `year`, WGS84, simplified for the browser.

    Uses geo.boundaries.boundaries(level, year) (year-correct: Bucks 2020, Somerset 2023 …) when that module is
    available; otherwise the bundle's CTYUA 2022 / LAD 2021 files. Returns GeoDataFrame[code, name, geometry].
    """
    import geopandas as gpd
    import shapely

    gdf = None
    try:
        mod = importlib.import_module("geo.boundaries")
        gdf = _normalise(mod.boundaries(level, year))
    except Exception:  # noqa: BLE001 - another engineer's module; fall back to the bundle files below
        gdf = None
    if gdf is None:
        from gapdata.paths import raw_dir

        path = (raw or raw_dir()) / "geo" / LEVEL_FILES.get(level, LEVEL_FILES["la"])
        if not path.exists():
            return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
        gdf = _normalise(gpd.read_file(path))
        gdf = gdf[gdf["code"].astype(str).str.startswith("E")]
    geom = shapely.set_precision(gdf.geometry.simplify(tolerance, preserve_topology=True).values, 1e-4)
    return gpd.GeoDataFrame({"code": gdf["code"].astype(str).values, "name": gdf["name"].astype(str).values},
                            geometry=geom, crs=4326)


def dissolve(shapes, membership: pd.DataFrame, member_col: str, area_col: str):
    """Union of member shapes per area (sub-regions from their LAs): GeoDataFrame[code, name, geometry]."""
    import geopandas as gpd

    m = shapes.merge(membership[[member_col, area_col]].drop_duplicates(), left_on="code", right_on=member_col)
    if m.empty:
        return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
    d = m.dissolve(by=area_col).reset_index()
    return gpd.GeoDataFrame({"code": d[area_col].astype(str), "name": d[area_col].astype(str)},
                            geometry=d.geometry.values, crs=4326)


def hulls(points: pd.DataFrame, key: str, buffer_deg: float = 0.01):
    """Areas drawn around their schools (liaison groups have no official boundary): buffered convex hulls."""
    import geopandas as gpd
    from shapely.geometry import MultiPoint

    rows = []
    for k, g in points.dropna(subset=["lon", "lat", key]).groupby(key):
        rows.append((str(k), MultiPoint(list(zip(g["lon"], g["lat"]))).convex_hull.buffer(buffer_deg)))
    return gpd.GeoDataFrame({"code": [r[0] for r in rows], "name": [r[0] for r in rows]},
                            geometry=[r[1] for r in rows], crs=4326)


def bounds_view(lon: pd.Series, lat: pd.Series, height_px: int = 600, width_px: int = 900) -> dict:
    """Centre and zoom that fit the points (Web Mercator), for pydeck's ViewState."""
    lon = pd.to_numeric(lon, errors="coerce").dropna()
    lat = pd.to_numeric(lat, errors="coerce").dropna()
    if lon.empty:
        return {"longitude": -1.8, "latitude": 52.6, "zoom": 5.3}
    x0, x1, y0, y1 = lon.min(), lon.max(), lat.min(), lat.max()
    dx = max(x1 - x0, 0.05) * 1.3
    ymerc = [math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (y0, y1)]
    dy = max(ymerc[1] - ymerc[0], 0.001) * 1.3
    zx = math.log2(width_px * 360 / (512 * dx))  # deck.gl: the world is 512 px wide at zoom 0
    zy = math.log2(height_px * 2 * math.pi / (512 * dy))
    return {"longitude": float((x0 + x1) / 2), "latitude": float((y0 + y1) / 2),
            "zoom": float(max(4.0, min(12.0, min(zx, zy))))}


# ---------------------------------------------------------------------------------------------- layers
def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def area_features(shapes, figures: pd.DataFrame, key: str, colour_by: str, unit: str, limit: float,
                  year_from: int | None = None, year_to: int | None = None) -> dict:
    """GeoJSON FeatureCollection of the areas with fill colour and tooltip fields.

    `figures` has `key` (matching shapes.code), gap_from, gap_to, change, classification and optionally name.
    `colour_by` is 'gap' (gap in year_to) or 'change'.
    """
    import shapely

    fig = figures.copy()
    fig["_code"] = fig[key].astype(str)
    fig = fig.drop_duplicates("_code").set_index("_code")
    feats = []
    vals = [fig["change" if colour_by == "change" else "gap_to"].get(str(c), np.nan) if len(fig) else np.nan
            for c in shapes["code"]]
    colours = diverging_rgba(vals, limit)
    lf = year_label(year_from) if year_from else "earlier year"
    lt = year_label(year_to) if year_to else "latest year"
    for (code, name, geom), colour in zip(shapes[["code", "name", "geometry"]].itertuples(index=False), colours):
        r = fig.loc[str(code)] if str(code) in fig.index else None
        label = str(r["name"]) if r is not None and "name" in fig and pd.notna(r["name"]) else str(name)
        if r is None:
            l1, l2, l3 = "No results for this area", "", ""
            props_extra = {"gap_to": None, "change": None, "classification": "no data"}
        else:
            l1 = f"Gap {lt}: {fmt_gap(r.get('gap_to'), unit)} (was {fmt_gap(r.get('gap_from'), unit)} in {lf})"
            l2 = f"Change: {fmt_gap(r.get('change'), unit, signed=True)} {arrow(r.get('change'))} — " \
                 f"{r.get('classification', 'no data')}"
            l3 = str(r.get("tt_extra", "") or r.get("reason", "") or "")
            props_extra = {"gap_to": _num(r.get("gap_to")), "change": _num(r.get("change")),
                           "classification": str(r.get("classification", "no data"))}
        feats.append({"type": "Feature", "geometry": _geojson(shapely, geom),
                      "properties": {"code": str(code), "name": label, "fill": colour, "tt_title": label,
                                     "tt_1": l1, "tt_2": l2, "tt_3": l3, **props_extra}})
    return {"type": "FeatureCollection", "features": feats}


def _geojson(shapely_mod, geom) -> dict:
    import json

    return json.loads(shapely_mod.to_geojson(geom))


SLIM_POINTS = 3000


POINT_FIELDS = ["urn", "lon", "lat", "colour", "radius", "tt_title", "tt_1", "tt_2", "tt_3"]


def school_points(schools: pd.DataFrame, unit: str, year_from: int, year_to: int) -> pd.DataFrame:
    """Located schools with colour, radius (√ disadvantaged cohort) and tooltip fields, for a ScatterplotLayer."""
    return pd.DataFrame(_point_columns(schools, unit, year_from, year_to), columns=POINT_FIELDS)


def school_point_records(schools: pd.DataFrame, unit: str, year_from: int, year_to: int) -> list[dict]:
    """school_points as the list of records deck.gl takes, built without a DataFrame in between."""
    cols = _point_columns(schools, unit, year_from, year_to)
    return [dict(zip(POINT_FIELDS, row)) for row in zip(*(cols[c] for c in POINT_FIELDS))]


def _fmt_float(v: float, unit: str, signed: bool = False) -> str:
    """fmt_gap for a plain float (NaN = missing), without pandas' checks: it runs for every school on the map."""
    if v != v:
        return "–"
    num = f"{v:+.1f}" if signed and unit == "pp" else f"{v:.1f}" if unit == "pp" else f"{v:+.2f}" if signed \
        else f"{v:.2f}"
    return f"{num} pp" if unit == "pp" else num


def _point_columns(schools: pd.DataFrame, unit: str, year_from: int, year_to: int) -> dict[str, list]:
    """Column lists of school_points (plain Python values, one per located school)."""
    s = schools.dropna(subset=["lon", "lat"])
    if s.empty:
        return {c: [] for c in POINT_FIELDS}
    cls = school_class(s).tolist()
    colours = {c: list(CLASS_COLOURS.get(c, CLASS_COLOURS["no data"])) + [235] for c in set(cls)}
    n = pd.to_numeric(s.get("dis_n_to"), errors="coerce").fillna(0).to_numpy(float)
    lf, lt = year_label(year_from), year_label(year_to)
    names = s["name"].fillna("").astype(str).tolist()
    urns = s["urn"].astype("int64").tolist()
    gap_to = s["gap_to"].to_numpy(float, na_value=np.nan).tolist()
    gap_from = s["gap_from"].to_numpy(float, na_value=np.nan).tolist()
    dis_n = s["dis_n_to"].to_numpy(float, na_value=np.nan).tolist()
    cols: dict[str, list] = {
        "urn": urns, "lon": s["lon"].round(5).tolist(), "lat": s["lat"].round(5).tolist(),
        "colour": [colours[c] for c in cls], "radius": (120 + 60 * np.sqrt(n)).tolist(),
        "tt_title": [f"{nm} (URN {u})" for nm, u in zip(names, urns)],
        "tt_1": [f"Gap {lt}: {_fmt_float(g, unit)} (was {_fmt_float(g0, unit)} in {lf}); "
                 f"{'–' if d != d else int(d)} disadvantaged pupils" for g, g0, d in zip(gap_to, gap_from, dis_n)]}
    if len(s) > SLIM_POINTS:  # keep the browser payload small: short tooltips for big selections
        cols["tt_2"] = [CLASS_LABELS.get(c, c) for c in cls]
        cols["tt_3"] = [""] * len(s)
        return cols
    reasons = s["reason"].fillna("").astype(str).tolist()
    cols["tt_2"] = [f"{CLASS_LABELS.get(c, c)}: {r}" for c, r in zip(cls, reasons)]
    bp = s["best_practice"].fillna(False).astype(bool).tolist()
    tg = s["targeted"].fillna(False).astype(bool).tolist()
    bp_r = s.get("best_practice_reason", pd.Series("", index=s.index)).fillna("").astype(str).tolist()
    tg_r = s.get("targeted_reason", pd.Series("", index=s.index)).fillna("").astype(str).tolist()
    cols["tt_3"] = [b_r if b else ("Targeted: " + t_r if t else "") for b, t, b_r, t_r in zip(bp, tg, bp_r, tg_r)]
    return cols


def arc_rows(assigned: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """Targeted school -> assigned partner arcs (both ends located), with tooltip fields."""
    cols = ["src_lon", "src_lat", "dst_lon", "dst_lat", "tt_title", "tt_1", "tt_2", "tt_3"]
    if assigned is None or assigned.empty or "partner_urn" not in assigned:
        return pd.DataFrame(columns=cols)
    loc = schools.dropna(subset=["lon", "lat"]).drop_duplicates("urn").set_index("urn")[["lon", "lat"]]
    a = assigned.dropna(subset=["partner_urn"]).copy()
    a = a[a["urn"].isin(loc.index) & a["partner_urn"].isin(loc.index)]
    if a.empty:
        return pd.DataFrame(columns=cols)
    a["src_lon"] = a["urn"].map(loc["lon"])
    a["src_lat"] = a["urn"].map(loc["lat"])
    a["dst_lon"] = a["partner_urn"].map(loc["lon"])
    a["dst_lat"] = a["partner_urn"].map(loc["lat"])
    a["tt_title"] = a["name"].astype(str) + " → " + a["partner_name"].astype(str)
    a["tt_1"] = [f"{d:.1f} km" if pd.notna(d) else "" for d in a.get("distance_km", pd.Series(np.nan, a.index))]
    a["tt_2"] = a.get("reason", "").fillna("").astype(str)
    a["tt_3"] = ""
    return a[cols].reset_index(drop=True)


TOOLTIP = {"html": "<b>{tt_title}</b><br/>{tt_1}<br/>{tt_2}<br/><i>{tt_3}</i>",
           "style": {"backgroundColor": "#1f2630", "color": "#ffffff", "fontSize": "14px", "maxWidth": "420px",
                     "whiteSpace": "normal"}}


NETWORKS_ENV = "GAPWATCH_NETWORKS"
NETWORK_RGBA = [20, 20, 20, 255]


def networks_file() -> Path | None:
    """The user's networks CSV ($GAPWATCH_NETWORKS, else config/networks.csv), or None when there is none."""
    import os

    env = os.environ.get(NETWORKS_ENV)
    p = Path(env) if env else Path(__file__).resolve().parents[1] / "config" / "networks.csv"
    return p if p.is_file() else None


def network_points(con: duckdb.DuckDBPyConnection, path: str) -> tuple[pd.DataFrame, list[str]]:
    """Lead locations of the networks in `path` (geo.networks format) with tooltips, and the problems found.

    Leads given by URN take the school's coordinates and by postcode Code-Point's; each problem names the
    file, line and column.
    """
    from gapdata.build import bng_to_wgs84
    from geo import networks as nw

    schools = con.execute("SELECT urn, easting, northing FROM schools").fetchdf()
    postcodes = con.execute("SELECT postcode_key, easting, northing FROM postcodes").fetchdf()
    try:
        df, problems = nw.read_networks(Path(path), schools, postcodes)
    except Exception as exc:  # noqa: BLE001 - a SourceError names file and line: show it, never raise
        return pd.DataFrame(), [str(exc)]
    msgs = [f"{Path(r.file).name} line {r.line}" + (f", column {r.column}" if r.column else "") + f": {r.reason}"
            for r in problems]
    df = df.dropna(subset=["lead_easting", "lead_northing"]).reset_index(drop=True)
    if df.empty:
        return df, msgs
    df["lon"], df["lat"] = bng_to_wgs84(df["lead_easting"].to_numpy(), df["lead_northing"].to_numpy())
    df["tt_title"] = df["name"].astype(str)  # tooltips: Streamlit escapes each field (see the module docstring)
    df["tt_1"] = df["kind"].astype(str)
    df["tt_2"] = [f"{len(m)} member schools" for m in df["member_urns"]]
    df["tt_3"] = "existing network (lead location)"
    return df[["name", "kind", "lon", "lat", "tt_title", "tt_1", "tt_2", "tt_3"]], msgs


def deck(area_geojson: dict | None, points: pd.DataFrame | None, arcs: pd.DataFrame | None, view: dict,
         basemap: bool = False, big: bool = False, networks: pd.DataFrame | None = None):
    """The pydeck Deck: areas, schools, arcs (each with an id so selections survive reruns)."""
    import pydeck as pdk

    layers = []
    if area_geojson and area_geojson.get("features"):
        layers.append(pdk.Layer("GeoJsonLayer", id="areas", data=area_geojson, pickable=True, stroked=True,
                                filled=True, get_fill_color="properties.fill", get_line_color=OUTLINE_RGBA,
                                line_width_min_pixels=1.5 if big else 1, auto_highlight=True,
                                highlight_color=[255, 255, 255, 90]))
    if points is not None and len(points):
        layers.append(pdk.Layer("ScatterplotLayer", id="schools", data=points, pickable=True, stroked=True,
                                get_position=["lon", "lat"], get_fill_color="colour", get_radius="radius",
                                radius_min_pixels=4 if big else 3, radius_max_pixels=22 if big else 16,
                                get_line_color=[30, 30, 30, 230], line_width_min_pixels=1, auto_highlight=True))
    if arcs is not None and len(arcs):
        layers.append(pdk.Layer("ArcLayer", id="arcs", data=arcs, pickable=True,
                                get_source_position=["src_lon", "src_lat"], get_target_position=["dst_lon", "dst_lat"],
                                get_source_color=list(CLASS_COLOURS["widening"]) + [230],
                                get_target_color=list(CLASS_COLOURS["best practice"]) + [230],
                                get_width=4 if big else 3))
    if networks is not None and len(networks):
        # Hollow black rings, larger than school points, so a hub reads apart from the schools' colours.
        layers.append(pdk.Layer("ScatterplotLayer", id="networks", data=networks, pickable=True, filled=False,
                                stroked=True, get_position=["lon", "lat"], get_radius=1,
                                radius_min_pixels=12 if big else 9, get_line_color=NETWORK_RGBA,
                                line_width_min_pixels=4 if big else 3))
    style = "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json" if basemap else None
    return _compact_deck_class()(layers=layers, initial_view_state=pdk.ViewState(**view, pitch=0, bearing=0),
                                 map_style=style, tooltip=TOOLTIP, map_provider="carto" if basemap else None)


class PreEncoded(list):
    """Layer records with their JSON written once: cached with the records, so a rerun that shows the same
    points does not encode 16,000 of them again (CompactDeck splices `json` into the deck's JSON)."""

    def __init__(self, records: list[dict]):
        super().__init__(records)
        self.json = json.dumps(records, sort_keys=True, separators=(",", ":"))


@functools.cache
def _compact_deck_class() -> type:
    """pydeck's Deck, serialised without indentation (with `indent`, Python's json falls back to its pure-Python
    encoder: 4x slower at England scale) and with PreEncoded layer data spliced in as written. Same JSON."""
    import pydeck as pdk
    from pydeck.bindings.json_tools import default_serialize

    class CompactDeck(pdk.Deck):
        def to_json(self) -> str:
            swaps = []
            for i, layer in enumerate(self.layers):
                data = getattr(layer, "_data", None)
                if isinstance(data, PreEncoded):
                    swaps.append((layer, data, f"@@gapwatch-layer-data-{i}@@"))
                    layer._data = swaps[-1][2]
            try:
                text = json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
            finally:
                for layer, data, _token in swaps:
                    layer._data = data
            for _layer, data, token in swaps:
                text = text.replace(json.dumps(token), data.json, 1)
            return text

    return CompactDeck


# ---------------------------------------------------------------------------------------------- legend, reading
def legend_html(limit: float, unit: str, colour_by: str, show_schools: bool, show_arcs: bool = False,
                big: bool = False, title: str | None = None,
                groups: tuple[str, str] = ("other", "disadvantaged"), show_networks: bool = False) -> str:
    """HTML legend: the diverging scale with its end labels, grey = no data, and the school colours."""
    fs = 18 if big else 13
    bar = 300 if big else 190
    u = "pp" if unit == "pp" else "points"
    what = "Change in gap" if colour_by == "change" else f"Gap ({groups[0]} − {groups[1]})"
    lo = "narrowing" if colour_by == "change" else f"{groups[1]} ahead"
    hi = "widening" if colour_by == "change" else f"{groups[1]} behind"
    stops = ", ".join(hex_of(c) for c in RDBU)
    parts = [f'<div style="font-size:{fs}px;line-height:1.5">']
    if title:
        parts.append(f"<b>{html.escape(title)}</b><br/>")
    parts.append(f"<b>{html.escape(what)}</b> ({u})"
                 f'<div style="width:100%;max-width:{bar + 80}px">'
                 f'<div style="display:flex;align-items:center;gap:6px">'
                 f"<span>−{limit:g}</span>"
                 f'<span style="display:inline-block;flex:1;height:{fs}px;border:1px solid #666;'
                 f'background:linear-gradient(to right, {stops})"></span><span>+{limit:g}</span></div>'
                 f'<div style="display:flex;justify-content:space-between;font-size:{fs - 2}px">'
                 f"<span>◀ {lo}</span><span>{hi} ▶</span></div></div>"
                 f'<span style="display:inline-block;width:{fs}px;height:{fs}px;background:{hex_of(NO_DATA_RGBA)};'
                 f'border:1px dashed #666;vertical-align:middle"></span> no data / too small<br/>')
    if show_schools:
        parts.append("<b>Schools</b> (size = disadvantaged pupils)<br/>")
        for k, rgb in CLASS_COLOURS.items():
            parts.append(f'<span style="white-space:nowrap;margin-right:12px"><span style="display:inline-block;'
                         f"width:{fs}px;height:{fs}px;border-radius:50%;background:{hex_of(rgb)};"
                         f'border:1px solid #222;vertical-align:middle"></span> {html.escape(CLASS_LABELS[k])}</span>'
                         + ("" if big else "<br/>"))
        parts.append("<br/>")
    if show_arcs:
        parts.append("<b>Arcs</b>: targeted school (orange end) → assigned partner (green end)<br/>")
    if show_networks:
        parts.append(f'<span style="display:inline-block;width:{fs}px;height:{fs}px;border-radius:50%;'
                     'border:3px solid #141414;vertical-align:middle"></span> existing network (hub, cluster) '
                     "lead<br/>")
    parts.append("</div>")
    return "".join(parts)


def reading(areas: pd.DataFrame, name_col: str, unit: str, year_to: int, kind: str = "areas") -> str:
    """'Gap widened credibly in 1 of 2 LAs; widest: Surrey 28.2 pp (2018/19)'."""
    if areas is None or areas.empty:
        return f"No {kind} with results for this selection."
    cls = areas.get("classification", pd.Series(dtype=str)).fillna("no data")
    n = len(areas)
    wid, nar = int((cls == "widening").sum()), int((cls == "narrowing").sum())
    bits = [f"Gap widened credibly in {wid} of {n} {kind}"]
    if nar:
        bits[0] += f", narrowed in {nar}"
    g = areas.dropna(subset=["gap_to"])
    if not g.empty:
        top = g.loc[g["gap_to"].idxmax()]
        bits.append(f"widest: {top[name_col]} {fmt_gap(top['gap_to'], unit)} ({year_label(year_to)})")
    return "; ".join(bits)


# ---------------------------------------------------------------------------------------------- official area rows
def official_area_gaps(con: duckdb.DuckDBPyConnection, ks: str, measure: str, level: str = "la") -> pd.DataFrame:
    """DfE/SMC area rows for one measure: one row per area and year with dis, oth, gap and the groups used.

    Disadvantaged vs other (FSM6CLA1A) is used where published; otherwise FSM vs not-FSM (early years, SMC),
    and `groups` says which. Columns: area_code, area_name, la_code, year, dis, oth, gap, dis_n, oth_n, groups,
    kind, source.
    """
    df = con.execute("""
        SELECT area_code, any_value(area_name) AS area_name, any_value(la_code) AS la_code, year, kind,
               any_value(source) AS source,
               max(value) FILTER (WHERE grp = 'dis') AS dis, max(value) FILTER (WHERE grp = 'oth') AS oth,
               max(cohort) FILTER (WHERE grp = 'dis') AS dis_n, max(cohort) FILTER (WHERE grp = 'oth') AS oth_n,
               max(value) FILTER (WHERE grp = 'fsm') AS fsm, max(value) FILTER (WHERE grp = 'notfsm') AS notfsm,
               max(cohort) FILTER (WHERE grp = 'fsm') AS fsm_n, max(cohort) FILTER (WHERE grp = 'notfsm') AS notfsm_n
        FROM area_results WHERE ks = ? AND measure = ? AND level = ?
        GROUP BY area_code, year, kind""", [ks, measure, level]).fetchdf()
    cols = ["area_code", "area_name", "la_code", "year", "dis", "oth", "gap", "dis_n", "oth_n", "groups", "kind",
            "source"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    has_dis = df["dis"].notna() & df["oth"].notna()
    out = df.copy()
    out["groups"] = np.where(has_dis, "disadvantaged vs other", "FSM vs not FSM")
    for a, b in (("dis", "fsm"), ("oth", "notfsm"), ("dis_n", "fsm_n"), ("oth_n", "notfsm_n")):
        out[a] = out[a].where(has_dis, out[b])
    out = out.dropna(subset=["dis", "oth"], how="all")
    out["gap"] = out["oth"] - out["dis"]
    # One row per area and year: prefer disadvantaged-vs-other rows, then the LA-level file over the school file.
    out["_p"] = (out["groups"] != "disadvantaged vs other").astype(int) * 2 + (out["kind"] == "la").astype(int)
    out = out.sort_values(["area_code", "year", "_p"]).drop_duplicates(["area_code", "year"])
    return out[cols].reset_index(drop=True)


def compare_official(gaps: pd.DataFrame, year_from: int | None, year_to: int) -> pd.DataFrame:
    """Official area gaps in two years side by side: area_code, area_name, la_code, gap_from, gap_to, change,
    dis_to, oth_to, dis_n_to, groups, classification ('no clear change' is never claimed: official rows have no
    uncertainty here, so the class is 'widening'/'narrowing' by sign, or 'no data' with one year only)."""
    b = gaps[gaps["year"] == year_to].set_index("area_code")
    out = pd.DataFrame({"area_code": b.index, "area_name": b["area_name"].values, "la_code": b["la_code"].values,
                        "gap_to": b["gap"].values, "dis_to": b["dis"].values, "oth_to": b["oth"].values,
                        "dis_n_to": b["dis_n"].values, "groups": b["groups"].values, "source": b["source"].values})
    if year_from is not None:
        a = gaps[gaps["year"] == year_from].drop_duplicates("area_code").set_index("area_code")["gap"]
        out["gap_from"] = out["area_code"].map(a)
    else:
        out["gap_from"] = np.nan
    out["change"] = out["gap_to"] - out["gap_from"]
    out["classification"] = np.where(out["change"].isna(), "one year only",
                                     np.where(out["change"] > 0, "larger gap", "smaller gap"))
    return out


# ---------------------------------------------------------------------------------------------- page-edge data
# Everything below uses Streamlit caches (at the page edge, never in gapdata/) and the shared filters.
LEVELS = {"la": "Local authorities", "district": "Districts", "subregion": "Sub-regions", "group": "Liaison groups"}
LEVEL_SINGULAR = {"la": "LA", "district": "district", "subregion": "sub-region", "group": "liaison group"}


def _st():
    import streamlit as st

    return st


def _cache_data(**kw):
    def wrap(fn):
        return _st().cache_data(show_spinner=False, **kw)(fn)
    return wrap


@_cache_data(max_entries=16)
def cached_shapes(level: str, year: int):
    """area_shapes cached per process (boundaries are parsed and simplified once)."""
    return area_shapes(level, year)


def regions_module():
    try:
        return importlib.import_module("geo.regions")
    except Exception:  # noqa: BLE001 - another engineer's module; absent means no sub-regions
        return None


@_cache_data(max_entries=32)
def preset_members(preset: str, year: int) -> pd.DataFrame:
    """DataFrame[subregion, member_code] (GSS codes of LAs or districts) for a region preset in `year`."""
    mod = regions_module()
    if mod is None:
        return pd.DataFrame(columns=["subregion", "member_code"])
    try:
        presets = dict(mod.load_presets())
        if preset not in presets:
            return pd.DataFrame(columns=["subregion", "member_code"])
        res = pd.DataFrame(mod.resolve(presets[preset], year))
    except Exception:  # noqa: BLE001
        return pd.DataFrame(columns=["subregion", "member_code"])
    if "member_code" not in res.columns:
        alt = next((c for c in res.columns if c.lower() in ("code", "gss", "areacd")), None)
        if alt is None:
            return pd.DataFrame(columns=["subregion", "member_code"])
        res = res.rename(columns={alt: "member_code"})
    return res[["subregion", "member_code"]].astype(str).drop_duplicates().reset_index(drop=True)


@_cache_data(max_entries=16)
def subregion_outlines(preset: str, year: int):
    """geo.regions.outlines for a preset (sub-regions dissolved from their members) as [code, name, geometry]."""
    import geopandas as gpd

    mod = regions_module()
    try:
        out = mod.outlines(dict(mod.load_presets())[preset], year)
    except Exception:  # noqa: BLE001 - absent or failing: the caller dissolves the members itself
        return None
    return gpd.GeoDataFrame({"code": out["subregion"].astype(str), "name": out["subregion"].astype(str)},
                            geometry=out.geometry.values, crs=4326)


class Selection:
    """What the shared filters select, at one area level: the analysis, the schools, the per-area figures and
    the shapes to draw them with. `note` says in a sentence why something is empty."""

    def __init__(self, f, level: str):
        from gapdata import membership as mship
        from pages import common

        self.f, self.level = f, level
        self.analysis = None
        self.analysis_args: tuple | None = None
        self.schools = pd.DataFrame()
        self.areas = pd.DataFrame()
        self.series = pd.DataFrame()
        self.key = {"la": "la_code", "district": "district_code", "subregion": "subregion", "group": "group"}[level]
        self.unit = unit_of(f.measure)
        self.note = ""
        self.year = f.year_to
        if f.year_from is None or f.year_to is None:
            self.note = "The store has no school-level results for this key stage."
            return
        if not f.la_codes:
            self.note = "The store has no school-level results for any LA in this selection."
            return
        args = (f.ks, f.measure, int(f.year_from), int(f.year_to))
        la_codes = common.las_key(f.la_codes)
        self.analysis_args = (args, la_codes)
        a = common.analysis(*args, la_codes=la_codes)
        self.analysis = a
        s = a.schools
        keep = pd.Series(True, index=s.index)
        sub = None
        if f.subregion:
            sub = common._preset_members(common.store_key(), f.preset, int(f.year_to))
            keep &= s["urn"].isin(sub.loc[sub["subregion"] == f.subregion, "urn"])
        grp = common.group_members(f)
        if grp is not None:
            keep &= s["urn"].isin(grp["urn"])
        self.schools = s[keep].reset_index(drop=True)
        urns = set(self.schools["urn"])
        if not urns:
            self.note = "No school in this selection has results for this measure and these years."
            return
        # Membership of each selected school in an area of this level (a school's LA and district are its
        # latest year's, as in analytics.judge).
        if level in ("la", "district"):
            m = pd.DataFrame({"urn": self.schools["urn"], self.key: self.schools[self.key]})
        elif level == "subregion":
            if sub is None:
                sub = common._preset_members(common.store_key(), f.preset, int(f.year_to))
            m = sub[sub["urn"].isin(urns)][["urn", "subregion"]]
        else:
            m = common.groups_for(f.la_codes)
            m = m[m["urn"].isin(urns)]
            if f.group:
                m = m[m["group"] == f.group]
        m = m.dropna(subset=[self.key])
        if m.empty:
            self.note = f"None of the selected schools belongs to a {LEVEL_SINGULAR[level]}."
            return
        self.membership = m
        ar, self.series = common.area_figures(args, la_codes, m.reset_index(drop=True), self.key)
        ar = ar.copy()
        # Names and shape codes.
        if level == "la":
            gss = common.cached(mship.la_gss, int(f.year_to))
            ar["code"] = ar["la_code"].map(gss.set_index("la_code")["gss"])
            ar["name"] = ar["la_code"].map(lambda c: f.la_names.get(int(c), str(c)))
        elif level == "district":
            names = self.schools.dropna(subset=["district_code"]).drop_duplicates("district_code")
            ar["code"] = ar["district_code"].astype(str)
            ar["name"] = ar["district_code"].map(names.set_index("district_code")["district_name"]).fillna(
                ar["district_code"])
        else:
            ar["code"] = ar[self.key].astype(str)
            ar["name"] = ar[self.key].astype(str)
        self.areas = ar

    def points(self, unit: str) -> list[dict]:
        """school_points of the selected schools as records (PreEncoded), cached per store, analysis and set of
        schools: at England scale building and encoding them took half of every rerun."""
        from pages import common

        return common.school_points_records(self.digest, unit, self.f.year_from, self.f.year_to, self.schools)

    @functools.cached_property
    def digest(self) -> str:
        """Identifies the selected schools' figures (the analysis and the URNs kept): a cache key for what is
        drawn from them, cheaper than hashing the frames."""
        urns = np.sort(self.schools["urn"].to_numpy(dtype="int64"))
        return hashlib.sha1(repr(self.analysis_args).encode() + urns.tobytes()).hexdigest()

    def shapes(self):
        """Shapes for this level with `code` matching self.areas['code']."""
        import geopandas as gpd

        empty = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
        if self.areas.empty:
            return empty
        y = int(self.f.year_to)
        if self.level in ("la", "district"):
            shp = cached_shapes(self.level, y)
            return shp[shp["code"].isin(set(self.areas["code"].dropna().astype(str)))]
        if self.level == "subregion":
            out = subregion_outlines(self.f.preset, y)
            if out is not None:
                return out[out["code"].isin(set(self.areas["code"]))]
            mem = preset_members(self.f.preset, y)
            if mem.empty:
                return empty
            parts = [cached_shapes("la", y), cached_shapes("district", y)]
            shp = pd.concat(parts, ignore_index=True)
            shp = shp[~shp["code"].duplicated()]
            out = dissolve(gpd.GeoDataFrame(shp, geometry="geometry", crs=4326), mem, "member_code", "subregion")
            return out[out["code"].isin(set(self.areas["code"]))]
        pts = self.schools.merge(self.membership, on="urn")
        return hulls(pts, "group")
