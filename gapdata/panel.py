"""Load one measure's school-by-year panel from the store, with register facts beside it.

User choices (key stage, measure, LAs) reach DuckDB as parameters, never as formatted SQL.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from gapdata.measures import SCHOOL_GAPS_SQL

PANEL_COLUMNS = ["urn", "year", "ks", "measure", "dis", "dis_status", "dis_n", "dis_lo", "dis_hi", "oth",
                 "oth_status", "oth_n", "oth_lo", "oth_hi", "diffn", "gap", "la_code", "phase", "district_code",
                 "district_name", "ofsted"]
# Register facts that are the same in every year: joined once per school (analytics.SCHOOL_INFO), not per row.
REGISTER_COLUMNS = ["urn", "name", "la_name", "pupils", "town", "postcode", "easting", "northing", "lon", "lat",
                    "pct_fsm"]


def school_panel(con: duckdb.DuckDBPyConnection, ks: str, measure: str,
                 la_codes: list[int] | None = None) -> pd.DataFrame:
    """One row per school and year for a measure, in (urn, year) order: disadvantaged, other, cohorts, limits,
    gap; the school's LA, phase, district and Ofsted grade (what areas and criteria need).

    Reads the build's `school_gaps` table (a store built before it existed is pivoted on the fly). The
    register's text columns are joined in pandas, once per school: fetching them from DuckDB on every
    school-year row costs more than the whole query.
    """
    source = "school_gaps" if _has_table(con, "school_gaps") else f"""(
        SELECT g.*, s.la_code AS register_la_code FROM ({SCHOOL_GAPS_SQL}) g LEFT JOIN schools s USING (urn))"""
    sql = f"""
        SELECT urn, year, dis, dis_status, dis_n, dis_lo, dis_hi, oth, oth_status, oth_n, oth_lo, oth_hi, diffn, gap,
               coalesce(register_la_code, la_code) AS la_code
        FROM {source} WHERE ks = ? AND measure = ?"""
    params: list = [ks, measure]
    if la_codes:
        sql += " AND coalesce(register_la_code, la_code) IN (SELECT unnest(?))"
        params.append([int(x) for x in la_codes])
    df = con.execute(sql, params).fetchdf()
    urn, year = df["urn"].to_numpy(), df["year"].to_numpy()
    if len(df) > 1 and not ((np.diff(urn) > 0) | ((np.diff(urn) == 0) & (np.diff(year) > 0))).all():
        df = df.sort_values(["urn", "year"], kind="stable", ignore_index=True)  # the table is stored in this order
    # Texts as categories: every filter, sort and merge downstream takes rows of these few distinct values, and
    # arrow-backed strings copy each text on every take (a quarter of analyse's time at England scale).
    reg = _register(con, ["urn", "phase", "district_code", "district_name", "ofsted"], ks, measure)
    for c in ("phase", "district_code", "district_name", "ofsted"):
        reg[c] = reg[c].astype("category")
    df = df.merge(reg, on="urn", how="left")
    for c in ("dis_status", "oth_status"):
        df[c] = df[c].astype("category")
    df["ks"] = pd.Categorical.from_codes(np.zeros(len(df), dtype="int8"), [ks])
    df["measure"] = pd.Categorical.from_codes(np.zeros(len(df), dtype="int8"), [measure])
    return df[PANEL_COLUMNS]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def register_facts(con: duckdb.DuckDBPyConnection, ks: str | None = None,
                   measure: str | None = None) -> pd.DataFrame:
    """Name, place and size of schools in the register (REGISTER_COLUMNS), one row per URN: every school, or
    only those with results for a key stage and measure."""
    return _register(con, REGISTER_COLUMNS, ks, measure)


def _register(con: duckdb.DuckDBPyConnection, cols: list[str], ks: str | None, measure: str | None) -> pd.DataFrame:
    """Register columns, optionally only for schools with results for (ks, measure): a semi-join in DuckDB,
    since the register lists every open school (a third of the time on a two-LA store)."""
    sql = f"SELECT {', '.join(cols)} FROM schools"
    if ks is None:
        return con.execute(sql).fetchdf()
    sql += " WHERE urn IN (SELECT urn FROM school_results WHERE ks = ? AND measure = ?)"
    return con.execute(sql, [ks, measure]).fetchdf()


def official_rows(con: duckdb.DuckDBPyConnection, ks: str, measure: str) -> pd.DataFrame:
    """Official LA and England rows (from the school files and LA-level sources): dis and oth side by side."""
    return con.execute("""
        SELECT level, kind, area_code, any_value(area_name) AS area_name, any_value(la_code) AS la_code, year,
               max(value) FILTER (WHERE grp IN ('dis', 'fsm')) AS dis,
               max(value) FILTER (WHERE grp IN ('oth', 'notfsm')) AS oth,
               max(cohort) FILTER (WHERE grp IN ('dis', 'fsm')) AS dis_n,
               max(cohort) FILTER (WHERE grp IN ('oth', 'notfsm')) AS oth_n,
               any_value(source) AS source
        FROM area_results WHERE ks = ? AND measure = ?
        GROUP BY level, kind, area_code, year ORDER BY level, area_code, year""", [ks, measure]).fetchdf()


def years_available(con: duckdb.DuckDBPyConnection, ks: str) -> list[int]:
    """Years with any disadvantaged school-level value for a key stage."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT year FROM school_results WHERE ks = ? AND grp = 'dis' AND value IS NOT NULL ORDER BY year",
        [ks]).fetchall()]
