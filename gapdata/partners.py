"""Partner matching: which best-practice schools a school could learn from, and who partners whom.

Pure functions over two DataFrames (no store, no UI), so the pages, the CLI and the tests share them.

Inputs
------
`schools` — one row per school: `urn`, `name`, `phase` ('Primary', 'Secondary', 'All-through', 'Special',
'Other'; null is treated as 'Other'), `la_code`, `easting`, `northing` (British National Grid metres; NaN means
the school is not located), `town`, `ofsted` (may be null), `subregion` (may be null), `group` (liaison group,
may be null). `subregion` and `group` may be absent altogether (treated as all null).

`summary` — one row per school for the chosen key stage and measure (`analytics.partner_summary` builds it):
`urn`, `dis` (latest disadvantaged value), `oth` (latest other-pupil value), `gap` (oth − dis; positive means
disadvantaged pupils are behind), `dis_n` (disadvantaged cohort), `pct_dis` (disadvantaged share of the cohort,
0–100), `cohort` (all pupils), `best_practice` (bool), `best_practice_reason`, `targeted` (bool),
`targeted_reason`, `measure_label`, `unit` ('pp' → shown as '%'; anything else shown as points, one decimal).

Phase compatibility
-------------------
Same phase always matches. All-through matches Primary and Secondary (both ways). Special matches any phase
(both ways), but a cross-phase Special match is ranked after every same-phase match.

Partner score (lower is better, in km-equivalents so distance dominates)
------------------------------------------------------------------------
score = distance_km
      + |pct_dis difference| / 10            (1 km per 10 points of disadvantaged share; capped at 3)
      + 0.5 × |log2(cohort ratio)|           (0.5 km per doubling of cohort size; capped at 1.5)
      − 1.0 if in the same liaison group − 0.5 if in the same sub-region.
An unknown intake figure costs the cap. Ranking is by (cross-phase Special last, score, distance, URN).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PHASES = ("Primary", "Secondary", "All-through", "Special", "Other")

INTAKE_KM_PER_10PP = 1.0
INTAKE_CAP_KM = 3.0
COHORT_KM_PER_DOUBLING = 0.5
COHORT_CAP_KM = 1.5
SAME_GROUP_BONUS_KM = 1.0
SAME_SUBREGION_BONUS_KM = 0.5
SIMILAR_INTAKE_PP = 10.0

PARTNER_COLUMNS = ["rank", "urn", "name", "phase", "distance_km", "dis", "oth", "gap", "pct_dis", "same_group",
                   "same_subregion", "score", "reason"]
ASSIGN_COLUMNS = ["urn", "name", "partner_urn", "partner_name", "distance_km", "reason"]
UNMATCHED_COLUMNS = ["urn", "name", "why"]
CHAMPION_COLUMNS = ["group", "rank", "urn", "name", "phase", "dis", "gap", "dis_n", "reason"]

_SCHOOL_REQUIRED = ("urn", "name", "phase", "easting", "northing")
_SUMMARY_REQUIRED = ("urn", "dis", "oth", "gap", "dis_n", "pct_dis", "cohort", "best_practice")


# ---------------------------------------------------------------------------------------------- helpers
def _check(df: pd.DataFrame, required: tuple[str, ...], what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {', '.join(missing)}")


def _prepare(schools: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Schools joined to their summary row (left join: a school without results keeps NaN figures)."""
    _check(schools, _SCHOOL_REQUIRED, "schools")
    _check(summary, _SUMMARY_REQUIRED, "summary")
    s = schools.drop_duplicates("urn").copy()
    for c in ("group", "subregion", "ofsted", "town", "la_code"):
        if c not in s.columns:
            s[c] = None
    phase = s["phase"].astype(object)  # the analysis gives phases as categories, which 'Other' may not be one of
    s["phase"] = phase.where(phase.isin(PHASES), "Other")
    keep = [c for c in summary.columns if c not in s.columns or c == "urn"]
    m = s.merge(summary[keep].drop_duplicates("urn"), on="urn", how="left")
    m["best_practice"] = m["best_practice"].astype("boolean").fillna(False).astype(bool)
    m["located"] = m["easting"].notna() & m["northing"].notna()
    return m.sort_values("urn", kind="stable").reset_index(drop=True)


