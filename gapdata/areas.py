"""Area figures (LA, district, sub-region, liaison group, region), pupil-weighted from cohort counts.

An area's disadvantaged figure is Σ(value × cohort) / Σ cohort over its schools with a published value
and cohort — never the mean of school percentages. Schools whose figure is suppressed are counted (with
their pupils, where the file gives the cohort) so a reader can see what the aggregate leaves out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def aggregate(panel: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per `key` value and year (in that order): dis, oth, gap, cohorts, standard errors and counts of
    schools.

    `panel` needs key, year, urn, dis, oth, dis_n, oth_n and dis_se/oth_se (trends.add_standard_errors). Sums
    are taken with bincount over group numbers rather than a pandas groupby: the pages aggregate on every filter
    change, and on a few thousand rows a groupby's fixed costs were most of the time.
    """
    idx = np.flatnonzero(panel[key].notna().to_numpy())  # take columns, not the whole (wide) frame
    num = {c: panel[c].to_numpy(float, na_value=np.nan)[idx] for c in ("dis", "oth", "dis_n", "oth_n", "dis_se",
                                                                       "oth_se")}
    dn, on = np.nan_to_num(num["dis_n"]), np.nan_to_num(num["oth_n"])
    dis_ok = ~np.isnan(num["dis"]) & (dn > 0)
    oth_ok = ~np.isnan(num["oth"]) & (on > 0)
    # Suppressed = the school has disadvantaged pupils but no published figure (schools with no pupils in
    # the key stage, e.g. infant schools in a KS2 file, are not counted at all).
    rows = (dn > 0) | (on > 0) | ~np.isnan(num["dis"]) | ~np.isnan(num["oth"])
    supp = ~dis_ok & (dn > 0)
    idx, dn, on, dis_ok, oth_ok, supp = idx[rows], dn[rows], on[rows], dis_ok[rows], oth_ok[rows], supp[rows]
    num = {c: v[rows] for c, v in num.items()}
    key_codes = pd.factorize(panel[key], sort=True)[0][idx]  # numbering every row beats taking the texts first
    year_codes, years = pd.factorize(panel["year"].to_numpy()[idx], sort=True)
    cell = key_codes.astype(np.int64) * len(years) + year_codes
    gid, first = np.unique(cell, return_index=True)
    inv = np.searchsorted(gid, cell)
    n = len(gid)

    def total(w: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=w, minlength=n)

    wd, wo = np.where(dis_ok, dn, 0.0), np.where(oth_ok, on, 0.0)
    urn = panel["urn"].to_numpy(np.int64)[idx]
    d_n, o_n = total(wd), total(wo)
    with np.errstate(invalid="ignore", divide="ignore"):
        vd, vo = total(np.where(dis_ok, num["dis"] * wd, 0.0)), total(np.where(oth_ok, num["oth"] * wo, 0.0))
        sd = total(np.where(dis_ok, (wd * np.nan_to_num(num["dis_se"])) ** 2, 0.0))
        so = total(np.where(oth_ok, (wo * np.nan_to_num(num["oth_se"])) ** 2, 0.0))
        dis, oth = np.where(d_n > 0, vd / d_n, np.nan), np.where(o_n > 0, vo / o_n, np.nan)
        dis_se, oth_se = np.where(d_n > 0, np.sqrt(sd) / d_n, np.nan), np.where(o_n > 0, np.sqrt(so) / o_n, np.nan)
    # Built in one go: assigning fifteen columns one by one cost as much as the sums.
    return pd.DataFrame({
        key: panel[key].iloc[idx[first]].reset_index(drop=True), "year": years[year_codes[first]],
        "schools": _distinct_per_group(inv, urn, n),
        "schools_with_data": np.bincount(inv, weights=dis_ok, minlength=n).astype(np.int64),
        "suppressed_schools": np.bincount(inv, weights=supp, minlength=n).astype(np.int64),
        "suppressed_pupils": total(np.where(supp, dn, 0.0)).astype(int),
        "dis_n": d_n.astype(int), "oth_n": o_n.astype(int), "dis": dis, "oth": oth, "dis_se": dis_se,
        "oth_se": oth_se, "gap": oth - dis, "gap_se": np.sqrt(dis_se ** 2 + oth_se ** 2),
        "dis_status": np.where(d_n > 0, None, "no published figures")})


def _distinct_per_group(group: np.ndarray, urn: np.ndarray, n: int) -> np.ndarray:
    """How many distinct URNs each of `n` groups holds (a sort, not np.unique's hash: 3x faster here)."""
    if not len(urn):
        return np.zeros(n, dtype=np.int64)
    base = int(urn.max()) + 1
    pair = np.sort(group * base + urn)  # (group, URN) as one number, groups in order
    first = np.r_[True, pair[1:] != pair[:-1]]
    return np.bincount(pair[first] // base, minlength=n)


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
    """England (state-funded where published, else all schools) dis/oth by year.

    On arrays: the handful of England rows went through five pandas steps that cost 6-10 ms on every measure
    a page loads."""
    level = official["level"].to_numpy(object)
    dis, oth = (official[c].to_numpy(float, na_value=np.nan) for c in ("dis", "oth"))
    rows = np.flatnonzero((level == "england") & ~(np.isnan(dis) & np.isnan(oth)))
    year = official["year"].to_numpy()[rows]
    other_kind = official["kind"].to_numpy(object)[rows] != "england_state"
    sort = np.lexsort((other_kind, year))  # by year, state-funded first (stable: file order after that)
    first = np.r_[True, year[sort][1:] != year[sort][:-1]] if len(sort) else np.zeros(0, bool)
    order = rows[sort]
    e = official.iloc[order[first]]
    return pd.DataFrame({"year": e["year"].to_numpy(), "dis": e["dis"].to_numpy(float, na_value=np.nan),
                         "oth": e["oth"].to_numpy(float, na_value=np.nan),
                         "gap": (e["oth"] - e["dis"]).to_numpy(float, na_value=np.nan),
                         "kind": e["kind"].reset_index(drop=True), "source": e["source"].reset_index(drop=True)})
