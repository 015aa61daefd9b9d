"""A plain list of open schools (`urn, name, open_date, town, postcode`), e.g. the GIAS extract kept by
DfE's register-trainee-teachers service (`dfe_gias_open_statefunded_schools_20250711.csv`).

It has no LA, phase or coordinates: rows load into `schools` with those NULL and located_by NULL, to be
located later by postcode (Code-Point Open) and given an LA from other sources. `open_date` is not a store
column and is not kept. Register rows from a GIAS extract take precedence in the build.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, header_of, read_csv_rows
from gapdata.sources.gias import COLUMNS

KIND = "open_schools"


def sniff(path: Path) -> bool:
    """A CSV whose header has the columns urn, name and postcode (not a GIAS or results file)."""
    if Path(path).suffix.lower() != ".csv":
        return False
    cols = {h.lower() for h in header_of(path)}
    return {"urn", "name", "postcode"} <= cols


def read(path: Path) -> ReadResult:
    """An open-schools list -> table `schools` (urn, name, town, postcode; register_source = file name)."""
    path = Path(path)
    header, rows = read_csv_rows(path)
    pos: dict[str, int] = {}
    for i, h in enumerate(header):
        pos.setdefault(h.strip().lower(), i)
    if "urn" not in pos or "name" not in pos:
        raise SourceError(path, "not a schools list: needs urn and name columns")
    res = ReadResult(kind=KIND, path=path)
    out: list[dict] = []
    seen: dict[int, int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        res.rows_read += 1

        def cell(key: str, row: list[str] = row) -> str | None:
            i = pos.get(key)
            v = row[i].strip() if i is not None and i < len(row) else ""
            return v or None

        urn = cell("urn") or ""
        if not urn.isdigit():
            res.rejects.append(Reject(path.name, line, header[pos["urn"]], urn, "URN is not a number"))
            continue
        if int(urn) in seen:
            res.rejects.append(Reject(path.name, line, header[pos["urn"]], urn,
                                      f"duplicate URN: the row at line {seen[int(urn)]} was kept"))
            continue
        seen[int(urn)] = line
        out.append({"urn": int(urn), "name": cell("name"), "town": cell("town"), "postcode": cell("postcode"),
                    "register_source": path.name})
    df = pd.DataFrame.from_records(out, columns=["urn", "name", "town", "postcode", "register_source"])
    for c in COLUMNS:
        if c in ("la_code", "pupils", "urn"):
            df[c] = df[c].astype("Int64") if c in df else pd.array([None] * len(df), dtype="Int64")
        elif c in ("pct_fsm", "easting", "northing", "lon", "lat"):
            df[c] = float("nan")
        elif c not in df:
            df[c] = pd.Series([None] * len(df), dtype=object)
    df = df[COLUMNS]
    res.tables["schools"] = df
    res.rows_loaded = len(df)
    return res
