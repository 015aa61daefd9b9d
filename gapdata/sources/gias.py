"""Get Information About Schools (GIAS) establishment extracts (`edubasealldata*.csv` and regional subsets).

Any subset of the GIAS columns is accepted: only `URN` and `EstablishmentName` are required. Columns are
matched by name, case-insensitively and ignoring spaces (`LA (code)` = `la(code)`). Extracts quote every
field, numbers included, and write dates as dd-mm-yyyy. Rows with more fields than the header (extra
`Linked establishments` values in some extracts) are read up to the header's width. GIAS downloads are
Windows-1252 (byte 0x92 for a curly apostrophe, 0xE0 for 'a grave'); valid UTF-8 files are read as UTF-8.

Phase is normalised for comparisons: Primary and Middle deemed primary -> Primary; Secondary and Middle
deemed secondary -> Secondary; All-through; any special-school type (e.g. "Community special school",
"Academy special converter") -> Special whatever its phase; everything else (Nursery, 16 plus, PRUs,
children's centres, independent schools with phase "Not applicable") -> Other; no phase or type -> NULL.
Ofsted "Serious Weaknesses" and "Special Measures" are the two Inadequate categories and load as Inadequate.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, header_of
from gapdata.sources.codepoint import bng_to_lonlat
from gapdata.values import KNOWN_CODES, parse_value

KIND = "gias"
COLUMNS = ["urn", "name", "la_code", "la_name", "district_code", "district_name", "phase", "type", "status",
           "ofsted", "pct_fsm", "pupils", "trust", "town", "postcode", "easting", "northing", "lon", "lat",
           "located_by", "register_source"]

# store column -> GIAS column names (normalised: lower case, no spaces), first present wins
_SOURCE = {
    "urn": ("urn",),
    "name": ("establishmentname",),
    "la_code": ("la(code)",),
    "la_name": ("la(name)",),
    "district_code": ("districtadministrative(code)",),
    "district_name": ("districtadministrative(name)",),
    "phase": ("phaseofeducation(name)",),
    "type": ("typeofestablishment(name)",),
    "status": ("establishmentstatus(name)",),
    "ofsted": ("ofstedrating(name)",),
    "pct_fsm": ("percentagefsm",),
    "pupils": ("numberofpupils",),
    "trust": ("trusts(name)",),
    "town": ("town",),
    "postcode": ("postcode",),
    "easting": ("easting",),
    "northing": ("northing",),
}
_PHASES = {"primary": "Primary", "middle deemed primary": "Primary", "secondary": "Secondary",
           "middle deemed secondary": "Secondary", "all-through": "All-through", "all through": "All-through"}
_OFSTED = {"outstanding": "Outstanding", "good": "Good", "requires improvement": "Requires improvement",
           "inadequate": "Inadequate", "serious weaknesses": "Inadequate", "special measures": "Inadequate"}


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


def read_gias_csv(path: Path) -> tuple[list[str], list[list[str]], str]:
    """Header, rows and encoding of a GIAS CSV. GIAS downloads are Windows-1252; copies may be UTF-8.

    UTF-8 is tried first (any valid UTF-8 file decodes as it was written), then Windows-1252.
    """
    data = Path(path).read_bytes()
    if not data.strip():
        raise SourceError(path, "the file is empty")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SourceError(path, f"neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x})",
                              line=line) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        rows = list(reader)
    except StopIteration:
        raise SourceError(path, "the file is empty") from None
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
    return header, rows, encoding


def sniff(path: Path) -> bool:
    """A CSV whose header has URN and EstablishmentName (the GIAS establishment fields)."""
    if Path(path).suffix.lower() != ".csv":
        return False
    cols = {_norm(h) for h in header_of(path)}
    return {"urn", "establishmentname"} <= cols


def normalise_phase(phase: str | None, type_name: str | None) -> str | None:
    """GIAS PhaseOfEducation + TypeOfEstablishment -> Primary/Secondary/All-through/Special/Other/None."""
    p = (phase or "").strip().lower()
    t = (type_name or "").strip().lower()
    if "special" in t:
        return "Special"
    if p in _PHASES:
        return _PHASES[p]
    if not p and not t:
        return None
    return "Other"


def normalise_status(status: str | None) -> str | None:
    """'Open' and 'Open, but proposed to close' -> Open; 'Closed' -> Closed; anything else -> None."""
    s = (status or "").strip().lower()
    if s.startswith("open"):
        return "Open"
    if s.startswith("closed"):
        return "Closed"
    return None


def normalise_ofsted(rating: str | None) -> str | None:
    """Ofsted rating name; the Inadequate categories (serious weaknesses, special measures) -> Inadequate."""
    r = (rating or "").strip()
    if not r:
        return None
    return _OFSTED.get(r.lower(), r)


def read(path: Path) -> ReadResult:
    """A GIAS extract -> table `schools` (one row per URN; later duplicates rejected)."""
    path = Path(path)
    header, rows, encoding = read_gias_csv(path)
    pos = {}
    for i, h in enumerate(header):
        pos.setdefault(_norm(h), i)
    col = {k: next((pos[c] for c in names if c in pos), None) for k, names in _SOURCE.items()}
    missing = [label for k, label in (("urn", "URN"), ("name", "EstablishmentName")) if col[k] is None]
    if missing:
        raise SourceError(path, f"not a GIAS extract: no {' or '.join(missing)} column")
    res = ReadResult(kind=KIND, path=path)
    records: list[dict] = []
    first_line: dict[int, int] = {}
    long_rows = 0

    def cell(row: list[str], key: str) -> str:
        i = col[key]
        return row[i].strip() if i is not None and i < len(row) else ""

    def number(row: list[str], key: str, line: int) -> float | None:
        raw = cell(row, key)
        value, code = parse_value(raw)
        if value is None and code not in ("EMPTY", None) and code not in KNOWN_CODES:
            res.rejects.append(Reject(path.name, line, header[col[key]], raw,
                                      "not a number: loaded as missing"))
        return value

    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        res.rows_read += 1
        long_rows += len(row) > len(header)
        urn_text = cell(row, "urn")
        if not urn_text.isdigit():
            res.rejects.append(Reject(path.name, line, header[col["urn"]], urn_text, "URN is not a number"))
            continue
        urn = int(urn_text)
        if urn in first_line:
            res.rejects.append(Reject(path.name, line, header[col["urn"]], urn_text,
                                      f"duplicate URN: the row at line {first_line[urn]} was kept"))
            continue
        first_line[urn] = line
        la_text = cell(row, "la_code")
        la_code = int(la_text) if la_text.isdigit() else None
        if la_text and la_code is None:
            res.rejects.append(Reject(path.name, line, header[col["la_code"]], la_text,
                                      "LA code is not a number: loaded as missing"))
        e, n = number(row, "easting", line), number(row, "northing", line)
        located = e is not None and n is not None and e > 0 and n > 0
        pupils = number(row, "pupils", line)
        records.append({
            "urn": urn, "name": cell(row, "name") or None, "la_code": la_code,
            "la_name": cell(row, "la_name") or None,
            "district_code": cell(row, "district_code") or None,
            "district_name": cell(row, "district_name") or None,
            "phase": normalise_phase(cell(row, "phase"), cell(row, "type")),
            "type": cell(row, "type") or None, "status": normalise_status(cell(row, "status")),
            "ofsted": normalise_ofsted(cell(row, "ofsted")), "pct_fsm": number(row, "pct_fsm", line),
            "pupils": int(pupils) if pupils is not None else None, "trust": cell(row, "trust") or None,
            "town": cell(row, "town") or None, "postcode": cell(row, "postcode") or None,
            "easting": e if located else None, "northing": n if located else None,
            "located_by": "gias" if located else None, "register_source": path.name,
        })
    df = pd.DataFrame.from_records(records, columns=[c for c in COLUMNS if c not in ("lon", "lat")])
    df["lon"], df["lat"] = np.nan, np.nan
    has = df["located_by"].eq("gias").to_numpy()
    if has.any():
        lon, lat = bng_to_lonlat(df.loc[has, "easting"], df.loc[has, "northing"])
        df.loc[has, "lon"], df.loc[has, "lat"] = lon, lat
    for c in ("urn", "la_code", "pupils"):
        df[c] = df[c].astype("Int64")
    for c in ("easting", "northing", "pct_fsm"):
        df[c] = df[c].astype(float)
    res.tables["schools"] = df[COLUMNS]
    res.rows_loaded = len(df)
    if encoding != "utf-8":
        res.notes.append(f"read as {encoding} (not UTF-8)")
    if long_rows:
        res.notes.append(f"{long_rows} rows have more fields than the header (extra values after the last "
                         "column, e.g. further linked establishments): read up to the header's width")
    return res
