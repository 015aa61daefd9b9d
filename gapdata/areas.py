"""Area figures (LA, district, sub-region, liaison group, region), pupil-weighted from cohort counts.

An area's disadvantaged figure is Σ(value × cohort) / Σ cohort over its schools with a published value
and cohort — never the mean of school percentages. Schools whose figure is suppressed are counted (with
their pupils, where the file gives the cohort) so a reader can see what the aggregate leaves out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def aggregate(panel: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per `key` value and year: dis, oth, gap, cohorts, standard errors and counts of schools.

    `panel` needs key, year, dis, oth, dis_n, oth_n and dis_se/oth_se (trends.add_standard_errors).
    """
    p = panel.dropna(subset=[key]).copy()
    dis_ok = p["dis"].notna() & (p["dis_n"].fillna(0) > 0)
    oth_ok = p["oth"].notna() & (p["oth_n"].fillna(0) > 0)
    # Suppressed = the school has disadvantaged pupils but no published figure (schools with no pupils in
    # the key stage, e.g. infant schools in a KS2 file, are not counted at all).
    has_pupils = (p["dis_n"].fillna(0) > 0) | (p["oth_n"].fillna(0) > 0) | p["dis"].notna() | p["oth"].notna()
    supp = ~dis_ok & (p["dis_n"].fillna(0) > 0)
    p = p[has_pupils | supp].copy()
    dis_ok, oth_ok, supp = dis_ok[p.index], oth_ok[p.index], supp[p.index]
    p["_supp"] = supp.astype(int)
    p["_supp_n"] = np.where(supp, p["dis_n"].fillna(0), 0.0)
    p["_has"] = dis_ok.astype(int)
    p["_wd"] = np.where(dis_ok, p["dis_n"], 0.0)
    p["_wo"] = np.where(oth_ok, p["oth_n"], 0.0)
    p["_vd"] = np.where(dis_ok, p["dis"] * p["_wd"], 0.0)
    p["_vo"] = np.where(oth_ok, p["oth"] * p["_wo"], 0.0)
    p["_sd"] = np.where(dis_ok, (p["_wd"] * p["dis_se"].fillna(0)) ** 2, 0.0)
    p["_so"] = np.where(oth_ok, (p["_wo"] * p["oth_se"].fillna(0)) ** 2, 0.0)
    g = p.groupby([key, "year"], sort=True).agg(
        schools=("urn", "nunique"), schools_with_data=("_has", "sum"), suppressed_schools=("_supp", "sum"),
        suppressed_pupils=("_supp_n", "sum"), dis_n=("_wd", "sum"), oth_n=("_wo", "sum"), _vd=("_vd", "sum"),
        _vo=("_vo", "sum"), _sd=("_sd", "sum"), _so=("_so", "sum"))
    with np.errstate(invalid="ignore", divide="ignore"):
        g["dis"] = np.where(g["dis_n"] > 0, g["_vd"] / g["dis_n"], np.nan)
        g["oth"] = np.where(g["oth_n"] > 0, g["_vo"] / g["oth_n"], np.nan)
        g["dis_se"] = np.where(g["dis_n"] > 0, np.sqrt(g["_sd"]) / g["dis_n"], np.nan)
        g["oth_se"] = np.where(g["oth_n"] > 0, np.sqrt(g["_so"]) / g["oth_n"], np.nan)
    g["gap"] = g["oth"] - g["dis"]
    g["gap_se"] = np.sqrt(g["dis_se"] ** 2 + g["oth_se"] ** 2)
    g["dis_status"] = np.where(g["dis_n"] > 0, None, "no published figures")
    for c in ("dis_n", "oth_n", "suppressed_pupils"):
        g[c] = g[c].astype(int)
    return g.drop(columns=["_vd", "_vo", "_sd", "_so"]).reset_index()


def compare_official(agg: pd.DataFrame, official: pd.DataFrame, key: str = "la_code") -> pd.DataFrame:
    """Put the official LA rows beside the aggregates: official dis/oth and the differences (pp or points).

    The aggregate differs from the official figure because suppressed schools (≤ 5 pupils in a group) are
    left out of the aggregate but counted in DfE's LA figure.
    """
    off = official[official["level"] == "la"][["la_code", "year", "dis", "oth", "source"]].rename(
        columns={"dis": "official_dis", "oth": "official_oth", "source": "official_source"})
    off = off.dropna(subset=["la_code"]).drop_duplicates(["la_code", "year"])
    off["la_code"] = off["la_code"].astype(int)
    merged = agg.merge(off, left_on=[key, "year"], right_on=["la_code", "year"], how="left",
                       suffixes=("", "_off"))
    merged["diff_dis"] = merged["dis"] - merged["official_dis"]
    merged["diff_oth"] = merged["oth"] - merged["official_oth"]
    return merged


def england(official: pd.DataFrame) -> pd.DataFrame:
    """England (state-funded where published, else all schools) dis/oth by year."""
    e = official[official["level"] == "england"].copy()
    e["_pref"] = (e["kind"] != "england_state").astype(int)
    e = e.dropna(subset=["dis", "oth"], how="all").sort_values(["year", "_pref"]).drop_duplicates("year")
    e["gap"] = e["oth"] - e["dis"]
    return e[["year", "dis", "oth", "gap", "kind", "source"]].reset_index(drop=True)
