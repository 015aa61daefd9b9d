"""Which schools belong to which area: LA, district, sub-region (from a preset) or liaison group.

Sub-region members are GSS codes of LAs or districts (geo.regions.resolve gives them for a year); schools carry
a DfE LA code and a district code, so LA members are matched through the store's `la_codes` for that year.
"""
from __future__ import annotations

import duckdb
import pandas as pd


def la_gss(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    """DfE LA code -> GSS code and name valid in `year` (academic year ending)."""
    return con.execute("""
        SELECT la_code, arg_max(gss, coalesce(valid_from, 0)) AS gss, arg_max(name, coalesce(valid_from, 0)) AS name
        FROM la_codes WHERE coalesce(valid_from, 0) <= ? AND coalesce(valid_to, 9999) >= ?
        GROUP BY la_code""", [year, year]).fetchdf()


def subregion_membership(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, year: int) -> pd.DataFrame:
    """DataFrame[urn, subregion] for the schools inside a preset's resolved members (LAs or districts)."""
    schools = con.execute("SELECT urn, la_code, district_code FROM schools").fetchdf()
    gss = la_gss(con, year)
    schools = schools.merge(gss[["la_code", "gss"]], on="la_code", how="left")
    by_la = schools.merge(members[["subregion", "member_code"]], left_on="gss", right_on="member_code")
    by_district = schools.merge(members[["subregion", "member_code"]], left_on="district_code",
                                right_on="member_code")
    out = pd.concat([by_la, by_district])[["urn", "subregion"]].drop_duplicates("urn")
    return out.reset_index(drop=True)
