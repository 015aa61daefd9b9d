"""Shared reader for DfE school performance tables (`ks2final`, `ks4final`), any year from 2015/16.

Why one module for both: the two downloads share their layout (RECTYPE rows for schools, LA and England;
`_FSM6CLA1A` / `_NotFSM6CLA1A` pairs; prior-year `_YY` columns) and differ only in which columns hold
which measure. `ks2.py` and `ks4.py` supply those column specs.

The parsing runs inside DuckDB (every cell read as text, then numbers and codes separated in SQL) so a
national file with 20,000 schools loads at close to DuckDB's own CSV speed.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError

_FILE_YEAR = re.compile(r"(\d{4})[-_ ]?(\d{2,4})")
_SUFFIX = re.compile(r"^(.*)_(\d{2})$")


@dataclass(frozen=True)
class Spec:
    """Where one measure for one pupil group lives in the file (column names upper-cased)."""

    measure: str
    grp: str  # dis | oth | all | diffn
    value: str
    lower: str | None = None
    upper: str | None = None
    cohort: str | None = None  # a count column for this measure/group, e.g. P8PUP_FSM6CLA1A


@dataclass(frozen=True)
class Layout:
    """The columns that make a file of one key stage."""

    ks: str
    school_rectypes: tuple[str, ...]
    la_rectypes: tuple[str, ...]
    england_rectypes: dict[str, str]  # RECTYPE -> kind ('england_all', 'england_state')
    cohorts: dict[str, str]  # grp -> count column (TFSM6CLA1A …)
    cohort_pct: dict[str, str]  # grp -> percentage column, for prior years (PTFSM6CLA1A_YY × TELIG_YY)
    cohort_total: str  # TELIG (KS2) / TPUP (KS4)
    specs: tuple[Spec, ...]
    phase: str


def _q(name: str) -> str:
    """Quote a column identifier taken from a file header (never from user input)."""
    return '"' + name.replace('"', '""') + '"'


def file_year(path: Path, header_upper: list[str], known: set[str]) -> int:
    """The academic year (ending) a file is for: from its name (2018-2019_…), else from its `_YY` columns.

    A file for year Y carries prior-year columns for Y-1 and earlier, so the newest suffix plus one is Y.
    KS4's `_94`/`_95` (grades 9-4, 9-5) are not years: only suffixes on known measure columns count.
    """
    m = _FILE_YEAR.search(path.name)
    if m:
        start = int(m.group(1))
        end = m.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if end_year == start + 1 and 2000 < start < 2100:
            return end_year
    years = []
    for col in header_upper:
        s = _SUFFIX.match(col)
        if s and s.group(1) in known:
            years.append(2000 + int(s.group(2)))
    if years:
        return max(years) + 1
    raise SourceError(path, "cannot tell which academic year this file is for: name it like the DfE "
                            "download (e.g. 2018-2019_850_ks2final.csv)")


def _field_counts(text: str) -> list[int]:
    """Number of fields on each physical line (header first). Quoted lines go through csv."""
    counts = []
    for line in text.splitlines():
        if '"' in line:
            counts.append(len(next(csv.reader([line]))) if line else 0)
        else:
            counts.append(line.count(",") + 1 if line else 0)
    return counts


def sniff_header(header_upper: list[str], markers: tuple[str, ...]) -> bool:
    cols = set(header_upper)
    return "RECTYPE" in cols and "URN" in cols and any(m in cols for m in markers)


def read_performance(path: Path, layout: Layout, kind: str) -> ReadResult:
    """Read one performance-table file into school results, official area rows and school names."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(path, "the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
                          line=data[: exc.start].count(b"\n") + 1) from None
    counts = _field_counts(text)
    header = next(csv.reader([text.splitlines()[0]]))
    upper = [h.strip().upper() for h in header]
    actual = {u: h.strip() for u, h in zip(upper, header)}
    for required in ("RECTYPE", "URN", "LEA"):
        if required not in actual:
            raise SourceError(path, f"required column {required} is missing", line=1, column=required)
    base_cols = {s.value for s in layout.specs} | {s.lower for s in layout.specs if s.lower} \
        | set(layout.cohorts.values()) | set(layout.cohort_pct.values()) | {layout.cohort_total}
    year = file_year(path, upper, base_cols)

    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS _line, * FROM read_csv(?, "
            "all_varchar=true, header=true, null_padding=true, parallel=false, quote='\"', delim=',')",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise SourceError(path, f"cannot be parsed as CSV: {str(exc).splitlines()[0]}") from None
    n_rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    result = ReadResult(kind=kind, path=path, rows_read=n_rows)
    if n_rows == 0:
        raise SourceError(path, "the file has a header but no rows", line=2)
    # Columns as DuckDB named them (it keeps the header text; duplicates get suffixes).
    db_cols = [c for c in con.execute("SELECT * FROM raw LIMIT 0").fetchdf().columns if c != "_line"]
    col = {c.strip().upper(): c for c in reversed(db_cols)}

    # Row classification -------------------------------------------------------------------------
    # A row shorter than the header is read as far as it goes (missing trailing cells are missing). A row
    # that stops before the first results column is a new or closed school with nothing published.
    first_result = min((i for i, u in enumerate(upper) if u in base_cols and u not in ("TELIG", "TPUP")),
                       default=len(upper))
    short = {i + 1: n for i, n in enumerate(counts) if i > 0 and 0 < n <= first_result}  # line -> fields
    if len(counts) - 1 != n_rows:  # quoted newlines: line numbers from DuckDB only
        short = {}
    n_short = sum(1 for i, n in enumerate(counts) if i > 0 and first_result < n < len(header))
    if n_short:
        notes = [f"{n_short} rows shorter than the header: their missing trailing cells are read as missing"]
    else:
        notes = []
    school_types = list(layout.school_rectypes)
    area_types = list(layout.la_rectypes) + list(layout.england_rectypes)
    rows = con.execute(
        f"SELECT _line, trim({_q(col['RECTYPE'])}) AS rectype, trim({_q(col['URN'])}) AS urn, "
        f"trim({_q(col['LEA'])}) AS lea FROM raw ORDER BY _line"
    ).fetchdf()
    rejects: list[Reject] = []
    keep_school: list[int] = []
    seen_urn: dict[str, int] = {}
    for line, rectype, urn, _lea in rows.itertuples(index=False):
        if rectype in school_types:
            if not urn or not urn.isdigit():
                rejects.append(Reject(path.name, int(line), "URN", urn, "school row without a numeric URN"))
            elif urn in seen_urn:
                rejects.append(Reject(path.name, int(line), "URN", urn,
                                      f"duplicate URN in one year (first on line {seen_urn[urn]}); kept the first"))
            elif line in short:
                seen_urn[urn] = int(line)
                rejects.append(Reject(path.name, int(line), None, None,
                                      f"row has {short[line]} of {len(header)} fields (new or closed school: "
                                      "no results published); school registered, no results loaded"))
            else:
                seen_urn[urn] = int(line)
                keep_school.append(int(line))
        elif rectype in area_types:
            keep_school.append(int(line))
        else:
            rejects.append(Reject(path.name, int(line), "RECTYPE", rectype,
                                  f"unknown RECTYPE for {layout.ks.upper()} (expected "
                                  f"{', '.join(school_types + area_types)})"))
    con.execute("CREATE TEMP TABLE keep AS SELECT unnest(?::BIGINT[]) AS line", [keep_school])

    # Cells -> long form --------------------------------------------------------------------------
    selects, params = [], []
    years_found = {year}
    prior = sorted({int(m.group(2)) for u in upper if (m := _SUFFIX.match(u)) and m.group(1) in base_cols})
    for yy in [None] + prior:
        y = year if yy is None else 2000 + yy
        if y >= year and yy is not None:
            continue
        sfx = "" if yy is None else f"_{yy:02d}"
        total = col.get(layout.cohort_total + sfx)
        for spec in layout.specs:
            vcol = col.get(spec.value + sfx)
            if vcol is None:
                continue
            years_found.add(y)
            lo = col.get(spec.lower + sfx) if spec.lower else None
            up = col.get(spec.upper + sfx) if spec.upper else None
            cohort_sql, est = "NULL", "false"
            count_col = col.get(spec.cohort + sfx) if spec.cohort else None
            grp_count = col.get(layout.cohorts[spec.grp] + sfx) if spec.grp in layout.cohorts else None
            grp_pct = col.get(layout.cohort_pct[spec.grp] + sfx) if spec.grp in layout.cohort_pct else None
            if count_col:
                cohort_sql = f"TRY_CAST(trim({_q(count_col)}) AS INTEGER)"
            elif grp_count:
                cohort_sql = f"TRY_CAST(trim({_q(grp_count)}) AS INTEGER)"
            elif total and grp_pct:
                cohort_sql = (f"CAST(round(TRY_CAST(trim({_q(total)}) AS DOUBLE) * TRY_CAST(replace(trim("
                              f"{_q(grp_pct)}), '%', '') AS DOUBLE) / 100) AS INTEGER)")
                est = "true"
            selects.append(
                f"{{'year': ?::INTEGER, 'measure': ?::VARCHAR, 'grp': ?::VARCHAR, 'column_name': ?::VARCHAR, "
                f"'v': {_q(vcol)}, 'lo': {_q(lo) if lo else 'NULL::VARCHAR'}, "
                f"'up': {_q(up) if up else 'NULL::VARCHAR'}, 'cohort': ({cohort_sql})::INTEGER, "
                f"'cohort_estimated': {est}}}"
            )
            params += [y, spec.measure, spec.grp, vcol]
    if not selects:
        raise SourceError(path, f"no disadvantaged-pupil columns found (looked for e.g. {layout.specs[0].value})",
                          line=1)
    # One scan of the file's rows: each row becomes a list of (measure, group) cells, then unnested.
    num = "TRY_CAST(replace(replace(trim({x}), '%', ''), ',', '') AS DOUBLE)"
    con.execute(
        "CREATE TEMP TABLE cells AS SELECT _line, rectype, urn, lea, c.year, c.measure, c.grp, c.column_name, "
        "trim(c.v) AS v, {nv} AS value, {nlo} AS lower, {nup} AS upper, c.cohort, c.cohort_estimated FROM ("
        "SELECT r._line, trim(r.{rt}) AS rectype, trim(r.{urn}) AS urn, trim(r.{lea}) AS lea, unnest([{u}]) AS c "
        "FROM raw r JOIN keep k ON k.line = r._line)".format(
            rt=_q(col["RECTYPE"]), urn=_q(col["URN"]), lea=_q(col["LEA"]), u=", ".join(selects),
            nv=num.format(x="c.v"), nlo=num.format(x="c.lo"), nup=num.format(x="c.up")),
        params,
    )
    # A value with digits that is not a number is corrupt, not a code: reject the cell, keep the row.
    bad = con.execute(
        "SELECT _line, column_name, v FROM cells WHERE value IS NULL AND regexp_matches(coalesce(v, ''), '[0-9]') "
        "ORDER BY _line"
    ).fetchall()
    for line, cname, v in bad:
        rejects.append(Reject(path.name, int(line), cname, v, "not a number and not a known code: kept as "
                                                              "missing with status INVALID"))
    status = ("CASE WHEN value IS NOT NULL THEN NULL WHEN v IS NULL OR v = '' THEN 'EMPTY' "
              "WHEN regexp_matches(v, '[0-9]') THEN 'INVALID' ELSE v END")
    school_sql = (
        f"SELECT CAST(urn AS BIGINT) AS urn, TRY_CAST(lea AS INTEGER) AS la_code, year, ? AS ks, measure, grp, "
        f"value, lower, upper, {status} AS status, cohort, cohort_estimated, ? AS source, "
        f"? AS file_year FROM cells WHERE rectype IN ({','.join('?' * len(school_types))})"
    )
    school_results = con.execute(school_sql, [layout.ks, path.name, year, *school_types]).fetchdf()
    area_rows = []
    for rt in layout.la_rectypes:
        area_rows.append(("la", rt, "la"))
    for rt, k in layout.england_rectypes.items():
        area_rows.append(("england", rt, k))
    area_frames = []
    for level, rt, k in area_rows:
        df = con.execute(
            f"SELECT ? AS source, ? AS kind, ? AS level, CASE WHEN ? = 'england' THEN 'E92000001' ELSE lea END "
            f"AS area_code, NULL AS area_name, CASE WHEN ? = 'la' THEN TRY_CAST(lea AS INTEGER) END AS la_code, "
            f"year, ? AS ks, measure, grp, value, {status} AS status, cohort, ? AS file_year FROM cells "
            f"WHERE rectype = ?",
            [path.name, k, level, level, level, layout.ks, year, rt],
        ).fetchdf()
        area_frames.append(df)
    area = pd.concat(area_frames, ignore_index=True) if area_frames else pd.DataFrame()
    # LA name from the LA row's SCHNAME (DfE puts it there).
    if "SCHNAME" in col and layout.la_rectypes:
        la_names = dict(con.execute(
            f"SELECT trim({_q(col['LEA'])}), trim({_q(col['SCHNAME'])}) FROM raw WHERE trim({_q(col['RECTYPE'])}) "
            f"IN ({','.join('?' * len(layout.la_rectypes))})", list(layout.la_rectypes)).fetchall())
        area.loc[area["level"] == "la", "area_name"] = area.loc[area["level"] == "la", "area_code"].map(la_names)
    area.loc[area["level"] == "england", "area_name"] = "England"

    result.tables = {
        "school_results": school_results,
        "area_results": area,
        "schools": _schools_from_results(con, col, layout, path, school_types),
    }
    result.rejects = rejects
    result.notes = notes
    n_rejected_rows = len({r.line for r in rejects if r.reason.startswith(("row has", "duplicate", "unknown",
                                                                             "school row without"))})
    result.rows_loaded = n_rows - n_rejected_rows
    result.years = sorted(years_found)
    con.close()
    return result


def _schools_from_results(con, col: dict[str, str], layout: Layout, path: Path,
                          school_types: list[str]) -> pd.DataFrame:
    """Name, LA, town and postcode of every school row, so a school without a register row is still known."""
    def c(name: str) -> str:
        return f"nullif(trim({_q(col[name])}), '')" if name in col else "NULL"

    df = con.execute(
        f"SELECT DISTINCT ON (urn) CAST(trim({_q(col['URN'])}) AS BIGINT) AS urn, {c('SCHNAME')} AS name, "
        f"TRY_CAST(trim({_q(col['LEA'])}) AS INTEGER) AS la_code, {c('TOWN')} AS town, {c('PCODE')} AS postcode, "
        f"{c('NFTYPE')} AS type, trim({_q(col['RECTYPE'])}) AS rectype FROM raw "
        f"WHERE trim({_q(col['RECTYPE'])}) IN ({','.join('?' * len(school_types))}) "
        f"AND regexp_full_match(trim({_q(col['URN'])}), '[0-9]+')",
        school_types,
    ).fetchdf()
    df["phase"] = [("Special" if rt == "2" else layout.phase) for rt in df.pop("rectype")]
    df["register_source"] = "results:" + path.name
    return df


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
