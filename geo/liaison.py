"""School liaison groups: read from a user's CSV, or derived geographically when an LA has given none.

A groups CSV has a header and one row per school: `URN`, `Group` (the group's name) and optionally `LA`
(DfE 3-digit code, checked against the school's own). Columns are matched by name, case-insensitively.
Derived groups are a stand-in until the real list is loaded and are always marked `derived=True`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapdata.sources.base import Reject, SourceError, read_csv_rows
from geo.distance import located

URN_COLS = ("urn",)
GROUP_COLS = ("group", "group name", "group_name", "liaison group", "liaison_group")
LA_COLS = ("la", "la_code", "la code", "la (code)")


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    return next((low.index(n) for n in names if n in low), None)


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def read_groups(path: Path, schools: pd.DataFrame) -> tuple[pd.DataFrame, list[Reject]]:
    """DataFrame[urn, group, la_code, derived=False] from a groups CSV, and the problems found.

    Problems (file, line, column, value, reason) are listed, never dropped silently: a URN that is not a
    number or not a known school, a URN listed twice (the first row is kept), an empty group name, an LA
    that differs from the school's. Only rows without a problem that stops them are loaded.
    """
    path = Path(path)
    header, rows = read_csv_rows(path)
    i_urn, i_grp, i_la = _find(header, URN_COLS), _find(header, GROUP_COLS), _find(header, LA_COLS)
    if i_urn is None or i_grp is None:
        raise SourceError(path, f"needs columns URN and Group (found: {', '.join(header)})")
    la_of = dict(zip(pd.to_numeric(schools["urn"]).astype("int64"), schools["la_code"]))
    seen: dict[int, int] = {}
    problems: list[Reject] = []
    out = []
    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        urn_text, group = _cell(row, i_urn), _cell(row, i_grp)

        def bad(col: int, value: str, reason: str) -> None:
            problems.append(Reject(path.name, line, header[col], value, reason))  # noqa: B023 - called at once

        if not urn_text.isdigit():
            bad(i_urn, urn_text, "URN is empty" if not urn_text else "URN is not a number")
            continue
        urn = int(urn_text)
        if urn not in la_of:
            bad(i_urn, urn_text, "unknown URN (not in the schools register)")
            continue
        if urn in seen:
            bad(i_urn, urn_text, f"URN listed twice (first on line {seen[urn]}, which is kept)")
            continue
        if not group:
            bad(i_grp, group, "empty group name")
            continue
        seen[urn] = line
        la = la_of[urn]
        la_text = _cell(row, i_la)
        if la_text and (not la_text.isdigit() or pd.isna(la) or int(la_text) != int(la)):
            bad(i_la, la_text, f"LA {la_text} differs from the school's LA {la}; the school's LA is used")
        out.append({"urn": urn, "group": group, "la_code": la, "derived": False})
    df = pd.DataFrame(out, columns=["urn", "group", "la_code", "derived"])
    return df.astype({"urn": "int64", "derived": bool}), problems


# ------------------------------------------------------------------------------------------------ derived
def _bisect(idx: np.ndarray, xy: np.ndarray, tie: np.ndarray, k: int) -> list[np.ndarray]:
    """Split points into k groups of near-equal size by cutting the longer side of their bounding box."""
    if k <= 1 or len(idx) <= 1:
        return [idx]
    k1 = k // 2
    pts = xy[idx]
    span = pts.max(axis=0) - pts.min(axis=0)
    axis = 0 if span[0] >= span[1] else 1
    order = np.lexsort((tie[idx], pts[:, 1 - axis], pts[:, axis]))
    cut = int(round(len(idx) * k1 / k))
    return _bisect(idx[order[:cut]], xy, tie, k1) + _bisect(idx[order[cut:]], xy, tie, k - k1)


def _label(columns: list[np.ndarray]) -> str | None:
    """The most common name in the first column that has any (ties: alphabetically first); None if none."""
    for values in columns:
        names = [str(v).strip() for v in values.tolist() if not pd.isna(v)]
        counts = Counter(n for n in names if n)
        if counts:
            top = max(counts.values())
            return min(n for n, c in counts.items() if c == top)
    return None


def _derive_one(urn: np.ndarray, xy: np.ndarray, names: list[np.ndarray], n: int, seed: int) -> np.ndarray:
    """Group names for one LA's located schools (plain arrays: 150 LAs x 18 groups at England scale)."""
    tie = np.random.default_rng(seed).permutation(len(urn))
    tie = tie[np.argsort(np.argsort(urn))]  # same order whatever the row order
    parts = _bisect(np.arange(len(urn)), xy, tie, max(1, min(n, len(urn))))
    # Number groups north to south, then west to east, so "Group 01" is the northernmost.
    centres = [xy[p].mean(axis=0) for p in parts]
    order = sorted(range(len(parts)), key=lambda i: (-round(centres[i][1], -2), centres[i][0]))
    width = max(2, len(str(len(parts))))
    group = np.empty(len(urn), dtype=object)
    for number, i in enumerate(order, start=1):
        label = _label([col[parts[i]] for col in names])  # the most common town, else district
        group[parts[i]] = f"Group {number:0{width}d}" + (f" ({label})" if label else "")
    return group


