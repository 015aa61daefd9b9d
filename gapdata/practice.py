"""Best-practice schools and schools to target, by the criteria in config/criteria.toml.

Best practice (default): in at least 2 of the last 3 years with data, the school's disadvantaged pupils
were at or above other pupils nationally (DfE's DIFFN ≥ 0, or the England row where DIFFN is absent) or its
gap was in the best fifth of schools that year; with at least 11 disadvantaged pupils; not graded Inadequate.
Targeted: a credible widening between the two years compared, or a gap in the worst fifth in at least 2 of
the last 3 years with data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from gapdata.criteria import Criteria
from gapdata.measures import year_label


def _window(years: list[int], year_to: int, size: int) -> list[int]:
    return sorted(y for y in years if y <= year_to)[-size:]


def flag_schools(panel: pd.DataFrame, compared: pd.DataFrame, national: pd.DataFrame, year_to: int,
                 crit: Criteria) -> pd.DataFrame:
    """Per school: best_practice, best_practice_reason, targeted, targeted_reason."""
    years = sorted(panel.loc[panel["dis"].notna(), "year"].unique().tolist())
    bp_years = _window(years, year_to, crit.bp_years_window)
    tg_years = _window(years, year_to, crit.tg_years_window)
    p = panel[panel["year"].isin(set(bp_years) | set(tg_years))].copy()
    nat_oth = national.set_index("year")["oth"] if len(national) else pd.Series(dtype=float)
    p["nat_oth"] = p["year"].map(nat_oth)
    vs_nat = np.where(p["diffn"].notna(), p["diffn"], p["dis"] - p["nat_oth"])
    p["at_national"] = (pd.Series(vs_nat, index=p.index) >= 0) & p["dis"].notna()
    ok_bp = p["dis_n"].fillna(0) >= crit.bp_min_cohort
    ok_tg = p["dis_n"].fillna(0) >= crit.tg_min_cohort
    # Quantiles of the gap each year among schools with enough disadvantaged pupils.
    q_best = p[ok_bp].groupby("year")["gap"].quantile(crit.bp_best_fraction)
    q_worst = p[ok_tg].groupby("year")["gap"].quantile(1 - crit.tg_worst_fraction)
    p["best_fifth"] = p["gap"] <= p["year"].map(q_best)
    p["worst_fifth"] = p["gap"] >= p["year"].map(q_worst)
    p["good"] = ok_bp & p["year"].isin(bp_years) & (p["at_national"] | p["best_fifth"].fillna(False))
    p["bad"] = ok_tg & p["year"].isin(tg_years) & p["worst_fifth"].fillna(False)

    rows = []
    cls = compared.set_index("urn")["classification"] if len(compared) else pd.Series(dtype=object)
    frac = round(crit.bp_best_fraction * 100)
    for urn, g in p.groupby("urn", sort=True):
        good = g[g["good"]]
        ofsted = g["ofsted"].dropna().iloc[-1] if g["ofsted"].notna().any() else None
        latest_n = g.loc[g["year"] == g["year"].max(), "dis_n"].iloc[0]
        bp = len(good) >= crit.bp_years_required and ofsted not in crit.bp_exclude_ofsted \
            and pd.notna(latest_n) and latest_n >= crit.bp_min_cohort
        if bp:
            nat = [year_label(y) for y in good.loc[good["at_national"], "year"]]
            best = [year_label(y) for y in good.loc[~good["at_national"], "year"]]
            parts = []
            if nat:
                parts.append("disadvantaged pupils at or above other pupils nationally in " + ", ".join(nat))
            if best:
                parts.append(f"gap in the best {frac}% of schools in " + ", ".join(best))
            bp_reason = "; ".join(parts)
        elif ofsted in crit.bp_exclude_ofsted and len(good) >= crit.bp_years_required:
            bp_reason = f"results meet the criteria but Ofsted grade is {ofsted}"
        else:
            bp_reason = ""
        bad = g[g["bad"]]
        reasons = []
        if crit.tg_widening and cls.get(urn) == "widening":
            reasons.append(f"gap widened credibly from {year_label(int(compared['year_from'].iloc[0]))}"
                           if "year_from" in compared else "gap widened credibly")
        if len(bad) >= crit.tg_persistent_years:
            reasons.append(f"gap in the worst {round(crit.tg_worst_fraction * 100)}% of schools in "
                           + ", ".join(year_label(y) for y in bad["year"]))
        rows.append({"urn": urn, "best_practice": bool(bp), "best_practice_reason": bp_reason,
                     "targeted": bool(reasons) and not bp, "targeted_reason": "; ".join(reasons),
                     "years_at_national": int(g["at_national"].sum())})
    return pd.DataFrame(rows, columns=["urn", "best_practice", "best_practice_reason", "targeted",
                                       "targeted_reason", "years_at_national"])