def phase_tier(phase: str | None, other: str | None) -> int | None:
    """0: a normal match (same phase, or All-through with Primary/Secondary); 1: cross-phase Special;
    None: incompatible."""
    a = phase if phase in PHASES else "Other"
    b = other if other in PHASES else "Other"
    if a == b:
        return 0
    if {a, b} in ({"All-through", "Primary"}, {"All-through", "Secondary"}):
        return 0
    if "Special" in (a, b):
        return 1
    return None


_TIER = {(a, b): (np.nan if (t := phase_tier(a, b)) is None else float(t)) for a in PHASES for b in PHASES}


def _tiers(phase: str | None, phases: pd.Series) -> np.ndarray:
    """phase_tier against many phases (already normalised by _prepare): float array, NaN where incompatible."""
    me = phase if phase in PHASES else "Other"
    return phases.map(lambda p: _TIER[(me, p)]).to_numpy(dtype=float)


def _km(x: float) -> str:
    return f"{x:g}"


def _fmt(value: float, unit: str) -> str:
    if value is None or pd.isna(value):
        return "not published"
    return f"{value:.0f}%" if unit == "pp" else f"{value:.1f}"


def _label(summary_like: pd.DataFrame) -> tuple[str, str]:
    """(measure label without a trailing ' (%)', unit) from the first row that has them."""
    label, unit = "", "pp"
    if "measure_label" in summary_like.columns:
        v = summary_like["measure_label"].dropna()
        label = str(v.iloc[0]) if len(v) else ""
    if "unit" in summary_like.columns:
        v = summary_like["unit"].dropna()
        unit = str(v.iloc[0]) if len(v) else "pp"
    return label.removesuffix(" (%)").strip(), unit


def _same(a: object, b: pd.Series) -> np.ndarray:
    if a is None or pd.isna(a):
        return np.zeros(len(b), dtype=bool)
    return (b == a).fillna(False).to_numpy(dtype=bool)


def _num(v: object) -> float:
    """A number, NaN when missing (None, NaN or pandas' NA, which float() refuses)."""
    return np.nan if v is None or pd.isna(v) else float(v)


def _scores(me: pd.Series, cand: pd.DataFrame, dist_km: np.ndarray) -> dict[str, np.ndarray]:
    pct_diff = (cand["pct_dis"].astype(float) - _num(me.get("pct_dis"))).abs().to_numpy()
    intake = np.where(np.isnan(pct_diff), INTAKE_CAP_KM,
                      np.minimum(pct_diff / 10.0 * INTAKE_KM_PER_10PP, INTAKE_CAP_KM))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.abs(np.log2(cand["cohort"].astype(float).to_numpy() / _num(me.get("cohort"))))
    cohort = np.where(np.isfinite(ratio), np.minimum(ratio * COHORT_KM_PER_DOUBLING, COHORT_CAP_KM), COHORT_CAP_KM)
    same_group = _same(me.get("group"), cand["group"])
    same_sub = _same(me.get("subregion"), cand["subregion"])
    score = dist_km + intake + cohort - SAME_GROUP_BONUS_KM * same_group - SAME_SUBREGION_BONUS_KM * same_sub
    return {"score": np.round(score, 3), "same_group": same_group, "same_subregion": same_sub}


