"""Is a gap widening? Standard errors from cohort sizes, two-year change, multi-year trend, funnel limits.

A school's or area's gap change is called *widening* or *narrowing* only when it is larger than the
uncertainty its cohort sizes imply (|change| / SE > z, default 1.96) and at least `min_change` in size.
Cohorts below the minimum (default 11 disadvantaged pupils) are *too small to say*. Uncertainty:
- percentages: binomial, SE = sqrt(p(100 − p) / n) for each pupil group;
- progress scores: DfE's own 95% confidence limits, SE = (upper − lower) / (2 × 1.96);
- mean scores without published limits: SE = SD / sqrt(n) with the SDs in config/criteria.toml.
Years without data are simply absent: nothing is interpolated across them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from gapdata.criteria import Criteria
from gapdata.measures import MEASURES, year_label

CLASSES = ["widening", "narrowing", "no clear change", "too small", "no data"]
Z95, Z998 = 1.959964, 3.090232


def _group_se(value: pd.Series, n: pd.Series, lo: pd.Series | None, hi: pd.Series | None, kind: str,
              sd: float | None) -> pd.Series:
    n = pd.to_numeric(n, errors="coerce").astype(float)
    v = pd.to_numeric(value, errors="coerce").astype(float)
    if kind == "pct":
        # Keep p away from 0 and 100 by half a pupil so a 0% or 100% group still has an uncertainty.
        p = np.clip(v, 50.0 / n, 100.0 - 50.0 / n)
        return np.sqrt(p * (100.0 - p) / n)
    if kind == "progress" and lo is not None and hi is not None:
        width = pd.to_numeric(hi, errors="coerce") - pd.to_numeric(lo, errors="coerce")
        se = width / (2 * Z95)
        if sd is not None:
            se = se.fillna(sd / np.sqrt(n))
        return se
    return (sd if sd is not None else np.nan) / np.sqrt(n)


def add_standard_errors(df: pd.DataFrame, measure: str, crit: Criteria) -> pd.DataFrame:
    """Add dis_se, oth_se and gap_se to a frame of school- or area-years (columns as in panel.school_panel)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _add_se(df, measure, crit)


def _add_se(df: pd.DataFrame, measure: str, crit: Criteria) -> pd.DataFrame:
    m = MEASURES[measure]
    sd = crit.score_sd.get(measure)
    out = df.copy(deep=False)  # copy-on-write (pandas 3): the caller's frame is never changed
    out["dis_se"] = _group_se(out["dis"], out["dis_n"], out.get("dis_lo"), out.get("dis_hi"), m.kind, sd)
    out["oth_se"] = _group_se(out["oth"], out["oth_n"], out.get("oth_lo"), out.get("oth_hi"), m.kind, sd)
    out["gap_se"] = np.sqrt(out["dis_se"] ** 2 + out["oth_se"] ** 2)
    return out


def _fmt(v: float, unit: str) -> str:
    return f"{v:+.1f} pp" if unit == "pp" else f"{v:+.2f}"


