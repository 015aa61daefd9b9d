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
    p = panel.loc[panel[key].notna(), [key, "year", "urn"]]
    num = {c: panel.loc[p.index, c].to_numpy(float, na_value=np.nan)
           for c in ("dis", "oth", "dis_n", "oth_n", "dis_se", "oth_se")}
    dn, on = np.nan_to_num(num["dis_n"]), np.nan_to_num(num["oth_n"])
    dis_ok = ~np.isnan(num["dis"]) & (dn > 0)
    oth_ok = ~np.isnan(num["oth"]) & (on > 0)
    # Suppressed = the school has disadvantaged pupils but no published figure (schools with no pupils in
    # the key stage, e.g. infant schools in a KS2 file, are not counted at all).
    has_pupils = (dn > 0) | (on > 0) | ~np.isnan(num["dis"]) | ~np.isnan(num["oth"])
    supp = ~dis_ok & (dn > 0)
    rows = has_pupils | supp
    wd, wo = np.where(dis_ok, dn, 0.0), np.where(oth_ok, on, 0.0)
    with np.errstate(invalid="ignore"):
        parts = pd.DataFrame({
            key: p[key].to_numpy()[rows], "year": p["year"].to_numpy()[rows], "urn": p["urn"].to_numpy()[rows],
            "schools_with_data": dis_ok.astype(int)[rows], "suppressed_schools": supp.astype(int)[rows],
            "suppressed_pupils": np.where(supp, dn, 0.0)[rows], "dis_n": wd[rows], "oth_n": wo[rows],
            "_vd": np.where(dis_ok, num["dis"] * wd, 0.0)[rows], "_vo": np.where(oth_ok, num["oth"] * wo, 0.0)[rows],
            "_sd": np.where(dis_ok, (wd * np.nan_to_num(num["dis_se"])) ** 2, 0.0)[rows],
            "_so": np.where(oth_ok, (wo * np.nan_to_num(num["oth_se"])) ** 2, 0.0)[rows]})
    by = parts.groupby([key, "year"], sort=True)
    g = by[[c for c in parts.columns if c not in (key, "year", "urn")]].sum()
    g.insert(0, "schools", by["urn"].nunique())
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