def _reason(me: pd.Series, c: pd.Series, dist_km: float, label: str, unit: str, same_group: bool,
            same_sub: bool, prefix: str = "") -> str:
    """Plain-English why: distance, results, intake, shared group/sub-region, phase note."""
    parts = [prefix] if prefix else []
    parts.append(f"{dist_km:.1f} km")
    if c["phase"] != me["phase"]:
        parts.append(f"{c['phase'].lower()} school")
    what = f" ({label})" if label else ""
    parts.append(f"disadvantaged pupils {_fmt(c['dis'], unit)} vs your {_fmt(me.get('dis'), unit)}{what}")
    a, b = c.get("pct_dis"), me.get("pct_dis")
    if pd.notna(a) and pd.notna(b):
        kind = "similar" if abs(a - b) <= SIMILAR_INTAKE_PP else "different"
        parts.append(f"{kind} intake ({a:.0f}% vs {b:.0f}% disadvantaged)")
    ca, cb = c.get("cohort"), me.get("cohort")
    if pd.notna(ca) and pd.notna(cb) and ca > 0 and cb > 0 and max(ca / cb, cb / ca) >= 2:
        parts.append(f"{'larger' if ca > cb else 'smaller'} cohort ({ca:.0f} vs {cb:.0f} pupils)")
    if same_group:
        parts.append("same liaison group")
    if same_sub:
        parts.append("same sub-region")
    return "; ".join(parts)


