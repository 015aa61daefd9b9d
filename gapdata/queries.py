"""Read-side questions asked of the store by the CLI and the dashboard. Parameterised SQL only."""
from __future__ import annotations

import math

import duckdb

from gapdata.measures import MEASURES, SCHOOL_GAPS_SQL, school_gaps_sql, year_label


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = {}
        for c, v in zip(cols, row):
            if isinstance(v, float) and math.isnan(v):
                v = None
            rec[c] = v
        out.append(rec)
    return out


def school(con: duckdb.DuckDBPyConnection, urn: int) -> dict | None:
    rows = _records(con, "SELECT * FROM schools WHERE urn = ?", [urn])
    return rows[0] if rows else None


def school_gaps(con: duckdb.DuckDBPyConnection, urns: list[int] | None = None) -> list[dict]:
    if urns is None:
        return _records(con, f"SELECT * FROM ({SCHOOL_GAPS_SQL}) g ORDER BY ks, measure, year")
    sql = f"SELECT * FROM ({school_gaps_sql('urn IN (SELECT unnest(?))')}) g ORDER BY urn, ks, measure, year"
    return _records(con, sql, [[int(u) for u in urns]])


def school_profile(con: duckdb.DuckDBPyConnection, urn: int) -> dict | None:
    """Register facts and every year's results for one school, with links to predecessor/successor URNs."""
    s = school(con, urn)
    if s is None and not con.execute("SELECT 1 FROM school_results WHERE urn = ? LIMIT 1", [urn]).fetchall():
        return None
    results = school_gaps(con, [urn])
    for r in results:
        r["year_label"] = year_label(r["year"])
        r["measure_label"] = MEASURES[r["measure"]].label if r["measure"] in MEASURES else r["measure"]
    links = _records(con, "SELECT link_urn, link_name, link_type, link_date FROM school_links WHERE urn = ? "
                          "ORDER BY link_date NULLS LAST", [urn])
    return {"school": s or {"urn": urn}, "results": results, "links": links}


def coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """Which LAs x years x key stages have school-level results, and which area-level sources are loaded."""
    school_level = _records(con, """
        SELECT r.la_code, any_value(s.la_name) AS la_name, r.ks, r.year, count(DISTINCT r.urn) AS schools
        FROM school_results r LEFT JOIN schools s USING (urn)
        WHERE r.grp = 'dis' AND r.value IS NOT NULL
        GROUP BY r.la_code, r.ks, r.year ORDER BY la_name, r.ks, r.year""")
    for r in school_level:
        r["year_label"] = year_label(r["year"])
    area_level = _records(con, """
        SELECT CASE WHEN kind LIKE 'england%' OR kind = 'la' THEN 'school files' ELSE kind END AS kind, ks, measure,
               string_agg(DISTINCT CAST(year AS VARCHAR), ',' ORDER BY CAST(year AS VARCHAR)) AS years,
               count(DISTINCT area_code) AS areas
        FROM area_results WHERE value IS NOT NULL GROUP BY 1, ks, measure ORDER BY 1, ks, measure""")
    return {"school_level": school_level, "area_level": area_level}
