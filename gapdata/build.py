"""Build the store from a folder of official files.

Atomic: everything is written to a new file beside the store, which replaces the old one only when the
build succeeded, so a failed or interrupted build leaves the previous store intact and readable.
"""
from __future__ import annotations

import importlib
import os
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from gapdata.measures import SCHOOL_GAPS_SQL
from gapdata.sources import registry
from gapdata.sources.base import ReadResult, SourceError
from gapdata.sources.performance import sha256_of
from gapdata.store import COLUMNS, DDL


class BuildError(Exception):
    """The build stopped (with --strict, or nothing usable was found). The previous store is untouched."""


@dataclass
class FileSummary:
    file: str
    kind: str
    years: list[int]
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str  # loaded | skipped | ignored
    message: str = ""


@dataclass
class BuildReport:
    store: Path
    files: list[FileSummary] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def _iter_files(raw: Path) -> list[Path]:
    return sorted(p for p in raw.rglob("*") if p.is_file() and not any(x.startswith(".") for x in p.parts[-3:]))


def build_store(raw: Path, store: Path, strict: bool = False,
                progress: Callable[[Path], None] | None = None) -> BuildReport:
    """Read every recognised file under `raw` and write the store at `store` atomically."""
    raw, store = Path(raw), Path(store)
    if not raw.is_dir():
        raise BuildError(f"raw-data folder {raw} does not exist")
    t0 = time.perf_counter()
    report = BuildReport(store=store)
    tmp = store.with_name(store.name + f".building-{os.getpid()}")
    store.parent.mkdir(parents=True, exist_ok=True)
    _remove(tmp)
    con = None
    try:
        con = duckdb.connect(str(tmp))
        # Keep the build under ~2 GiB on an England-sized load: DuckDB spills the de-duplication to disk.
        con.execute(f"SET memory_limit = '{BUILD_MEMORY}'")
        con.execute("SET enable_progress_bar = false")  # the build reports progress itself (tqdm, per file)
        for ddl in DDL.values():
            con.execute(ddl.replace("PRIMARY KEY", ""))
        for name in STREAMED:
            con.execute(f"CREATE TABLE _stage_{name} AS SELECT * FROM {name} LIMIT 0")
        tables, rejects = _read_all(raw, con, report, strict, progress)
        if not any(f.status == "loaded" for f in report.files):
            raise BuildError(f"no recognised data files under {raw}")
        _write(con, tables, rejects, report)
        report.counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DDL}
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, store)
    except BaseException:
        if con is not None:
            con.close()
        _remove(tmp)
        raise
    report.seconds = time.perf_counter() - t0
    return report


# Large tables go to the build database file by file, so memory holds one file's rows at a time.
STREAMED = ("school_results", "area_results")
BUILD_MEMORY = os.environ.get("GAPDATA_BUILD_MEMORY", "1GB")


def _remove(tmp: Path) -> None:
    for p in (tmp, Path(str(tmp) + ".wal")):
        if p.exists():
            p.unlink()


@dataclass
class _FileRead:
    """One file's outcome, small enough to send back from a worker process."""

    path: Path
    module: str | None  # the recognising module's name; None when no reader recognises the file
    result: ReadResult | None = None
    error: SourceError | None = None
    sha256: str | None = None


def _read_one(path: Path) -> _FileRead:
    """Recognise and read one file (runs in a worker process for large builds)."""
    mod = registry.recognise(path, registry.modules())
    if mod is None:
        return _FileRead(path, None)
    try:
        res = mod.read(path)
    except SourceError as exc:
        return _FileRead(path, mod.__name__, error=exc)
    return _FileRead(path, mod.__name__, result=res, sha256=sha256_of(path))


def _workers(n_files: int) -> int:
    """Reader processes: one per core (at most 4, `GAPDATA_BUILD_WORKERS` overrides); none for a few files,
    where starting processes would cost more than it saves."""
    want = int(os.environ.get("GAPDATA_BUILD_WORKERS", min(os.cpu_count() or 1, 4)))
    return want if want > 1 and n_files >= 32 else 1