def _judge(c: dict[str, np.ndarray], lf: str, lt: str, unit: str, crit: Criteria) -> tuple[np.ndarray, list[str]]:
    """Classification (whole columns) and reason (one text per row) from compare_years' arrays."""
    mn = crit.min_disadvantaged_cohort
    n_from, n_to, g_from, g_to = c["dis_n_from"], c["dis_n_to"], c["gap_from"], c["gap_to"]
    change, se, z = c["change"], c["se_change"], c["z"]
    none = np.full(len(change), None, dtype=object)
    st_from, st_to = c.get("dis_status_from", none), c.get("dis_status_to", none)
    small = (n_from < mn) | (n_to < mn)  # NaN compares False: an unknown cohort is not "too small"
    missing = ~small & (np.isnan(g_from) | np.isnan(g_to))
    st = np.where(np.isnan(g_from), st_from, st_to)
    supp = missing & (st == "SUPP")
    no_se = ~small & ~missing & np.isnan(se)
    credible = ~small & ~missing & ~no_se & (np.abs(z) > crit.z_threshold) & (np.abs(change) >= crit.min_change)
    classes = np.select([small, supp, missing | no_se, credible & (change > 0), credible],
                        ["too small", "too small", "no data", "widening", "narrowing"], "no clear change")
    reasons = [""] * len(change)
    for i in np.flatnonzero(small).tolist():
        lab, n = (lf, n_from[i]) if n_from[i] < mn else (lt, n_to[i])
        reasons[i] = f"only {int(n)} disadvantaged pupils in {lab} (minimum {mn})"
    for i in np.flatnonzero(missing).tolist():
        which, s = (lf, st_from[i]) if np.isnan(g_from[i]) else (lt, st_to[i])
        reasons[i] = f"no gap for {which}" + (f" ({s})" if isinstance(s, str) else "")
    for i in np.flatnonzero(no_se).tolist():
        reasons[i] = "cohort sizes not published, so the change cannot be judged"
    for i, ch, e, zz in zip(np.flatnonzero(credible).tolist(), change[credible].tolist(), se[credible].tolist(),
                            z[credible].tolist()):
        reasons[i] = f"gap {_fmt(ch, unit)} from {lf} to {lt}, {abs(zz):.1f}× its standard error (±{e:.1f})"
    unclear = ~small & ~missing & ~no_se & ~credible
    for i, ch, e in zip(np.flatnonzero(unclear).tolist(), change[unclear].tolist(), se[unclear].tolist()):
        reasons[i] = f"change {_fmt(ch, unit)} is within the uncertainty of these cohorts (±{Z95 * e:.1f} at 95%)"
    return classes, reasons


def compare_years(df: pd.DataFrame, key: str, year_from: int, year_to: int, measure: str,
                  crit: Criteria) -> pd.DataFrame:
    """Gap in each of two years, its change, and a classification with the reason, one row per `key`.

    `df` holds one row per key and year with dis, oth, gap, dis_n, oth_n and dis_se/oth_se/gap_se
    (see add_standard_errors). Positive change = widening (disadvantaged pupils falling further behind).
    Built from whole arrays (one take per column) rather than joins: it runs on every filter change.
    """
    unit = MEASURES[measure].unit
    cols = [c for c in ["dis", "oth", "gap", "dis_n", "oth_n", "gap_se", "dis_status"] if c in df]
    year = df["year"].to_numpy()
    ia, ib = np.flatnonzero(year == year_from), np.flatnonzero(year == year_to)
    k = df[key]
    keys = pd.Index(k.iloc[ia]).union(pd.Index(k.iloc[ib]))
    rows = {}
    for suffix, idx in (("from", ia), ("to", ib)):
        r = np.full(len(keys), -1, dtype=np.intp)
        r[keys.get_indexer(k.iloc[idx])] = idx
        rows[suffix] = r
    data = {key: keys}
    for c in cols:
        arr = df[c].array
        for suffix in ("from", "to"):
            data[f"{c}_{suffix}"] = arr.take(rows[suffix], allow_fill=True)
    num = {c: np.asarray(pd.array(data[c]).to_numpy(float, na_value=np.nan))
           for c in ("dis_n_from", "dis_n_to", "gap_from", "gap_to", "gap_se_from", "gap_se_to")}
    with np.errstate(invalid="ignore", divide="ignore"):
        num["change"] = num["gap_to"] - num["gap_from"]
        num["se_change"] = np.sqrt(num["gap_se_from"] ** 2 + num["gap_se_to"] ** 2)
        num["z"] = num["change"] / num["se_change"]
    for c in ("dis_status_from", "dis_status_to"):
        if c in data:
            num[c] = np.asarray(pd.array(data[c]).to_numpy(object, na_value=None))
    data.update(change=num["change"], se_change=num["se_change"], z=num["z"])
    data["classification"], data["reason"] = _judge(num, year_label(year_from), year_label(year_to), unit, crit)
    return pd.DataFrame(data)


