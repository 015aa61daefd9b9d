"""Official area boundaries (ONS TopoJSON and BUC GeoJSON files), in WGS84, for the year asked.

The ONSvisual TopoJSON holds every layer for 2014-2025 with `start` / `end` = first / last *calendar* year an
area is valid (inclusive, either may be missing). Reorganisations take effect on 1 April, so in calendar year Y
the new structure is in force from April: before any KS2 test or KS4 exam of academic year (Y-1)/Y. We therefore
use the boundary set of calendar year Y for results year Y (named by the year the academic year ends: 2019 =
2018/19), the same convention as `gapdata.sources.la_codes` (`gss_for(..., Y)` names the polygon valid in Y):
Buckinghamshire UA E06000060 from 2020, Somerset UA E06000066 from 2023, Dorset/BCP from 2019.

Each file is parsed once per process (a small module-level cache keyed by path, layer and modification time),
and each parsed TopoJSON layer is kept on disk as GeoParquet for the next process (`cache_dir()`); year
filtering and simplification run on the cached frame.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gapdata.paths import DEFAULT_STORE, raw_dir
from gapdata.sources.base import SourceError

TOPO_FILE = "onsvisual_uk_topo_2014-2025.topo.json"
LAYERS = {"region": "rgn", "la": "utla", "district": "ltla", "county": "cty"}
DEFAULT_TOLERANCE = 0.001  # degrees (~70-110 m): invisible at LA zoom, halves the vertices sent to the browser
_CACHE: dict[tuple, gpd.GeoDataFrame] = {}


def default_path() -> Path:
    """The bundle's ONS TopoJSON (`<raw>/geo/onsvisual_uk_topo_2014-2025.topo.json`)."""
    return raw_dir() / "geo" / TOPO_FILE


def boundary_year(results_year: int) -> int:
    """The calendar year whose boundary set applies to results year `results_year` (the year it ends).

    Identity by design (see the module docstring): the April reorganisation of year Y precedes that
    academic year's tests, so the schools were then in the new LA.
    """
    return int(results_year)


def _polygonal(geoms) -> object:
    """Valid polygons only (the quantised TopoJSON has a few self-touching rings)."""
    return shapely.make_valid(geoms, method="structure", keep_collapsed=False)


def _key(path: Path, layer: str) -> tuple:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise SourceError(path, "boundary file not found") from None
    return (str(path.resolve()), layer, mtime)


def layer(level: str, path: Path | None = None) -> gpd.GeoDataFrame:
    """Every area of one level in the TopoJSON, all years: GeoDataFrame[code, name, level, start, end, geometry].

    `start` / `end` are nullable integers (first / last calendar year valid). Cached per process.
    """
    if level not in LAYERS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LAYERS)}")
    path = Path(path) if path else default_path()
    return _kept(_key(path, LAYERS[level]), lambda: _parse_layer(level, path)).copy()


def _parse_layer(level: str, path: Path) -> gpd.GeoDataFrame:
    """One TopoJSON layer as GeoDataFrame[code, name, level, start, end, geometry], rings repaired."""
    try:
        raw = gpd.read_file(path, layer=LAYERS[level])
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types; the user needs the file name
        raise SourceError(path, f"cannot read layer {LAYERS[level]!r}: {exc}") from None
    cols = {c.lower(): c for c in raw.columns}
    if "areacd" not in cols or "areanm" not in cols:
        raise SourceError(path, f"layer {LAYERS[level]!r} has no areacd/areanm properties")
    out = pd.DataFrame({
        "code": raw[cols["areacd"]].astype(str).str.strip(),
        "name": raw[cols["areanm"]].astype(str).str.strip(),
        "level": level,
        "start": pd.to_numeric(raw[cols["start"]], errors="coerce").astype("Int64") if "start" in cols
        else pd.array([pd.NA] * len(raw), dtype="Int64"),
        "end": pd.to_numeric(raw[cols["end"]], errors="coerce").astype("Int64") if "end" in cols
        else pd.array([pd.NA] * len(raw), dtype="Int64"),
    })
    return gpd.GeoDataFrame(out, geometry=_polygonal(raw.geometry.values), crs=4326)