def _reads(files: list[Path]) -> Iterator[_FileRead]:
    """Each file's outcome, in file order; read in parallel processes when there are many files."""
    n = _workers(len(files))
    if n == 1:
        yield from map(_read_one, files)
        return
    done = 0
    # 'spawn': the parent holds an open DuckDB database, which must not be forked into the readers. A spawned
    # process re-imports the parent's __main__ by path; under Streamlit's AppTest that is the app script, which
    # must not run in a reader, so a plain module stands in while the readers start.
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn")) as pool:
            results = pool.map(_read_one, files, chunksize=4)
            sys.modules["__main__"] = main
            try:
                for got in results:
                    done += 1
                    yield got
            except BrokenProcessPool:
                pass  # a reader process died (e.g. killed for memory): the rest are read here, one by one
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        sys.modules["__main__"] = main
    yield from map(_read_one, files[done:])


def _read_all(raw: Path, con: duckdb.DuckDBPyConnection, report: BuildReport, strict: bool,
              progress: Callable[[Path], None] | None) -> tuple[dict[str, list[pd.DataFrame]], list[dict]]:
    """Read every file: results are staged in `con` at once; the small tables are returned for merging."""
    tables: dict[str, list[pd.DataFrame]] = defaultdict(list)
    rejects: list[dict] = []
    for got in _reads(_iter_files(raw)):
        path = got.path
        rel = str(path.relative_to(raw))
        if progress:
            progress(path)
        if got.module is None:
            why = ("documentation" if path.suffix.lower() in registry.DOC_SUFFIXES
                   else "not a recognised data file (field guide, metadata or unknown format)")
            report.files.append(FileSummary(rel, "-", [], 0, 0, 0, "ignored", why))
            continue
        if got.error is not None:
            if strict:
                raise BuildError(f"{got.error} (stopped: --strict)") from got.error
            mod = importlib.import_module(got.module)
            report.files.append(FileSummary(rel, getattr(mod, "KIND", got.module.rsplit(".", 1)[-1]), [], 0, 0,
                                            0, "skipped", str(got.error)))
            continue
        res = got.result
        for name, df in res.tables.items():
            if df is None or not len(df):
                continue
            if name in STREAMED:
                _insert(con, f"_stage_{name}", df.reindex(columns=COLUMNS[name]), COLUMNS[name])
            elif name == "schools":
                tables[name].append(df.assign(_prio=_register_priority(df, got.module, len(report.files))))
            else:
                tables[name].append(df)
        for r in res.rejects:
            # A reader may report rows of a companion file (e.g. a lookup read beside another): keep its name.
            where = rel if not r.file or Path(r.file).name == path.name else str(
                (path.parent / Path(r.file).name).relative_to(raw))
            rejects.append({"file": where, "line": r.line, "column": r.column, "value": r.value, "reason": r.reason})
        report.files.append(FileSummary(rel, res.kind, res.years, res.rows_read, res.rows_loaded,
                                        max(res.rows_read - res.rows_loaded, 0), "loaded", "; ".join(res.notes)))
        report.files[-1].sha256 = got.sha256  # type: ignore[attr-defined]
    return tables, rejects


def _register_priority(df: pd.DataFrame, module: str, file_index: int) -> list[int]:
    """Lower wins: a GIAS register row over the open-schools list over a results-file row; among files of one
    kind, the later one in name order (DfE names carry dates or years, so the newer extract wins)."""
    base = {"gapdata.sources.gias": 0, "gapdata.sources.open_schools": 1}.get(module, 2)
    return [base * 1_000_000 - file_index] * len(df)


def _concat(frames: list[pd.DataFrame], table: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    cols = COLUMNS[table] + list(extra)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    df = pd.concat([f.reindex(columns=cols) for f in frames], ignore_index=True)
    return df


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, columns: list[str] | None = None) -> None:
    con.register("_incoming", df)
    cols = ", ".join(f'"{c}"' for c in (columns or COLUMNS[table]))
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming")
    con.unregister("_incoming")