def _located_arrays(schools: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """(located mask, URNs, easting/northing, naming columns) of the located schools, as arrays."""
    ok, e, nn = located(schools)
    ok = ok.to_numpy()
    xy = np.column_stack([e.to_numpy(float)[ok], nn.to_numpy(float)[ok]])
    names = [schools[c].to_numpy(object)[ok] for c in ("town", "district_name") if c in schools.columns]
    return ok, schools["urn"].to_numpy()[ok], xy, names


def _by_la(schools: pd.DataFrame, ok: np.ndarray) -> tuple[list, list[np.ndarray]]:
    """The LA codes among the located schools (sorted; none without the column) and each one's positions."""
    if "la_code" not in schools.columns:
        return [], []
    codes, las = pd.factorize(schools["la_code"].to_numpy()[ok], sort=True)  # a missing code is -1
    # A column with a missing code is float: name LA 850 "850", not "850.0".
    las = [int(c) if isinstance(c, float) and c.is_integer() else c for c in las.tolist()]
    return las, [np.flatnonzero(codes == k) for k in range(len(las))]


def _derive_each(urn: np.ndarray, xy: np.ndarray, names: list[np.ndarray], idx: list[np.ndarray], n: int,
                 seed: int) -> list[np.ndarray]:
    """Each LA's group names (`idx`: the positions of each LA's schools), every LA grouped on its own."""
    return [_derive_one(urn[i], xy[i], [c[i] for c in names], n, seed) for i in idx]


def _frame(urn: np.ndarray, group: np.ndarray, schools: pd.DataFrame, ok: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({"urn": urn, "group": group, "derived": np.ones(len(urn), dtype=bool)})
    out.attrs["unlocated"] = [int(u) for u in schools["urn"].to_numpy()[~ok]]
    return out


def derive_groups(schools: pd.DataFrame, n: int = 18, seed: int = 0) -> pd.DataFrame:
    """DataFrame[urn, group, derived=True]: one LA's located schools in `n` geographic groups of equal size.

    Recursive bisection along the longer axis: every group is a box of the LA's map, sizes differ by at most
    one school per split level, all phases together, and the same input always gives the same groups (`seed`
    only orders schools at identical coordinates). Groups are named "Group 01 (Town)" after the most common
    `town` (else `district_name`) among their schools, numbered north to south. Several LAs are grouped
    separately, names prefixed with the LA code. Schools without coordinates (or at the register's (0, 0)
    placeholder) are listed in `attrs['unlocated']`, not grouped.
    """
    ok, urn, xy, names = _located_arrays(schools)
    las, idx = _by_la(schools, ok)
    if len(las) <= 1:
        return _frame(urn, _derive_one(urn, xy, names, n, seed) if len(urn) else np.empty(0, object), schools, ok)
    group = [np.array([f"{code} {g}" for g in part], dtype=object)
             for code, part in zip(las, _derive_each(urn, xy, names, idx, n, seed))]
    return _frame(urn[np.concatenate(idx)], np.concatenate(group), schools, ok)


def derive_groups_each_la(schools: pd.DataFrame, n: int = 18, seed: int = 0,
                          la_names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """derive_groups for each LA on its own, in LA order: what the pages and the CLI show when an LA has given
    no groups. Names are not prefixed, except that a name two LAs both derive (neighbours sharing a town) gets
    its LA's name (`la_names`, else the code) added — "Group 01 (Bristol) · South Gloucestershire" — so one
    name never selects two LAs' schools. Schools without an LA code are not grouped."""
    ok, urn, xy, names = _located_arrays(schools)
    las, idx = _by_la(schools, ok)
    group = _derive_each(urn, xy, names, idx, n, seed)
    shared = Counter(g for part in group for g in set(part))
    for code, part in zip(las, group):
        label = (la_names or {}).get(code, str(code))
        part[:] = [f"{g} · {label}" if shared[g] > 1 else g for g in part]
    take = np.concatenate(idx) if idx else np.empty(0, dtype=np.int64)
    return _frame(urn[take], np.concatenate(group) if group else np.empty(0, object), schools, ok)


# ------------------------------------------------------------------------------------------------ outlines
def group_outlines(groups: pd.DataFrame, schools: pd.DataFrame, clip_to: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoDataFrame[group, derived, geometry] (WGS84): Voronoi cells of member schools, dissolved per group
    and clipped to `clip_to` (the LA polygon, any CRS). Built in EPSG:27700 metres.

    Schools sharing a location share a cell, which goes to the first of them (by URN).
    """
    m = groups.merge(schools[["urn", "easting", "northing"]], on="urn", how="inner")
    m = m[located(m)[0]].sort_values("urn")
    m = m.drop_duplicates(["easting", "northing"])
    clip = shapely.union_all(clip_to.to_crs(27700).geometry.values) if clip_to.crs else \
        shapely.union_all(clip_to.set_crs(4326).to_crs(27700).geometry.values)
    if m.empty:
        return gpd.GeoDataFrame({"group": [], "derived": []}, geometry=[], crs=4326)
    pts = shapely.points(m["easting"].to_numpy(float), m["northing"].to_numpy(float))
    frame = shapely.box(*shapely.union_all([clip, shapely.multipoints(pts)]).buffer(1000).bounds)
    if len(pts) == 1:
        cells = np.array([frame])
    else:
        cells = np.asarray(shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame, ordered=True)))
    derived = m["derived"].astype(bool) if "derived" in m.columns else pd.Series(False, index=m.index)
    cells_gdf = gpd.GeoDataFrame({"group": m["group"].astype(str).to_numpy(), "derived": derived.to_numpy()},
                                 geometry=cells, crs=27700)
    out = cells_gdf.dissolve(by="group", aggfunc={"derived": "max"}, sort=True).reset_index()
    out["geometry"] = shapely.make_valid(shapely.intersection(out.geometry.values, clip))
    return out[["group", "derived", "geometry"]].to_crs(4326)