def _kept(key: tuple, make: Callable[[], gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """`make()`'s frame, kept for this process (_CACHE) and the next ones (a GeoParquet file in cache_dir())."""
    if key not in _CACHE:
        found = _read_parsed(key)
        if found is None:
            found = make()
            _write_parsed(key, found)
        _CACHE[key] = found
    return _CACHE[key]


# Parsing the TopoJSON and repairing its rings takes ~0.7 s a layer, paid by the first page of every server
# process. The parsed layer is kept as GeoParquet (4x faster to read) in a cache folder, named by the source
# file's path, layer and modification time, so an edited or replaced file is parsed afresh. A cache that cannot
# be read or written is skipped: it only saves time.
def cache_dir() -> Path:
    """$GAPWATCH_CACHE_DIR, else data/cache/ beside the default store (git-ignored)."""
    env = os.environ.get("GAPWATCH_CACHE_DIR")
    return Path(env) if env else DEFAULT_STORE.parent / "cache"


def _parsed_file(key: tuple) -> Path:
    digest = hashlib.sha1(repr(key).encode()).hexdigest()[:16]
    what = key[1] if len(key) == 3 else f"{key[1]}-{key[3]}"  # a layer, or its areas of one year simplified
    return cache_dir() / f"boundaries-{what}-{digest}.parquet"


def _read_parsed(key: tuple) -> gpd.GeoDataFrame | None:
    f = _parsed_file(key)
    if not f.is_file():
        return None
    try:
        return gpd.read_parquet(f)
    except Exception:  # noqa: BLE001 - a damaged cache file is parsed afresh and rewritten
        return None


def _write_parsed(key: tuple, gdf: gpd.GeoDataFrame) -> None:
    f = _parsed_file(key)
    tmp = f.with_name(f.name + f".{os.getpid()}.tmp")
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        gdf.to_parquet(tmp)
        os.replace(tmp, f)  # atomic: another process never reads half a file
    except Exception:  # noqa: BLE001 - read-only disk etc.: no cache, same result
        tmp.unlink(missing_ok=True)


def valid_in(frame: pd.DataFrame, year: int) -> pd.Series:
    """Boolean mask: areas valid in calendar year `year` ((start <= Y or null) and (end >= Y or null))."""
    start = frame["start"].to_numpy(float, na_value=np.nan)
    end = frame["end"].to_numpy(float, na_value=np.nan)
    ok = (np.isnan(start) | (start <= year)) & (np.isnan(end) | (end >= year))  # plain arrays: called per member
    return pd.Series(ok, index=frame.index)


def simplify(gdf: gpd.GeoDataFrame, tolerance: float = DEFAULT_TOLERANCE) -> gpd.GeoDataFrame:
    """Simplify for the web; shared edges stay shared (GEOS coverage simplification) where the set is a coverage.

    Falls back to per-polygon topology-preserving simplification when the coverage routine rejects the input.
    """
    if tolerance <= 0 or gdf.empty:
        return gdf
    geoms = gdf.geometry.values
    try:
        simple = shapely.coverage_simplify(geoms, tolerance)
    except Exception:  # noqa: BLE001 - GEOS raises for inputs that are not a clean coverage
        simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
    out = gdf.copy()
    out["geometry"] = _polygonal(simple)
    return out


def boundaries(level: str, year: int, path: Path | None = None,
               tolerance: float = DEFAULT_TOLERANCE) -> gpd.GeoDataFrame:
    """Areas of `level` ('region', 'la' = upper tier, 'district' = lower tier, 'county') valid in `year`.

    `year` is a results year (academic year named by the year it ends), mapped by `boundary_year`.
    Returns GeoDataFrame[code, name, level, geometry] in WGS84 (EPSG:4326), simplified by `tolerance` degrees
    (0 = as published). UK-wide: filter on `code` (E… = England) if needed.
    """
    all_years = layer(level, path)  # checks the level and keeps the parsed layer

    def simplified() -> gpd.GeoDataFrame:
        now = all_years[valid_in(all_years, boundary_year(year))].reset_index(drop=True)
        return simplify(now, tolerance)[["code", "name", "level", "geometry"]]

    # Simplifying a UK layer takes ~0.4 s: the result is kept like a parsed layer (see cache_dir).
    path = Path(path) if path else default_path()
    return _kept((*_key(path, LAYERS[level]), boundary_year(year), float(tolerance)), simplified).copy()


def read_boundary_file(path: Path, code_col: str, name_col: str, level: str | None = None,
                       tolerance: float = 0.0) -> gpd.GeoDataFrame:
    """Any boundary file geopandas reads (e.g. CTYUA Dec 2022 / LAD May 2021 BUC GeoJSON in EPSG:27700).

    Columns are matched case-insensitively. Returned in WGS84 as GeoDataFrame[code, name, level, geometry];
    a file without a declared CRS is taken to be WGS84. Parsed once per process (cached by path and mtime).
    """
    path = Path(path)
    key = _key(path, "*")
    if key not in _CACHE:
        try:
            _CACHE[key] = gpd.read_file(path)
        except Exception as exc:  # noqa: BLE001
            raise SourceError(path, f"cannot read boundaries: {exc}") from None
    raw = _CACHE[key]
    cols = {c.lower(): c for c in raw.columns}
    for want in (code_col, name_col):
        if want.lower() not in cols:
            raise SourceError(path, f"no column {want!r} (columns: {', '.join(map(str, raw.columns))})",
                              column=want)
    gdf = raw if raw.crs is not None else raw.set_crs(4326)
    gdf = gdf.to_crs(4326)
    out = gpd.GeoDataFrame({"code": gdf[cols[code_col.lower()]].astype(str).str.strip().values,
                            "name": gdf[cols[name_col.lower()]].astype(str).str.strip().values,
                            "level": level},
                           geometry=_polygonal(gdf.geometry.values), crs=4326)
    return simplify(out, tolerance)


def clear_cache() -> None:
    """Forget every parsed file (tests, or after replacing a file in place with the same mtime)."""
    _CACHE.clear()


def assign_areas(schools: pd.DataFrame, level: str, year: int, path: Path | None = None) -> pd.DataFrame:
    """DataFrame[urn, code, name]: the area of `level` valid in `year` containing each located school.

    For registers that name a school's district but give no code (GIAS extracts with only
    `DistrictAdministrative (name)`). Point-in-polygon on the unsimplified boundaries in EPSG:27700; a school
    just outside every polygon (super-generalised coastlines) gets the nearest area within 2 km, else no row.
    """
    from geo.distance import located

    ok, e, n = located(schools)
    pts = gpd.GeoDataFrame({"urn": schools.loc[ok, "urn"].to_numpy()},
                           geometry=gpd.points_from_xy(e[ok], n[ok]), crs=27700)
    areas = boundaries(level, year, path, tolerance=0).to_crs(27700)[["code", "name", "geometry"]]
    hit = gpd.sjoin_nearest(pts, areas, how="inner", max_distance=2000)
    hit = hit.sort_values(["urn", "index_right"]).drop_duplicates("urn")
    return hit[["urn", "code", "name"]].reset_index(drop=True)