def _write(con: duckdb.DuckDBPyConnection, tables: dict[str, list[pd.DataFrame]], rejects: list[dict],
           report: BuildReport) -> None:
    _insert(con, "la_codes", _concat(tables.get("la_codes", []), "la_codes").drop_duplicates())
    _insert(con, "postcodes", _concat(tables.get("postcodes", []), "postcodes")
            .drop_duplicates("postcode_key", keep="last"))
    _insert(con, "school_links", _concat(tables.get("school_links", []), "school_links").drop_duplicates())
    _insert(con, "pupil_premium", _concat(tables.get("pupil_premium", []), "pupil_premium"))

    # Results: where two files carry the same school-year, the file whose own year it is wins. Stored in
    # (ks, measure) order so a one-measure query reads only that measure's row groups (DuckDB zonemaps).
    con.execute("""INSERT INTO school_results SELECT * EXCLUDE (_rk) FROM (
        SELECT *, row_number() OVER (PARTITION BY urn, year, ks, measure, grp
                                     ORDER BY (file_year = year) DESC, file_year DESC, source) AS _rk
        FROM _stage_school_results) WHERE _rk = 1
        ORDER BY ks, measure, urn, year""")
    con.execute("""INSERT INTO area_results SELECT * EXCLUDE (_rk) FROM (
        SELECT *, CASE WHEN file_year IS NULL THEN 1 ELSE row_number() OVER (
            PARTITION BY kind, level, area_code, year, ks, measure, grp
            ORDER BY (file_year = year) DESC, file_year DESC, source) END AS _rk
        FROM _stage_area_results) WHERE _rk = 1""")
    for name in STREAMED:
        con.execute(f"DROP TABLE _stage_{name}")
    # LA rows from performance files carry the DfE code: give them the GSS code and name valid that year.
    con.execute("""UPDATE area_results a SET area_code = l.gss, area_name = coalesce(a.area_name, l.name)
        FROM la_codes l WHERE a.level = 'la' AND a.la_code = l.la_code AND a.area_code = CAST(l.la_code AS VARCHAR)
          AND a.year >= coalesce(l.valid_from, 0) AND a.year <= coalesce(l.valid_to, 9999)""")

    _write_schools(con, tables.get("schools", []))
    _write_school_gaps(con)
    src = pd.DataFrame([{
        "file": f.file, "sha256": getattr(f, "sha256", None), "kind": f.kind,
        "years": ",".join(str(y) for y in f.years), "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
        "rows_rejected": f.rows_rejected, "status": f.status, "message": f.message} for f in report.files])
    _insert(con, "sources", src)
    if rejects:
        _insert(con, "rejects", pd.DataFrame(rejects))
    con.execute("INSERT INTO build_info VALUES ('built_at', ?), ('raw_dir', ?)",
                [time.strftime("%Y-%m-%d %H:%M:%S"), str(report.store)])


def _write_school_gaps(con: duckdb.DuckDBPyConnection) -> None:
    """The pivot of school_results into one row per school, year and measure (measures.SCHOOL_GAPS_SQL), with the
    register's LA beside the file's, stored in (ks, measure, urn, year) order with status codes as an ENUM.

    Every page and analysis reads one measure's panel from it: 3x faster than pivoting on each read at England
    scale (a filter change), for about a second more build time."""
    con.execute("""CREATE TYPE result_status AS ENUM (
        SELECT DISTINCT status FROM school_results WHERE status IS NOT NULL
        UNION SELECT 'SUPP' ORDER BY 1)""")  # never empty: DuckDB needs at least one member
    con.execute(f"""CREATE TABLE school_gaps AS
        SELECT g.* EXCLUDE (dis_status, oth_status), g.dis_status::result_status AS dis_status,
               g.oth_status::result_status AS oth_status, s.la_code AS register_la_code
        FROM ({SCHOOL_GAPS_SQL}) g LEFT JOIN schools s USING (urn)
        ORDER BY ks, measure, urn, year""")


