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
    out = df.copy()
    out["dis_se"] = _group_se(out["dis"], out["dis_n"], out.get("dis_lo"), out.get("dis_hi"), m.kind, sd)
    out["oth_se"] = _group_se(out["oth"], out["oth_n"], out.get("oth_lo"), out.get("oth_hi"), m.kind, sd)
    out["gap_se"] = np.sqrt(out["dis_se"] ** 2 + out["oth_se"] ** 2)
    return out


def _fmt(v: float, unit: str) -> str:
    return f"{v:+.1f} pp" if unit == "pp" else f"{v:+.2f}"


def _judge(out: pd.DataFrame, lf: str, lt: str, unit: str, crit: Criteria) -> tuple[list[str], list[str]]:
    """Classification and reason per row of compare_years' frame (plain arrays: no per-row pandas access)."""
    mn = crit.min_disadvantaged_cohort
    n_from, n_to = (out[c].to_numpy(float, na_value=np.nan) for c in ("dis_n_from", "dis_n_to"))
    g_from, g_to = (out[c].to_numpy(float, na_value=np.nan) for c in ("gap_from", "gap_to"))
    change, se, z = (out[c].to_numpy(float, na_value=np.nan) for c in ("change", "se_change", "z"))
    none = [None] * len(out)
    st_from = out["dis_status_from"].tolist() if "dis_status_from" in out else none
    st_to = out["dis_status_to"].tolist() if "dis_status_to" in out else none
    classes, reasons = [], []
    for i in range(len(out)):
        nf, nt = n_from[i], n_to[i]
        if nf < mn or nt < mn:  # NaN compares False: an unknown cohort is not "too small"
            lab, n = (lf, nf) if nf < mn else (lt, nt)
            classes.append("too small")
            reasons.append(f"only {int(n)} disadvantaged pupils in {lab} (minimum {mn})")
        elif np.isnan(g_from[i]) or np.isnan(g_to[i]):
            which, st = (lf, st_from[i]) if np.isnan(g_from[i]) else (lt, st_to[i])
            st = st if isinstance(st, str) else None
            classes.append("too small" if st == "SUPP" else "no data")
            reasons.append(f"no gap for {which}" + (f" ({st})" if st else ""))
        elif np.isnan(se[i]):
            classes.append("no data")
            reasons.append("cohort sizes not published, so the change cannot be judged")
        elif abs(z[i]) > crit.z_threshold and abs(change[i]) >= crit.min_change:
            classes.append("widening" if change[i] > 0 else "narrowing")
            reasons.append(f"gap {_fmt(change[i], unit)} from {lf} to {lt}, {abs(z[i]):.1f}× its standard error "
                           f"(±{se[i]:.1f})")
        else:
            classes.append("no clear change")
            reasons.append(f"change {_fmt(change[i], unit)} is within the uncertainty of these cohorts "
                           f"(±{Z95 * se[i]:.1f} at 95%)")
    return classes, reasons


def compare_years(df: pd.DataFrame, key: str, year_from: int, year_to: int, measure: str,
                  crit: Criteria) -> pd.DataFrame:
    """Gap in each of two years, its change, and a classification with the reason, one row per `key`.

    `df` holds one row per key and year with dis, oth, gap, dis_n, oth_n and dis_se/oth_se/gap_se
    (see add_standard_errors). Positive change = widening (disadvantaged pupils falling further behind).
    """
    unit = MEASURES[measure].unit
    cols = ["dis", "oth", "gap", "dis_n", "oth_n", "gap_se", "dis_status"]
    a = df[df["year"] == year_from].set_index(key)[[c for c in cols if c in df]]
    b = df[df["year"] == year_to].set_index(key)[[c for c in cols if c in df]]
    keys = a.index.union(b.index)
    out = pd.DataFrame(index=keys)
    out.index.name = key
    for c in a.columns:
        out[f"{c}_from"] = a[c].reindex(keys)
        out[f"{c}_to"] = b[c].reindex(keys) if c in b else np.nan
    out["change"] = out["gap_to"] - out["gap_from"]
    out["se_change"] = np.sqrt(out["gap_se_from"] ** 2 + out["gap_se_to"] ** 2)
    out["z"] = out["change"] / out["se_change"]
    lf, lt = year_label(year_from), year_label(year_to)
    classes, reasons = _judge(out, lf, lt, unit, crit)
    out["classification"] = classes
    out["reason"] = reasons
    return out.reset_index()


