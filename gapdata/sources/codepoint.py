"""Ordnance Survey Code-Point Open postcode centroids, and geocoding schools by postcode.

Code-Point Open CSVs have no header row. The column order is read from `Code-Point_Open_Column_Headers.csv`
beside the data when present (its second line names the columns), else the OS-documented order:
Postcode, Positional_quality_indicator, Eastings, Northings, Country_code, NHS_regional_HA_code, NHS_HA_code,
Admin_county_code, Admin_district_code, Admin_ward_code. Coordinates are British National Grid metres.
Postcodes with no coordinates (Eastings 0, positional quality 90) are rejected, not loaded as (0, 0).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, read_text

KIND = "codepoint"
COLUMNS = ["postcode_key", "easting", "northing", "district_code"]
OS_ORDER = ("Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
            "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
            "Admin_ward_code")
HEADERS_FILE = "Code-Point_Open_Column_Headers.csv"
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")


def normalise_postcode(s: object) -> str:
    """Join key for a postcode: upper case, every space removed ('bs10 5aa' and 'BS105AA' -> 'BS105AA')."""
    if s is None or (isinstance(s, float) and s != s):
        return ""
    return re.sub(r"\s+", "", str(s)).upper()


def bng_to_lonlat(easting: Iterable[float], northing: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid (EPSG:27700) metres to WGS84 lon/lat degrees, with pyproj (always_xy)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = tr.transform(np.asarray(list(easting), float), np.asarray(list(northing), float))
    return np.asarray(lon, float), np.asarray(lat, float)


def _first_line(path: Path) -> list[str]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
        return next(csv.reader([head.splitlines()[0]]))
    except (OSError, IndexError, StopIteration):
        return []


def sniff(path: Path) -> bool:
    """A headerless CSV with 10 fields whose first field is a postcode (a Code-Point Open area file)."""
    if Path(path).suffix.lower() != ".csv":
        return False
    first = _first_line(path)
    return len(first) == 10 and bool(_POSTCODE.match(first[0].strip().upper()))


def _column_order(path: Path) -> list[str]:
    """Column names in file order: from the OS headers file beside the data, else the documented order."""
    doc = path.parent / HEADERS_FILE
    if doc.exists():
        try:
            lines = list(csv.reader(read_text(doc).splitlines()))
        except SourceError:
            lines = []
        for line in lines:
            if any(c.strip().lower() == "postcode" for c in line):
                return [c.strip() for c in line]
    return list(OS_ORDER)


def read(path: Path) -> ReadResult:
    """One Code-Point Open area file -> table `postcodes` (postcode_key, easting, northing, district_code)."""
    path = Path(path)
    res = ReadResult(kind=KIND, path=path)
    order = [c.lower() for c in _column_order(path)]
    need = {"postcode": "postcode", "eastings": "eastings", "northings": "northings"}
    missing = [n for n in need if n not in order]
    if missing:
        raise SourceError(path, f"Code-Point column order lacks {', '.join(missing)}")
    text = read_text(path)
    try:
        raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                          skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise SourceError(path, f"malformed CSV: {exc}") from None
    if raw.shape[1] < len(order):
        raise SourceError(path, f"{raw.shape[1]} fields per row; Code-Point Open has {len(order)}")
    raw = raw.iloc[:, : len(order)]
    raw.columns = order
    res.rows_read = len(raw)
    pc = raw["postcode"].str.strip()
    e = pd.to_numeric(raw["eastings"].str.strip(), errors="coerce")
    n = pd.to_numeric(raw["northings"].str.strip(), errors="coerce")
    bad_pc = ~pc.str.upper().str.match(_POSTCODE.pattern)
    no_xy = e.isna() | n.isna() | (e <= 0) | (n <= 0)
    for i in np.flatnonzero((bad_pc | no_xy).to_numpy()):
        if bad_pc.iat[i]:
            res.rejects.append(Reject(path.name, int(i) + 1, "Postcode", pc.iat[i], "not a postcode"))
        else:
            res.rejects.append(Reject(path.name, int(i) + 1, "Eastings", raw["eastings"].iat[i],
                                      "postcode has no coordinates (Eastings/Northings 0 or blank)"))
    ok = ~(bad_pc | no_xy)
    district = (raw["admin_district_code"].str.strip() if "admin_district_code" in raw
                else pd.Series("", index=raw.index))
    out = pd.DataFrame({
        "postcode_key": pc[ok].str.replace(r"\s+", "", regex=True).str.upper(),
        "easting": e[ok].astype(float),
        "northing": n[ok].astype(float),
        "district_code": district[ok].replace("", None),
    }).reset_index(drop=True)
    res.tables["postcodes"] = out
    res.rows_loaded = len(out)
    return res


def read_postcodes(paths: Iterable[Path]) -> pd.DataFrame:
    """Postcodes of several area files: postcode_key, easting, northing, district_code (last file wins)."""
    frames = [read(Path(p)).tables["postcodes"] for p in paths]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("easting", "northing") else "object")
                             for c in COLUMNS})
    out = pd.concat(frames, ignore_index=True).drop_duplicates("postcode_key", keep="last")
    return out.reset_index(drop=True)


def geocode(schools: pd.DataFrame, postcodes: pd.DataFrame) -> pd.DataFrame:
    """Locate schools that have no coordinates by their postcode's centroid.

    Rows with easting/northing (> 0) are returned unchanged. Rows without get the postcode's easting,
    northing, lon and lat and located_by='postcode'; rows still unlocated get located_by='none'.
    """
    out = schools.copy()
    for c in ("easting", "northing", "lon", "lat"):
        if c not in out:
            out[c] = np.nan
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    if "located_by" not in out:
        out["located_by"] = None
    out["located_by"] = out["located_by"].astype(object)
    todo = out["easting"].isna() | out["northing"].isna() | (out["easting"] <= 0) | (out["northing"] <= 0)
    if todo.any() and "postcode" in out and len(postcodes):
        lookup = postcodes.drop_duplicates("postcode_key", keep="last").set_index("postcode_key")
        keys = out.loc[todo, "postcode"].map(normalise_postcode)
        hit = keys.isin(lookup.index) & (keys != "")
        idx = keys[hit].index
        if len(idx):
            e = lookup.loc[keys[hit], "easting"].to_numpy(float)
            n = lookup.loc[keys[hit], "northing"].to_numpy(float)
            lon, lat = bng_to_lonlat(e, n)
            out.loc[idx, "easting"], out.loc[idx, "northing"] = e, n
            out.loc[idx, "lon"], out.loc[idx, "lat"] = lon, lat
            out.loc[idx, "located_by"] = "postcode"
            todo = todo & ~out.index.isin(idx)
    out.loc[todo, ["easting", "northing", "lon", "lat"]] = np.nan
    out.loc[todo, "located_by"] = "none"
    return out
