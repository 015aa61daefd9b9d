"""Best-practice schools and schools to target, by the criteria in config/criteria.toml.

Best practice (default): in at least 2 of the last 3 years with data, the school's disadvantaged pupils
were at or above other pupils nationally (DfE's DIFFN ≥ 0, or the England row where DIFFN is absent) or its
gap was in the best fifth of schools that year; with at least 11 disadvantaged pupils; not graded Inadequate.
Targeted: a credible widening between the two years compared, or a gap in the worst fifth in at least 2 of
the last 3 years with data.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gapdata.criteria import Criteria
from gapdata.measures import year_label


def _window(years: list[int], year_to: int, size: int) -> list[int]:
    return sorted(y for y in years if y <= year_to)[-size:]


def flag_schools(panel: pd.DataFrame, compared: pd.DataFrame, national: pd.DataFrame, year_to: int,
                 crit: Criteria) -> pd.DataFrame:
    """Per school: best_practice, best_practice_reason, targeted, targeted_reason, years_at_national.

    Whole arrays throughout (it runs on every filter change): per-school counts are bincounts over the
    schools' positions, and reasons are written once per distinct pattern (which years qualified, which rule,
    the Ofsted grade) and given to every school with that pattern.
    """
    cols = ["urn", "best_practice", "best_practice_reason", "targeted", "targeted_reason", "years_at_national"]
    year = panel["year"].to_numpy()
    dis_all = panel["dis"].to_numpy(float, na_value=np.nan)
    years = sorted(np.unique(year[~np.isnan(dis_all)]).tolist())
    bp_years = _window(years, year_to, crit.bp_years_window)
    tg_years = _window(years, year_to, crit.tg_years_window)
    window = sorted(set(bp_years) | set(tg_years))
    idx = np.flatnonzero(np.isin(year, window))
    if not len(idx):
        return pd.DataFrame(columns=cols)
    urn_all = panel["urn"].to_numpy()
    idx = idx[np.lexsort((year[idx], urn_all[idx]))]  # by school, then year
    y, urn, dis = year[idx], urn_all[idx], dis_all[idx]
    gap = panel["gap"].to_numpy(float, na_value=np.nan)[idx]
    diffn = panel["diffn"].to_numpy(float, na_value=np.nan)[idx]
    dis_n = panel["dis_n"].to_numpy(float, na_value=np.nan)[idx]
    ofsted_code, grades = pd.factorize(panel["ofsted"])  # codes (-1 = no grade): a categorical is not copied
    ofsted_code = ofsted_code[idx]

    nat_oth = dict(zip(national["year"].tolist(), national["oth"].tolist())) if len(national) else {}
    year_pos = np.searchsorted(window, y)
    nat_by_year = np.array([nat_oth.get(v, np.nan) for v in window], dtype=float)
    vs_nat = np.where(~np.isnan(diffn), diffn, dis - nat_by_year[year_pos])
    with np.errstate(invalid="ignore"):
        at_national = (vs_nat >= 0) & ~np.isnan(dis)
        ok_bp = np.nan_to_num(dis_n) >= crit.bp_min_cohort
        ok_tg = np.nan_to_num(dis_n) >= crit.tg_min_cohort
        # Quantiles of the gap each year among schools with enough disadvantaged pupils.
        q_best = _yearly_quantile(y, gap, ok_bp, crit.bp_best_fraction)
        q_worst = _yearly_quantile(y, gap, ok_tg, 1 - crit.tg_worst_fraction)
        good = ok_bp & np.isin(y, bp_years) & (at_national | (gap <= q_best))
        bad = ok_tg & np.isin(y, tg_years) & (gap >= q_worst)

    urns, first, inv = np.unique(urn, return_index=True, return_inverse=True)
    last = np.append(first[1:], len(urn)) - 1
    n = len(urns)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=mask, minlength=n).astype(int)

    bit = (1 << year_pos).astype(float)

    def bits(mask: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=np.where(mask, bit, 0.0), minlength=n).astype(int)

    grade = np.full(n, None, dtype=object)  # the latest Ofsted grade known: the last non-missing per school
    known = np.flatnonzero(ofsted_code >= 0)[::-1]
    school, latest = np.unique(inv[known], return_index=True)
    grade[school] = np.asarray(grades, dtype=object)[ofsted_code[known[latest]]]
    latest_n = dis_n[last]
    excluded = np.isin(grade, list(crit.bp_exclude_ofsted))
    enough = count(good) >= crit.bp_years_required
    with np.errstate(invalid="ignore"):
        bp = enough & ~excluded & (latest_n >= crit.bp_min_cohort)
    widening = np.zeros(n, dtype=bool)
    if crit.tg_widening and len(compared):
        pos = pd.Index(compared["urn"]).get_indexer(urns)
        cls = compared["classification"].to_numpy(object)
        widening = (pos >= 0) & (cls[np.maximum(pos, 0)] == "widening")
    ofsted_excluded = ~bp & excluded & enough
    patterns = [bits(good & at_national), bits(good & ~at_national), bits(bad), bp, ofsted_excluded,
                np.where(ofsted_excluded, grade, None), widening, count(bad) >= crit.tg_persistent_years]
    # One number per school for its pattern (each part a digit in its own base), so the reasons are written once
    # per distinct pattern: a MultiIndex of the parts took half of this function.
    ofsted_code, _ = pd.factorize(patterns[5])
    parts = [np.asarray(p, dtype=np.int64) for p in (*patterns[:5], ofsted_code + 1, *patterns[6:])]
    bases = [int(p.max(initial=0)) + 1 for p in parts]
    if math.prod(bases) < 2**62:
        number = np.zeros(n, dtype=np.int64)
        for part, base in zip(parts, bases):
            number = number * base + part
        _, row, pattern_id = np.unique(number, return_index=True, return_inverse=True)
    else:  # decades of years: the number would not fit in 64 bits
        _, row, pattern_id = np.unique(np.column_stack(parts), axis=0, return_index=True, return_inverse=True)
    pattern_id = pattern_id.ravel()
    since = (f" from {year_label(int(compared['year_from'].iloc[0]))}"
             if len(compared) and "year_from" in compared else "")
    texts = [_reasons(tuple(p[i] for p in patterns), window, crit, since) for i in row.tolist()]
    bp_reason = np.array([t[0] for t in texts], dtype=object)[pattern_id]
    tg_reason = np.array([t[1] for t in texts], dtype=object)[pattern_id]
    return pd.DataFrame({"urn": urns, "best_practice": bp, "best_practice_reason": bp_reason,
                         "targeted": (tg_reason != "") & ~bp, "targeted_reason": tg_reason,
                         "years_at_national": count(at_national)})[cols]


def _yearly_quantile(y: np.ndarray, gap: np.ndarray, ok: np.ndarray, q: float) -> np.ndarray:
    """Per row, the q-quantile (linear) of that year's gaps among rows where `ok` (NaN where there are none)."""
    out = np.full(len(y), np.nan)
    for yr in np.unique(y).tolist():
        this = y == yr
        vals = gap[this & ok]
        vals = vals[~np.isnan(vals)]
        if len(vals):
            out[this] = np.quantile(vals, q)
    return out


def _years_text(bits: int, years: list[int]) -> str:
    return ", ".join(year_label(int(y)) for i, y in enumerate(years) if bits >> i & 1)


def _reasons(r: tuple, years: list[int], crit: Criteria, since: str) -> tuple[str, str]:
    """Best-practice and targeted reasons for one pattern: (nat, best, worst, bp, ofsted_excluded, ofsted,
    widening, persist)."""
    nat, best, worst, bp, ofsted_excluded, ofsted, widening, persist = r
    parts = []
    if nat:
        parts.append("disadvantaged pupils at or above other pupils nationally in " + _years_text(nat, years))
    if best:
        parts.append(f"gap in the best {round(crit.bp_best_fraction * 100)}% of schools in "
                     + _years_text(best, years))
    bp_reason = "; ".join(parts) if bp else ""
    if ofsted_excluded:
        bp_reason = f"results meet the criteria but Ofsted grade is {ofsted}"
    tg = []
    if widening:
        tg.append("gap widened credibly" + since)
    if persist and worst:
        tg.append(f"gap in the worst {round(crit.tg_worst_fraction * 100)}% of schools in "
                  + _years_text(worst, years))
    return bp_reason, "; ".join(tg)
