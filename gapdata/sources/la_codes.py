"""DfE 3-digit LA codes ↔ ONS GSS codes, with the years each pairing is valid.

Inputs (all read by column name, case-insensitively):

* the dfeR `EnglishLaNameCodes.csv` (name, GIAS LA code, ONS/GSS code): one row per DfE code, current GSS
  code only, old codes named "Pre-LGR 2019 Dorset" / "Pre LGR (2009) Bedfordshire";
* the dfeR `las.csv` (`new_la_code` GSS, `old_la_code` DfE, `date_of_operation`, `date_of_termination`,
  `parent_geography_code`): adds the GSS codes a DfE code had before a reorganisation (825 Buckinghamshire
  E10000002, 933 Somerset E10000027, 815 North Yorkshire E10000023 …), the dates and the region;
* the ONS `changes.csv` (`oldcd, newcd, type, start`): code changes without a reorganisation (Barnsley and
  Sheffield 2025) and terminations.

When read() is given one of these files it also reads the others found in the same folder (recognised by
header, not name), so the store gets one merged `la_codes` table whichever file the build meets first.

Years follow the store convention, academic years named by the year they end. A reorganisation on
1 April Y belongs to year Y: `valid_from` = the year of the date of operation, `valid_to` = the year before
the one the successor starts (a termination on 31/03/2020 gives 2019). This is also the `start`/`end`
convention of the ONS TopoJSON boundaries, so `gss_for(..., year)` names the boundary valid in that year.
The earliest date in `las.csv` (01/01/2009, when GSS codes began) means "existed already": `valid_from` NULL.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from gapdata.paths import raw_dir
from gapdata.sources.base import ReadResult, Reject, SourceError, header_of, read_csv_rows

KIND = "la_codes"
COLUMNS = ["la_code", "gss", "name", "valid_from", "valid_to", "region_code"]
DEFAULT_FILES = ("lookup_dfe_EnglishLaNameCodes.csv", "lookup_dfe_las.csv",
                 "lookup_onsvisual_la_changes_2018-2025.csv")

_GSS = re.compile(r"^[EWSN]\d{8}$")
_PRE_LGR = re.compile(r"pre[\s-]*lgr\s*\(?(\d{4})\)?", re.IGNORECASE)
_LAS_COLS = {"NEW_LA_CODE", "OLD_LA_CODE", "DATE_OF_OPERATION"}
_CHANGES_COLS = {"OLDCD", "NEWCD", "TYPE", "START"}


def _names_columns(header: list[str]) -> tuple[int | None, int | None]:
    """(DfE code, GSS code) column indexes of the dfeR names file, from upper-cased names. The ONS column's
    name ends "... code on GIAS", so the DfE column is the GIAS code column that does not mention ONS/GSS."""
    def ons(h: str) -> bool:
        return ("ONS" in h or "GSS" in h) and "CODE" in h

    i_code = next((i for i, h in enumerate(header) if "GIAS" in h and "CODE" in h and not ons(h)), None)
    i_gss = next((i for i, h in enumerate(header) if i != i_code and ons(h)), None)
    return i_code, i_gss


def _is_names(header: list[str]) -> bool:
    return None not in _names_columns(header)


def _layout(path: Path) -> str | None:
    header = header_of(path)
    if _is_names(header):
        return "names"
    if _LAS_COLS <= set(header):
        return "las"
    if _CHANGES_COLS <= set(header):
        return "changes"
    return None


def sniff(path: Path) -> bool:
    """The dfeR LA-name/code lookup or dfeR `las.csv` (the ONS changes file is read as a companion)."""
    return Path(path).suffix.lower() == ".csv" and _layout(path) in ("names", "las")


def _col(header: list[str], path: Path, *needles: str, required: bool = True) -> int | None:
    """Index of the first column whose upper-cased name contains every needle."""
    for i, h in enumerate(header):
        if all(n in h.upper() for n in needles):
            return i
    if required:
        raise SourceError(path, f"no column containing {' '.join(needles)!r} (columns: {', '.join(header)})")
    return None


def _cell(row: list[str], i: int | None) -> str:
    return row[i].strip() if i is not None and i < len(row) else ""


def _gss(text: str) -> str | None:
    t = text.strip().upper()
    return t if _GSS.match(t) else None


def _int(text: str) -> int | None:
    t = text.strip()
    return int(t) if t.isdigit() else None


def _date(text: str) -> date | None:
    m = re.match(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$", text)
    return date(int(m[3]), int(m[2]), int(m[1])) if m else None


def _read_names(path: Path, rejects: list[Reject]) -> list[dict]:
    header, rows = read_csv_rows(path)
    up = [h.upper() for h in header]
    i_code, i_gss = _names_columns(up)
    if i_code is None or i_gss is None:
        raise SourceError(path, "needs a GIAS LA code column and an ONS/GSS code column")
    i_name = _col(up, path, "NAME")
    out = []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        code = _int(_cell(row, i_code))
        if code is None:
            rejects.append(Reject(path.name, n, header[i_code], _cell(row, i_code),
                                  "LA code is not a number"))
            continue
        name = _cell(row, i_name) or None
        m = _PRE_LGR.search(name or "")
        out.append({"la_code": code, "gss": _gss(_cell(row, i_gss)), "name": name, "valid_from": None,
                    "valid_to": int(m[1]) - 1 if m else None, "region_code": None, "_line": n})
    return out


def _read_las(path: Path, rejects: list[Reject]) -> list[dict]:
    header, rows = read_csv_rows(path)
    up = [h.upper() for h in header]
    i_gss, i_name = _col(up, path, "NEW_LA_CODE"), _col(up, path, "LA_NAME")
    i_code, i_from = _col(up, path, "OLD_LA_CODE"), _col(up, path, "DATE_OF_OPERATION")
    i_to = _col(up, path, "DATE_OF_TERMINATION", required=False)
    i_rgn = _col(up, path, "PARENT_GEOGRAPHY_CODE", required=False)
    parsed = []
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        gss_text, code_text = _cell(row, i_gss), _cell(row, i_code)
        if "/" in gss_text or "/" in code_text:
            # Combined rows ("E06000061 / E06000062") repeat the single-LA rows around them: kept as rejects.
            rejects.append(Reject(path.name, n, "new_la_code", gss_text,
                                  "combined row ('A / B') repeats the single-LA rows: not loaded"))
            continue
        parsed.append((n, row, _gss(gss_text), _int(code_text)))
    dates = [d for _, row, _, _ in parsed if (d := _date(_cell(row, i_from)))]
    first = min(dates) if dates else None
    out = []
    for n, row, gss, code in parsed:
        start, end = _date(_cell(row, i_from)), _date(_cell(row, i_to))
        out.append({"la_code": code, "gss": gss, "name": _cell(row, i_name) or None,
                    "valid_from": start.year if start and start != first else None,
                    "valid_to": (end + timedelta(days=1)).year - 1 if end else None,
                    "region_code": _gss(_cell(row, i_rgn)), "_line": n})
    return out


def _read_changes(path: Path) -> list[dict]:
    header, rows = read_csv_rows(path)
    up = [h.upper() for h in header]
    idx = {k: _col(up, path, k) for k in ("OLDCD", "NEWCD", "TYPE", "START")}
    i_name = _col(up, path, "NEWNM", required=False)
    out = []
    for row in rows:
        start = _int(_cell(row, idx["START"]))
        if start is not None:
            out.append({"old": _gss(_cell(row, idx["OLDCD"])), "new": _gss(_cell(row, idx["NEWCD"])),
                        "type": _cell(row, idx["TYPE"]).lower(), "start": start,
                        "name": _cell(row, i_name) or None})
    return out


def combine(names: list[dict], las: list[dict], changes: list[dict], las_file: str = "las.csv",
            rejects: list[Reject] | None = None) -> pd.DataFrame:
    """Merge the three inputs into the `la_codes` table (one row per DfE code and GSS code pairing)."""
    rows: dict[tuple[int, str | None], dict] = {}
    code_of_gss: dict[str, int] = {}
    for r in names:
        rows.setdefault((r["la_code"], r["gss"]), {k: r[k] for k in COLUMNS})
        if r["gss"]:
            code_of_gss.setdefault(r["gss"], r["la_code"])
    for r in las:
        code = r["la_code"] if r["la_code"] is not None else code_of_gss.get(r["gss"] or "")
        if code is None:
            if rejects is not None and r["gss"]:
                rejects.append(Reject(las_file, r["_line"], "old_la_code", None,
                                      f"{r['gss']} {r['name']} has no DfE LA code"))
            continue
        key = (code, r["gss"])
        if key in rows:
            cur = rows[key]
            for k in ("valid_from", "valid_to", "region_code"):
                if r[k] is not None:
                    cur[k] = r[k]
            cur["name"] = cur["name"] or r["name"]
        else:
            rows[key] = {**{k: r[k] for k in COLUMNS}, "la_code": code}
    by_gss: dict[str, list[dict]] = {}
    for r in rows.values():
        if r["gss"]:
            by_gss.setdefault(r["gss"], []).append(r)
    for ch in changes:
        for r in by_gss.get(ch["old"] or "", []):
            if r["valid_to"] is None and ch["type"] in ("termination", "merger", "new_code"):
                r["valid_to"] = ch["start"] - 1
            if ch["type"] == "new_code" and ch["new"] and (r["la_code"], ch["new"]) not in rows:
                new = {**r, "gss": ch["new"], "name": ch["name"] or r["name"], "valid_from": ch["start"],
                       "valid_to": None}
                rows[(r["la_code"], ch["new"])] = new
        for r in by_gss.get(ch["new"] or "", []):
            if ch["type"] in ("merger", "new_code") and r["valid_from"] is None:
                r["valid_from"] = ch["start"]
    # A DfE code keeps its region across its GSS codes.
    region = {r["la_code"]: r["region_code"] for r in rows.values() if r["region_code"]}
    for r in rows.values():
        r["region_code"] = r["region_code"] or region.get(r["la_code"])
    df = pd.DataFrame(list(rows.values()), columns=COLUMNS)
    for c in ("la_code", "valid_from", "valid_to"):
        df[c] = df[c].astype("Int64")
    return df.sort_values(["la_code", "valid_from"], na_position="first").reset_index(drop=True)


def _siblings(path: Path) -> dict[str, Path]:
    """The other LA-code lookups in the same folder, by layout (first by name wins)."""
    found: dict[str, Path] = {}
    for p in sorted(path.parent.glob("*.csv")) + sorted(path.parent.glob("*.CSV")):
        if p != path:
            lay = _layout(p)
            if lay:
                found.setdefault(lay, p)
    return found


def read(path: Path) -> ReadResult:
    """Read a dfeR LA lookup (names or las), merged with its companions in the same folder."""
    path = Path(path)
    layout = _layout(path)
    if layout not in ("names", "las"):
        raise SourceError(path, "not a DfE LA-code lookup (expected a GIAS LA code and ONS code column, "
                                "or new_la_code/old_la_code/date_of_operation)")
    res = ReadResult(kind=KIND, path=path)
    sib = _siblings(path)
    names_path = path if layout == "names" else sib.get("names")
    las_path = path if layout == "las" else sib.get("las")
    rejects: list[Reject] = []
    names = _read_names(names_path, rejects) if names_path else []
    las = _read_las(las_path, rejects) if las_path else []
    changes = _read_changes(sib["changes"]) if "changes" in sib else []
    df = combine(names, las, changes, las_file=las_path.name if las_path else "", rejects=rejects)
    # Each file reports its own rejects; the merged table is delivered once, with the names file.
    res.rejects = [r for r in rejects if r.file == path.name]
    _, own_rows = read_csv_rows(path)
    res.rows_read = sum(1 for r in own_rows if any(c.strip() for c in r))
    if layout == "names":
        res.rows_loaded = len(names)
    else:
        res.rows_loaded = res.rows_read - len({r.line for r in res.rejects})
    if layout == "las" and names_path:
        res.notes.append(f"merged into the LA codes read from {names_path.name}")
        return res
    res.tables["la_codes"] = df
    used = [p.name for p in (names_path, las_path, sib.get("changes")) if p is not None and p != path]
    if used:
        res.notes.append("merged with " + ", ".join(used))
    return res


def load_default(folder: Path | None = None) -> pd.DataFrame:
    """The `la_codes` table from the bundle's lookups (`<raw>/geo/lookup_dfe_EnglishLaNameCodes.csv` & co)."""
    folder = Path(folder) if folder else raw_dir() / "geo"
    path = folder / DEFAULT_FILES[0]
    if not path.exists():
        raise SourceError(path, "the DfE LA-code lookup is missing")
    return read(path).tables["la_codes"]


def gss_for(la_codes: pd.DataFrame, la_code: int, year: int) -> str | None:
    """The GSS code of DfE LA `la_code` in academic year `year` (named by the year it ends), or None."""
    df = la_codes[(la_codes["la_code"] == int(la_code)) & la_codes["gss"].notna()]
    lo = df["valid_from"].fillna(-1).astype(int)
    hi = df["valid_to"].fillna(10**6).astype(int)
    hit = df[(lo <= int(year)) & (hi >= int(year))]
    if hit.empty:
        return None
    return str(hit.sort_values("valid_from", na_position="first").iloc[-1]["gss"])