def _write_schools(con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> None:
    """One row per URN: each field from the highest-priority source that has it; then geocode by postcode."""
    df = _concat(frames, "schools", extra=("_prio",))
    con.execute("CREATE TEMP TABLE _sc AS SELECT *, 0 AS _prio FROM schools LIMIT 0")
    con.register("_incoming", df)
    all_cols = ", ".join(f'"{c}"' for c in COLUMNS["schools"] + ["_prio"])
    con.execute(f"INSERT INTO _sc ({all_cols}) SELECT {all_cols} FROM _incoming")
    con.unregister("_incoming")
    cols = [c for c in COLUMNS["schools"] if c != "urn"]
    picks = ",\n".join(f'arg_min("{c}", _prio) FILTER (WHERE "{c}" IS NOT NULL) AS "{c}"' for c in cols)
    con.execute(f"CREATE TEMP TABLE _merged AS SELECT urn, {picks} FROM _sc WHERE urn IS NOT NULL GROUP BY urn")
    con.execute("DROP TABLE _sc")
    # Registers without an LA column (the open-schools list) get the LA from the pupil premium allocations.
    con.execute("""UPDATE _merged m SET la_code = pp.la_code FROM (
        SELECT urn, arg_max(la_code, year) AS la_code FROM pupil_premium GROUP BY urn) pp
        WHERE m.la_code IS NULL AND m.urn = pp.urn""")
    # A school with both KS2 and KS4 results and no register phase is all-through.
    con.execute("""UPDATE _merged SET phase = 'All-through' WHERE register_source LIKE 'results:%' AND urn IN (
        SELECT urn FROM school_results GROUP BY urn HAVING count(DISTINCT ks) = 2)""")
    con.execute("UPDATE _merged SET located_by = 'gias' WHERE easting IS NOT NULL AND easting > 0 "
                "AND located_by IS NULL")
    con.execute("""UPDATE _merged m SET easting = p.easting, northing = p.northing, located_by = 'postcode',
            district_code = coalesce(m.district_code, p.district_code)
        FROM postcodes p WHERE (m.easting IS NULL OR m.easting <= 0) AND m.postcode IS NOT NULL
          AND upper(replace(m.postcode, ' ', '')) = p.postcode_key""")
    # Registers that name the district without its code (GIAS extracts before 2023) get the code of the
    # school's postcode from Code-Point Open, so district presets (e.g. Hampshire's districts) find them.
    con.execute("""UPDATE _merged m SET district_code = p.district_code FROM postcodes p
        WHERE m.district_code IS NULL AND m.postcode IS NOT NULL AND p.district_code IS NOT NULL
          AND upper(replace(m.postcode, ' ', '')) = p.postcode_key""")
    con.execute("UPDATE _merged SET located_by = 'none', easting = NULL, northing = NULL "
                "WHERE easting IS NULL OR easting <= 0")
    todo = con.execute("SELECT urn, easting, northing FROM _merged WHERE easting IS NOT NULL "
                       "AND (lon IS NULL OR lat IS NULL)").fetchdf()
    if len(todo):
        lon, lat = bng_to_wgs84(todo["easting"].to_numpy(), todo["northing"].to_numpy())
        todo["lon"], todo["lat"] = lon, lat
        con.register("_ll", todo)
        con.execute("UPDATE _merged m SET lon = t.lon, lat = t.lat FROM _ll t WHERE m.urn = t.urn")
        con.unregister("_ll")
    # LA name from the LA codes where the register did not give one.
    con.execute("""UPDATE _merged m SET la_name = l.name FROM (
        SELECT la_code, arg_max(name, coalesce(valid_to, 9999)) AS name FROM la_codes GROUP BY la_code) l
        WHERE m.la_name IS NULL AND m.la_code = l.la_code""")
    con.execute(f"INSERT INTO schools SELECT urn, {', '.join(cols)} FROM _merged")
    con.execute("DROP TABLE _merged")


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres to WGS84 lon/lat (pyproj, the full OSTN-free Helmert-grade transform)."""
    from pyproj import Transformer

    tr = Transformer.from_crs(27700, 4326, always_xy=True)
    return tr.transform(np.asarray(easting, float), np.asarray(northing, float))