def multi_year_trend(df: pd.DataFrame, key: str, crit: Criteria, min_years: int = 3) -> pd.DataFrame:
    """Weighted least-squares slope of the gap per year over every year with data (gaps stay gaps).

    One row per key: years_used, slope (per year), slope_se, classification (or 'too few years').
    """
    cols = [key, "years_used", "slope", "slope_se", "trend"]
    d = df.dropna(subset=["gap", "gap_se"])
    keys = pd.Index(d[key].unique()).sort_values()
    g = d[d["dis_n"].fillna(0) >= crit.min_disadvantaged_cohort]
    # Weighted sums per key (x centred on a common year so the sums keep their precision).
    x = g["year"].to_numpy(float)
    x = x - (x.mean() if len(x) else 0.0)
    y = g["gap"].to_numpy(float)
    se = g["gap_se"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1.0 / se ** 2
        sums = pd.DataFrame({key: g[key].to_numpy(), "n": 1, "bad_se": se <= 0, "w": w, "wx": w * x, "wy": w * y,
                             "wxx": w * x * x, "wxy": w * x * y}).groupby(key, sort=True).sum()
        sums = sums.reindex(keys)
        n = sums["n"].fillna(0).astype(int)
        xm = sums["wx"] / sums["w"]
        sxx = sums["wxx"] - sums["w"] * xm ** 2
        slope = (sums["wxy"] - xm * sums["wy"]) / sxx
        slope_se = np.sqrt(1.0 / sxx)
        z = slope / slope_se
    usable = (n >= min_years) & ~(sums["bad_se"].fillna(0) > 0)
    trend = np.select([z > crit.z_threshold, z < -crit.z_threshold], ["widening", "narrowing"], "no clear change")
    out = pd.DataFrame({key: keys, "years_used": n.to_numpy(),
                        "slope": slope.where(usable).to_numpy(), "slope_se": slope_se.where(usable).to_numpy(),
                        "trend": np.where(usable, trend, "too few years")})
    return out[cols]


def funnel(compared: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Funnel-plot data: each unit's change against its disadvantaged cohort, and 95% / 99.8% control limits.

    The limits are centred on the cohort-weighted mean change and narrow as k / sqrt(n), with k estimated
    from the units' own standard errors (median of se × sqrt(n)), so they apply to any measure.
    """
    pts = compared.dropna(subset=["change", "se_change"]).copy()
    pts["cohort"] = pts[["dis_n_from", "dis_n_to"]].mean(axis=1)
    pts = pts[pts["cohort"] > 0]
    if pts.empty:
        return pts, pd.DataFrame(columns=["cohort", "centre", "lo95", "hi95", "lo998", "hi998"])
    centre = float(np.average(pts["change"], weights=pts["cohort"]))
    k = float(np.median(pts["se_change"] * np.sqrt(pts["cohort"])))
    n = np.unique(np.geomspace(max(pts["cohort"].min() * 0.8, 1), pts["cohort"].max() * 1.2, 80))
    lim = pd.DataFrame({"cohort": n, "centre": centre})
    for z, name in ((Z95, "95"), (Z998, "998")):
        lim[f"lo{name}"] = centre - z * k / np.sqrt(n)
        lim[f"hi{name}"] = centre + z * k / np.sqrt(n)
    pts["outside95"] = (pts["change"] - centre).abs() > Z95 * k / np.sqrt(pts["cohort"])
    pts["outside998"] = (pts["change"] - centre).abs() > Z998 * k / np.sqrt(pts["cohort"])
    return pts, lim
