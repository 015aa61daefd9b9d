"""The DuckDB store: its tables (documented in docs/schema.md) and how to open it."""
from __future__ import annotations

from pathlib import Path

import duckdb

from gapdata.paths import store_path

DDL = {
    "schools": """CREATE TABLE schools (
        urn BIGINT PRIMARY KEY, name VARCHAR, la_code INTEGER, la_name VARCHAR, district_code VARCHAR,
        district_name VARCHAR, phase VARCHAR, type VARCHAR, status VARCHAR, ofsted VARCHAR, pct_fsm DOUBLE,
        pupils INTEGER, trust VARCHAR, town VARCHAR, postcode VARCHAR, easting DOUBLE, northing DOUBLE,
        lon DOUBLE, lat DOUBLE, located_by VARCHAR, register_source VARCHAR)""",
    "school_links": """CREATE TABLE school_links (
        urn BIGINT, link_urn BIGINT, link_name VARCHAR, link_type VARCHAR, link_date DATE)""",
    "pupil_premium": """CREATE TABLE pupil_premium (
        urn BIGINT, la_code INTEGER, year INTEGER, pupils INTEGER, pp_eligible INTEGER, pp_pct DOUBLE,
        allocation DOUBLE)""",
    "school_results": """CREATE TABLE school_results (
        urn BIGINT, la_code INTEGER, year INTEGER, ks VARCHAR, measure VARCHAR, grp VARCHAR, value DOUBLE,
        lower DOUBLE, upper DOUBLE, status VARCHAR, cohort INTEGER, cohort_estimated BOOLEAN, source VARCHAR,
        file_year INTEGER)""",
    "area_results": """CREATE TABLE area_results (
        source VARCHAR, kind VARCHAR, level VARCHAR, area_code VARCHAR, area_name VARCHAR, la_code INTEGER,
        year INTEGER, ks VARCHAR, measure VARCHAR, grp VARCHAR, value DOUBLE, status VARCHAR, cohort INTEGER,
        file_year INTEGER)""",
    "la_codes": """CREATE TABLE la_codes (
        la_code INTEGER, gss VARCHAR, name VARCHAR, valid_from INTEGER, valid_to INTEGER, region_code VARCHAR)""",
    "postcodes": """CREATE TABLE postcodes (
        postcode_key VARCHAR, easting DOUBLE, northing DOUBLE, district_code VARCHAR)""",
    "sources": """CREATE TABLE sources (
        file VARCHAR, sha256 VARCHAR, kind VARCHAR, years VARCHAR, rows_read BIGINT, rows_loaded BIGINT,
        rows_rejected BIGINT, status VARCHAR, message VARCHAR)""",
    "rejects": """CREATE TABLE rejects (
        file VARCHAR, line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR)""",
    "build_info": """CREATE TABLE build_info (key VARCHAR, value VARCHAR)""",
}

# Columns each table accepts from readers (the DDL order).
COLUMNS: dict[str, list[str]] = {}


def _columns_of(ddl: str) -> list[str]:
    body = ddl[ddl.index("(") + 1: ddl.rindex(")")]
    cols = []
    for part in body.split(","):
        words = part.split()
        if words:
            cols.append(words[0].strip('"'))
    return cols


for _name, _ddl in DDL.items():
    COLUMNS[_name] = _columns_of(_ddl)


class StoreMissing(FileNotFoundError):
    """There is no store yet: the message says which command builds it."""


def connect(path: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store. Read-only by default: the dashboard and CLI never write to it."""
    p = store_path(path)
    if read_only and not p.exists():
        raise StoreMissing(f"No store at {p}. Build it with: python -m gapdata build --store {p}")
    return duckdb.connect(str(p), read_only=read_only)
