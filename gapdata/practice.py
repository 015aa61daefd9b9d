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

    return _flags_per_school(p, compared, crit)


def _joined_years(p: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """Per URN, the labels of the years where `mask` holds, joined with ', ' (in year order)."""
    wide = p.loc[mask].pivot(index="urn", columns="year", values="label").sort_index(axis=1)
    text = pd.Series("", index=wide.index, dtype=object)
    for y in wide.columns:  # a handful of years: whole-column string operations, no per-school Python
        text = text + (wide[y] + ", ").fillna("")
    return text.str[:-2]


def _flags_per_school(p: pd.DataFrame, compared: pd.DataFrame, crit: Criteria) -> pd.DataFrame:
    """Whole-column version of the per-school rules (one groupby per quantity, no per-school Python)."""
    cols = ["urn", "best_practice", "best_practice_reason", "targeted", "targeted_reason", "years_at_national"]
    if p.empty:
        return pd.DataFrame(columns=cols)
    p = p.sort_values(["urn", "year"], kind="stable")
    p["label"] = p["year"].map({y: year_label(int(y)) for y in p["year"].unique()})
    by = p.groupby("urn", sort=True)
    out = pd.DataFrame(index=by.size().index)
    n_good = by["good"].sum()
    n_bad = by["bad"].sum()
    ofsted = by["ofsted"].last()  # the latest grade known
    latest_n = p.drop_duplicates("urn", keep="last").set_index("urn")["dis_n"]
    excluded = ofsted.isin(list(crit.bp_exclude_ofsted))
    enough = n_good >= crit.bp_years_required
    bp = enough & ~excluded & latest_n.notna() & (latest_n.astype(float) >= crit.bp_min_cohort)
    bp = bp.fillna(False).astype(bool)

    frac = round(crit.bp_best_fraction * 100)
    nat = _joined_years(p, p["good"] & p["at_national"]).reindex(out.index)
    best = _joined_years(p, p["good"] & ~p["at_national"]).reindex(out.index)
    nat_txt = ("disadvantaged pupils at or above other pupils nationally in " + nat).where(nat.notna())
    best_txt = (f"gap in the best {frac}% of schools in " + best).where(best.notna())
    both = nat_txt.notna() & best_txt.notna()
    bp_reason = (nat_txt.fillna("") + np.where(both, "; ", "") + best_txt.fillna("")).where(bp, "")
    bp_reason = bp_reason.mask(~bp & excluded & enough, "results meet the criteria but Ofsted grade is "
                               + ofsted.astype(str))

    widen = pd.Series("", index=out.index)
    if crit.tg_widening and len(compared):
        cls = compared.set_index("urn")["classification"].reindex(out.index)
        text = (f"gap widened credibly from {year_label(int(compared['year_from'].iloc[0]))}"
                if "year_from" in compared else "gap widened credibly")
        widen = widen.mask(cls == "widening", text)
    worst = _joined_years(p, p["bad"]).reindex(out.index)
    persist = (f"gap in the worst {round(crit.tg_worst_fraction * 100)}% of schools in " + worst).where(
        n_bad >= crit.tg_persistent_years, "").fillna("")
    tg_reason = widen + np.where((widen != "") & (persist != ""), "; ", "") + persist
    out["best_practice"] = bp.to_numpy()
    out["best_practice_reason"] = bp_reason.to_numpy()
    out["targeted"] = ((tg_reason != "") & ~bp).to_numpy()
    out["targeted_reason"] = tg_reason.to_numpy()
    out["years_at_national"] = by["at_national"].sum().astype(int).to_numpy()
    return out.reset_index()[cols]