def multi_year_trend(df: pd.DataFrame, key: str, crit: Criteria, min_years: int = 3,
                     upto: int | None = None) -> pd.DataFrame:
    """Weighted least-squares slope of the gap per year over every year with data (gaps stay gaps), or every
    year up to `upto`.

    One row per key: years_used, slope (per year), slope_se, classification (or 'too few years').
    Weighted sums per key are bincounts over the keys' positions (no per-key Python).
    """
    cols = [key, "years_used", "slope", "slope_se", "trend"]
    gap = df["gap"].to_numpy(float, na_value=np.nan)
    gse = df["gap_se"].to_numpy(float, na_value=np.nan)
    has = ~np.isnan(gap) & ~np.isnan(gse)
    if upto is not None:  # a mask, not a filtered copy of the (wide) frame
        has &= df["year"].to_numpy() <= upto
    k = df[key][has]
    keys = pd.Index(k.unique()).sort_values()
    code = keys.get_indexer(k)
    ok = np.nan_to_num(df["dis_n"].to_numpy(float, na_value=np.nan)[has]) >= crit.min_disadvantaged_cohort
    code = code[ok]
    # x centred on a common year so the sums keep their precision.
    x = df["year"].to_numpy(float)[has][ok]
    x = x - (x.mean() if len(x) else 0.0)
    y, se = gap[has][ok], gse[has][ok]
    m = len(keys)

    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=v, minlength=m)

    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 / se ** 2
        n = np.bincount(code, minlength=m)
        bad_se = np.bincount(code, weights=(se <= 0).astype(float), minlength=m) > 0
        sw, swx, swy, swxx, swxy = total(w), total(w * x), total(w * y), total(w * x * x), total(w * x * y)
        xm = swx / sw
        sxx = swxx - sw * xm ** 2
        slope = (swxy - xm * swy) / sxx
        slope_se = np.sqrt(1.0 / sxx)
        z = slope / slope_se
    usable = (n >= min_years) & ~bad_se
    trend = np.select([z > crit.z_threshold, z < -crit.z_threshold], ["widening", "narrowing"], "no clear change")
    out = pd.DataFrame({key: keys, "years_used": n, "slope": np.where(usable, slope, np.nan),
                        "slope_se": np.where(usable, slope_se, np.nan),
                        "trend": np.where(usable, trend, "too few years")})
    return out[cols]


def funnel(compared: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel-plot data: each unit's change against its disadvantaged cohort, and 95% / 99.8% control limits.

    The limits are centred on the cohort-weighted mean change and narrow as k / sqrt(n), with k estimated
    from the units' own standard errors (median of se × sqrt(n)), so they apply to any measure.
    """
    # On arrays, then one take of the rows kept: this runs on every board filter change.
    change, se, n_from, n_to = (compared[c].to_numpy(float, na_value=np.nan)
                                for c in ("change", "se_change", "dis_n_from", "dis_n_to"))
    cohort = np.where(np.isnan(n_from), n_to, np.where(np.isnan(n_to), n_from, (n_from + n_to) / 2))
    with np.errstate(invalid="ignore"):
        keep = np.flatnonzero(~np.isnan(change) & ~np.isnan(se) & (cohort > 0))
    change, se, cohort = change[keep], se[keep], cohort[keep]
    if not len(keep):
        return compared.iloc[keep].assign(cohort=cohort), pd.DataFrame(
            columns=["cohort", "centre", "lo95", "hi95", "lo998", "hi998"])
    centre = float(np.average(change, weights=cohort))
    k = float(np.median(se * np.sqrt(cohort)))
    n = np.unique(np.geomspace(max(cohort.min() * 0.8, 1), cohort.max() * 1.2, 80))
    lim = pd.DataFrame({"cohort": n, "centre": centre, "lo95": centre - Z95 * k / np.sqrt(n),
                        "hi95": centre + Z95 * k / np.sqrt(n), "lo998": centre - Z998 * k / np.sqrt(n),
                        "hi998": centre + Z998 * k / np.sqrt(n)})
    pts = compared.iloc[keep].assign(cohort=cohort, outside95=np.abs(change - centre) > Z95 * k / np.sqrt(cohort),
                                     outside998=np.abs(change - centre) > Z998 * k / np.sqrt(cohort))
    return pts, lim