def _empty(columns: list[str], message: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    out.attrs["message"] = message
    return out


# ---------------------------------------------------------------------------------------------- partners_for
def partners_for(urn: int, schools: pd.DataFrame, summary: pd.DataFrame, max_km: float = 10.0, n: int = 5,
                 widen_to_km: tuple[float, ...] = (20, 40)) -> pd.DataFrame:
    """Up to `n` best-practice schools of a compatible phase near school `urn`, best first.

    Searches within `max_km`; if nothing is there, widens step by step to each distance in `widen_to_km` and
    says so in every reason. Never returns the school itself. The result's `attrs["message"]` is always set:
    '' when partners were found within `max_km`, otherwise a sentence for the user (widened search, school not
    located, not in the register, or nothing found); the frame is empty in the last three cases.
    Columns: rank, urn, name, phase, distance_km, dis, oth, gap, pct_dis, same_group, same_subregion, score,
    reason.
    """
    m = _prepare(schools, summary)
    hit = m[m["urn"] == urn]
    if hit.empty:
        return _empty(PARTNER_COLUMNS, f"URN {urn} is not in the school register.")
    me = hit.iloc[0]
    if not me["located"]:
        return _empty(PARTNER_COLUMNS, f"{me['name']} has no location (no easting/northing), so distances to "
                                       "partner schools cannot be worked out.")
    label, unit = _label(summary)
    cand = m[m["best_practice"] & m["located"] & (m["urn"] != urn)]
    tiers = _tiers(me["phase"], cand["phase"])
    cand = cand[~np.isnan(tiers)].assign(_tier=tiers[~np.isnan(tiers)])
    radii = [float(max_km)] + sorted(float(r) for r in widen_to_km if r > max_km)
    if cand.empty:
        return _empty(PARTNER_COLUMNS, f"No best-practice school of a compatible phase within {_km(radii[-1])} km "
                                       f"of {me['name']}.")
    # One school: squared distances to every candidate (numpy) rather than a k-d tree, whose import (scipy.spatial,
    # ~0.5 s) a school's first profile paid.
    here = np.array([me["easting"], me["northing"]], dtype=float)
    d2 = (cand["easting"].to_numpy(float) - here[0]) ** 2 + (cand["northing"].to_numpy(float) - here[1]) ** 2
    prefix, message, idx = "", "", []
    for i, r in enumerate(radii):
        idx = np.flatnonzero(d2 <= (r * 1000.0) ** 2).tolist()
        if idx:
            if i > 0:
                prefix = f"nearest within {_km(r)} km: none within {_km(radii[i - 1])} km"
                message = f"No best-practice school of a compatible phase within {_km(radii[i - 1])} km of " \
                          f"{me['name']}; showing the nearest within {_km(r)} km."
            break
    if not idx:
        return _empty(PARTNER_COLUMNS, f"No best-practice school of a compatible phase within {_km(radii[-1])} km "
                                       f"of {me['name']}.")
    found = cand.iloc[idx].copy()
    dist = np.hypot(found["easting"].to_numpy(float) - here[0], found["northing"].to_numpy(float) - here[1]) / 1000
    found["distance_km"] = np.round(dist, 2)
    for k, v in _scores(me, found, dist).items():
        found[k] = v
    found = found.sort_values(["_tier", "score", "distance_km", "urn"], kind="stable").head(n)
    found["reason"] = [_reason(me, c, c["distance_km"], label, unit, c["same_group"],
                               c["same_subregion"], prefix) for _, c in found.iterrows()]
    found["rank"] = np.arange(1, len(found) + 1)
    out = found[PARTNER_COLUMNS].reset_index(drop=True)
    out.attrs["message"] = message
    return out


# ---------------------------------------------------------------------------------------------- assign_partners
def assign_partners(targeted_urns: list[int], champion_urns: list[int], schools: pd.DataFrame,
                    summary: pd.DataFrame, capacity: int = 2,
                    max_km: float = 25.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pair targeted schools with champions: each targeted school at most one champion of a compatible phase
    within `max_km`, each champion at most `capacity` schools.

    Solved exactly with the Hungarian method (scipy linear_sum_assignment) over champions replicated `capacity`
    times; infeasible pairs (too far, wrong phase, the school itself) cost more than every feasible assignment
    together, so the result first matches as many schools as possible, then minimises total distance. Inputs
    are ordered by URN first, so shuffled input gives the same answer.
    Returns (assignments [urn, name, partner_urn, partner_name, distance_km, reason],
             unmatched [urn, name, why]), both ordered by URN.
    """
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    m = _prepare(schools, summary).set_index("urn", drop=False)
    label, unit = _label(summary)
    targets = sorted({int(u) for u in targeted_urns})
    unmatched: list[dict] = []
    located_t = []
    for u in targets:
        if u not in m.index:
            unmatched.append({"urn": u, "name": None, "why": "not in the school register"})
        elif not m.at[u, "located"]:
            unmatched.append({"urn": u, "name": m.at[u, "name"], "why": "not located"})
        else:
            located_t.append(u)
    champs = [u for u in sorted({int(u) for u in champion_urns}) if u in m.index and m.at[u, "located"]]
    T, C = m.loc[located_t], m.loc[champs]
    te, tn = T["easting"].to_numpy(float), T["northing"].to_numpy(float)
    ce, cn = C["easting"].to_numpy(float), C["northing"].to_numpy(float)
    dist = np.hypot(te[:, None] - ce[None, :], tn[:, None] - cn[None, :]) / 1000.0
    compat = np.zeros((len(T), len(C)), dtype=bool)
    for tp in T["phase"].unique():
        compat[(T["phase"] == tp).to_numpy()] = ~np.isnan(_tiers(tp, C["phase"]))
    feasible = compat & (dist <= max_km) & (T["urn"].to_numpy()[:, None] != C["urn"].to_numpy()[None, :])
    has_option = feasible.any(axis=1)
    chosen: dict[int, int] = {}
    rows = np.flatnonzero(has_option)
    cols = np.flatnonzero(feasible.any(axis=0))
    if len(rows) and len(cols):
        sub_f = feasible[np.ix_(rows, cols)]
        sub_d = dist[np.ix_(rows, cols)]
        big = (max_km + 1.0) * (len(rows) + 1)
        cost = np.repeat(np.where(sub_f, sub_d, big), capacity, axis=1)
        from scipy.optimize import linear_sum_assignment  # here: the map's arcs need it, a profile does not

        r_idx, c_idx = linear_sum_assignment(cost)
        for r, c in zip(r_idx, c_idx):
            j = cols[c // capacity]
            if feasible[rows[r], j]:
                chosen[rows[r]] = j
    assigned = []
    for i, u in enumerate(located_t):
        me = T.iloc[i]
        if i in chosen:
            j = chosen[i]
            c = C.iloc[j]
            same_g = bool(_same(me["group"], pd.Series([c["group"]]))[0])
            same_s = bool(_same(me["subregion"], pd.Series([c["subregion"]]))[0])
            assigned.append({"urn": u, "name": me["name"], "partner_urn": int(c["urn"]),
                             "partner_name": c["name"], "distance_km": round(float(dist[i, j]), 2),
                             "reason": _reason(me, c, dist[i, j], label, unit, same_g, same_s)})
        elif not has_option[i]:
            unmatched.append({"urn": u, "name": me["name"],
                              "why": f"no champion of a compatible phase within {_km(max_km)} km"})
        else:
            unmatched.append({"urn": u, "name": me["name"], "why": "all nearby champions at capacity"})
    a = pd.DataFrame(assigned, columns=ASSIGN_COLUMNS)
    un = pd.DataFrame(unmatched, columns=UNMATCHED_COLUMNS).sort_values("urn", kind="stable").reset_index(drop=True)
    return a, un


# ---------------------------------------------------------------------------------------------- champions
def champion_candidates(schools: pd.DataFrame, summary: pd.DataFrame, groups_col: str = "group") -> pd.DataFrame:
    """Per liaison group, the best-practice schools that could represent it, best first; rank 1 is recommended.

    A candidate is in the group, flagged best practice, not graded Inadequate, and has disadvantaged pupils
    (dis_n > 0); any phase is welcome. Ranked by smallest gap, then highest disadvantaged result, then larger
    disadvantaged cohort (a surer figure), then URN. A group without a candidate gets one row with rank NA and
    reason "no school meets the criteria".
    Columns: group, rank and urn (nullable Int64), name, phase, dis, gap, dis_n, reason.
    """
    if groups_col not in schools.columns:
        raise ValueError(f"schools has no column {groups_col!r}")
    sch = schools.drop(columns=["group"], errors="ignore") if groups_col != "group" else schools
    m = _prepare(sch.rename(columns={groups_col: "group"}), summary)
    _, unit = _label(summary)
    m = m[m["group"].notna()]
    ok = m["best_practice"] & ~m["ofsted"].fillna("").eq("Inadequate") & (m["dis_n"].astype(float) > 0)
    c = m[ok].sort_values(["group", "gap", "dis", "dis_n", "urn"], ascending=[True, True, False, False, True],
                          na_position="last", kind="stable").copy()
    c["rank"] = c.groupby("group").cumcount() + 1
    reasons = []
    for _, r in c.iterrows():
        head = "recommended" if r["rank"] == 1 else f"alternative {r['rank'] - 1}"
        gap = "not published" if pd.isna(r["gap"]) else (f"{r['gap']:+.0f} pp" if unit == "pp" else f"{r['gap']:+.1f}")
        why = str(r.get("best_practice_reason") or "").strip()
        bits = [head, f"gap {gap}", f"disadvantaged pupils {_fmt(r['dis'], unit)}",
                f"{r['dis_n']:.0f} disadvantaged pupils"]
        if why:
            bits.append(why)
        if pd.notna(r.get("ofsted")):
            bits.append(f"Ofsted {r['ofsted']}")
        reasons.append("; ".join(bits))
    c["reason"] = reasons
    empty_groups = sorted(set(m["group"]) - set(c["group"]), key=str)
    none = pd.DataFrame({"group": empty_groups, "reason": "no school meets the criteria"})
    out = pd.concat([c[CHAMPION_COLUMNS], none.reindex(columns=CHAMPION_COLUMNS)], ignore_index=True)
    out["rank"] = out["rank"].astype("Int64")
    out["urn"] = out["urn"].astype("Int64")
    out["_k"] = out["group"].astype(str)
    out = out.sort_values(["_k", "rank"], na_position="last", kind="stable").drop(columns="_k")
    return out.reset_index(drop=True)
