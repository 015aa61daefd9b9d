"""Partner matching on hand-built grids: distances are 3-4-5 triangles so every expected value is by hand."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from gapdata.partners import assign_partners, champion_candidates, partners_for, phase_tier

E0, N0 = 400_000.0, 100_000.0
NAN = float("nan")


def _schools(rows: list[tuple]) -> pd.DataFrame:
    """rows: (urn, phase, dx_m, dy_m, group, subregion, ofsted)."""
    return pd.DataFrame([{
        "urn": u, "name": f"School {u}", "phase": ph, "la_code": 850,
        "easting": E0 + dx if dx == dx else NAN, "northing": N0 + dy if dy == dy else NAN,
        "town": "Town", "ofsted": of, "subregion": sub, "group": grp} for u, ph, dx, dy, grp, sub, of in rows])


def _summary(rows: list[tuple], label: str = "RWM expected standard (%)", unit: str = "pp") -> pd.DataFrame:
    """rows: (urn, dis, oth, dis_n, pct_dis, cohort, best_practice, targeted)."""
    return pd.DataFrame([{
        "urn": u, "dis": d, "oth": o, "gap": o - d, "dis_n": dn, "pct_dis": pct, "cohort": co,
        "best_practice": bp, "best_practice_reason": "at or above other pupils nationally" if bp else "",
        "targeted": tg, "targeted_reason": "", "measure_label": label, "unit": unit}
        for u, d, o, dn, pct, co, bp, tg in rows])


# Subject school 1001 (Primary, 30% disadvantaged, cohort 60, group G1, sub-region S1) at the origin.
GRID = _schools([
    (1001, "Primary", 0, 0, "G1", "S1", "Good"),
    (1002, "Primary", 3000, 4000, "G1", "S1", "Good"),          # 5 km
    (1003, "Primary", 0, 4000, "G2", "S2", "Outstanding"),      # 4 km
    (1004, "Secondary", 1000, 0, "G1", "S1", "Good"),           # 1 km, wrong phase
    (1005, "Special", 0, 2000, None, None, None),               # 2 km, cross-phase special
    (1006, "All-through", 4800, 6400, None, None, "Good"),      # 8 km
    (1007, "Primary", 0, 3000, "G1", "S1", "Good"),             # 3 km, not best practice
    (1008, "Primary", NAN, NAN, "G1", "S1", "Good"),            # not located
    # A separate area 100 km east for widening
    (2001, "Secondary", 100_000, 0, "G3", None, "Good"),
    (2002, "Secondary", 100_000 + 9000, 12_000, "G3", None, "Good"),   # 15 km from 2001
    (2003, "Secondary", 100_000, 30_000, "G4", None, "Inadequate"),    # 30 km from 2001
])
SUMMARY = _summary([
    (1001, 41, 70, 18, 30, 60, True, False),
    (1002, 68, 72, 19, 32, 60, True, False),
    (1003, 60, 75, 168, 70, 240, True, False),
    (1004, 50, 60, 40, 20, 200, True, False),
    (1005, 20, 30, 10, 30, 60, True, False),
    (1006, 55, 70, 18, 30, 60, True, False),
    (1007, 40, 70, 20, 33, 60, False, True),
    (1008, 35, 70, 20, 33, 60, False, True),
    (2001, 30, 60, 50, 25, 200, False, True),
    (2002, 45, 55, 50, 25, 200, True, False),
    (2003, 50, 55, 0, 0, 200, True, False),
])


# ------------------------------------------------------------------------------------------- phase rules
@pytest.mark.parametrize(("a", "b", "tier"), [
    ("Primary", "Primary", 0), ("Primary", "All-through", 0), ("All-through", "Secondary", 0),
    ("Primary", "Secondary", None), ("Secondary", "Special", 1), ("Special", "Primary", 1),
    ("Other", "Primary", None), (None, "Other", 0)])
def test_phase_tier(a, b, tier):
    assert phase_tier(a, b) == tier


# ------------------------------------------------------------------------------------------- partners_for
def test_partners_ranked_by_score_with_special_after_same_phase():
    out = partners_for(1001, GRID, SUMMARY)
    # scores: 1002 = 5 + 0.2 (2pp) + 0 − 1 (group) − 0.5 (sub-region) = 3.7; 1003 = 4 + 3 (capped) + 1 (×4 cohort)
    # = 8; 1006 = 8 + 0 + 0 = 8 (tie → nearer first); 1005 special: 2 km but ranked after same-phase.
    assert out["urn"].tolist() == [1002, 1003, 1006, 1005]
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["score"].tolist() == pytest.approx([3.7, 8.0, 8.0, 2.0])
    assert out["distance_km"].tolist() == pytest.approx([5.0, 4.0, 8.0, 2.0])
    assert out["same_group"].tolist() == [True, False, False, False]
    assert out["same_subregion"].tolist() == [True, False, False, False]
    assert out.attrs["message"] == ""
    assert out.columns.tolist() == ["rank", "urn", "name", "phase", "distance_km", "dis", "oth", "gap", "pct_dis",
                                    "same_group", "same_subregion", "score", "reason"]


def test_partner_reason_wording():
    out = partners_for(1001, GRID, SUMMARY).set_index("urn")
    assert out.at[1002, "reason"] == ("5.0 km; disadvantaged pupils 68% vs your 41% (RWM expected standard); "
                                      "similar intake (32% vs 30% disadvantaged); same liaison group; "
                                      "same sub-region")
    assert out.at[1003, "reason"] == ("4.0 km; disadvantaged pupils 60% vs your 41% (RWM expected standard); "
                                      "different intake (70% vs 30% disadvantaged); larger cohort (240 vs 60 pupils)")
    assert out.at[1005, "reason"].startswith("2.0 km; special school; disadvantaged pupils 20% vs your 41%")


def test_points_measure_uses_one_decimal():
    summ = SUMMARY.assign(dis=SUMMARY["dis"] / 1.5, measure_label="Attainment 8 score", unit="points")
    out = partners_for(1001, GRID, summ, n=1)
    assert "disadvantaged pupils 45.3 vs your 27.3 (Attainment 8 score)" in out.at[0, "reason"]


def test_never_the_school_itself_and_never_non_best_practice_or_wrong_phase():
    out = partners_for(1001, GRID, SUMMARY, max_km=40, n=50)
    assert 1001 not in set(out["urn"])          # itself best practice and at distance 0
    assert 1007 not in set(out["urn"])          # not best practice
    assert 1004 not in set(out["urn"])          # secondary for a primary
    assert 1008 not in set(out["urn"])          # not located


def test_n_limits_rows_and_max_km_limits_distance():
    assert partners_for(1001, GRID, SUMMARY, n=2)["urn"].tolist() == [1002, 1003]
    assert partners_for(1001, GRID, SUMMARY, max_km=4.5)["urn"].tolist() == [1003, 1005]


def test_secondary_sees_all_through_and_special_but_not_primary():
    out = partners_for(1004, GRID, SUMMARY)
    assert set(out["urn"]) == {1006, 1005}
    assert out["urn"].tolist()[-1] == 1005  # cross-phase special last


def test_widening_search_says_so():
    out = partners_for(2001, GRID, SUMMARY, max_km=10, widen_to_km=(20, 40))
    assert out["urn"].tolist() == [2002]
    assert out.at[0, "reason"].startswith("nearest within 20 km: none within 10 km; 15.0 km; ")
    assert "showing the nearest within 20 km" in out.attrs["message"]


def test_widening_goes_to_the_next_step_and_names_the_previous_one():
    summ = SUMMARY.assign(best_practice=SUMMARY["best_practice"] & (SUMMARY["urn"] != 2002))
    out = partners_for(2001, GRID, summ, max_km=10, widen_to_km=(20, 40))
    assert out["urn"].tolist() == [2003]
    assert out.at[0, "reason"].startswith("nearest within 40 km: none within 20 km; 30.0 km")


def test_nothing_even_after_widening_is_an_empty_frame_with_message():
    out = partners_for(2001, GRID, SUMMARY, max_km=5, widen_to_km=(10,))
    assert out.empty
    assert out.attrs["message"] == "No best-practice school of a compatible phase within 10 km of School 2001."


def test_unlocated_school_gets_empty_frame_and_message():
    out = partners_for(1008, GRID, SUMMARY)
    assert out.empty and "rank" in out.columns
    assert "has no location" in out.attrs["message"]
    assert "not in the school register" in partners_for(9999, GRID, SUMMARY).attrs["message"]


# ------------------------------------------------------------------------------------------- assign_partners
# Line of primaries along the x axis (km): champions at 0 and 10, targets at 1, 2, 9, 12; capacity 1.
LINE = _schools([(u, "Primary", x * 1000, 0, None, None, "Good") for u, x in
                 [(1, 0), (2, 10), (11, 1), (12, 2), (13, 9), (14, 12)]]
                + [(15, "Secondary", 3000, 0, None, None, "Good"), (16, "Primary", NAN, NAN, None, None, None)])
LINE_SUM = _summary([(u, 50, 60, 20, 30, 60, u in (1, 2), u > 10) for u in (1, 2, 11, 12, 13, 14, 15, 16)])


def test_assignment_minimises_total_distance_and_gives_reasons():
    a, un = assign_partners([11, 12, 13, 14, 15, 16], [1, 2], LINE, LINE_SUM, capacity=1, max_km=25)
    # Two champions, capacity 1: best pair is 11→1 (1 km) and 13→2 (1 km): total 2 km.
    assert a[["urn", "partner_urn"]].values.tolist() == [[11, 1], [13, 2]]
    assert a["distance_km"].tolist() == [1.0, 1.0]
    assert un.set_index("urn")["why"].to_dict() == {
        12: "all nearby champions at capacity", 14: "all nearby champions at capacity",
        15: "no champion of a compatible phase within 25 km", 16: "not located"}
    assert a.at[0, "reason"].startswith("1.0 km; disadvantaged pupils 50% vs your 50%")


def test_capacity_respected():
    a, un = assign_partners([11, 12, 13, 14], [1, 2], LINE, LINE_SUM, capacity=2, max_km=25)
    assert a["partner_urn"].value_counts().max() <= 2
    # 11,12 → 1 (1+2 km) and 13,14 → 2 (1+2 km)
    assert dict(zip(a["urn"], a["partner_urn"])) == {11: 1, 12: 1, 13: 2, 14: 2}
    assert un.empty


def test_max_km_makes_pairs_infeasible():
    a, un = assign_partners([12], [2], LINE, LINE_SUM, capacity=1, max_km=5)
    assert a.empty
    assert un["why"].tolist() == ["no champion of a compatible phase within 5 km"]


def test_champion_is_not_its_own_partner():
    a, un = assign_partners([1], [1], LINE, LINE_SUM, capacity=1)
    assert a.empty and un["why"].tolist() == ["no champion of a compatible phase within 25 km"]


def _brute_force(targets, champs, xy, cap, max_km):
    """(matched count, total km) of the best assignment by enumerating every option for every target."""
    best = (0, 0.0)
    options = [[None] + [c for c in champs if math.dist(xy[t], xy[c]) / 1000 <= max_km] for t in targets]
    for combo in itertools.product(*options):
        used = [c for c in combo if c is not None]
        if any(used.count(c) > cap for c in set(used)):
            continue
        total = sum(math.dist(xy[t], xy[c]) / 1000 for t, c in zip(targets, combo) if c is not None)
        if len(used) > best[0] or (len(used) == best[0] and total < best[1] - 1e-9):
            best = (len(used), total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_total_distance_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    urns = list(range(101, 109))
    pts = rng.uniform(0, 20_000, size=(len(urns), 2)).round()
    sch = _schools([(u, "Primary", x, y, None, None, "Good") for u, (x, y) in zip(urns, pts)])
    summ = _summary([(u, 50, 60, 20, 30, 60, True, True) for u in urns])
    targets, champs = urns[:5], urns[5:]
    cap, max_km = int(rng.integers(1, 3)), 12.0
    a, un = assign_partners(targets, champs, sch, summ, capacity=cap, max_km=max_km)
    xy = {u: (E0 + x, N0 + y) for u, (x, y) in zip(urns, pts)}
    n, total = _brute_force(targets, champs, xy, cap, max_km)
    exact = sum(math.dist(xy[t], xy[c]) / 1000 for t, c in zip(a["urn"], a["partner_urn"]))
    assert len(a) == n
    assert exact == pytest.approx(total)
    assert len(a) + len(un) == len(targets)


def test_assignment_and_partners_are_deterministic_under_shuffling():
    a1, u1 = assign_partners([11, 12, 13, 14, 15, 16], [1, 2], LINE, LINE_SUM, capacity=1)
    p1 = partners_for(1001, GRID, SUMMARY)
    for seed in range(3):
        sh = LINE.sample(frac=1, random_state=seed)
        ss = LINE_SUM.sample(frac=1, random_state=seed)
        a2, u2 = assign_partners([16, 14, 15, 13, 12, 11], [2, 1], sh, ss, capacity=1)
        pd.testing.assert_frame_equal(a1, a2)
        pd.testing.assert_frame_equal(u1, u2)
        p2 = partners_for(1001, GRID.sample(frac=1, random_state=seed), SUMMARY.sample(frac=1, random_state=seed))
        pd.testing.assert_frame_equal(p1, p2)


def test_equidistant_tie_broken_by_urn():
    # Targets 21 and 22 both 5 km from champion 3 (capacity 1): the lower URN gets it.
    sch = _schools([(3, "Primary", 0, 0, None, None, "Good"), (22, "Primary", 3000, 4000, None, None, "Good"),
                    (21, "Primary", -4000, -3000, None, None, "Good")])
    summ = _summary([(u, 50, 60, 20, 30, 60, u == 3, u != 3) for u in (3, 21, 22)])
    a, un = assign_partners([22, 21], [3], sch, summ, capacity=1)
    assert a["urn"].tolist() == [21] and un["urn"].tolist() == [22]


# ------------------------------------------------------------------------------------------- champions
def test_champion_per_group():
    out = champion_candidates(GRID, SUMMARY)
    g1 = out[out["group"] == "G1"]
    # G1 best-practice: 1002 gap 4, 1004 gap 10, 1001 gap 29 → ranked by smallest gap.
    assert g1["urn"].tolist() == [1002, 1004, 1001]
    assert g1["rank"].tolist() == [1, 2, 3]
    assert g1.iloc[0]["reason"].startswith("recommended; gap +4 pp; disadvantaged pupils 68%; 19 disadvantaged")
    g2 = out[out["group"] == "G2"]
    assert g2["urn"].tolist() == [1003]
    g3 = out[out["group"] == "G3"]
    assert g3["urn"].tolist() == [2002]
    # G4's only best-practice school is Inadequate and has no disadvantaged pupils.
    g4 = out[out["group"] == "G4"]
    assert len(g4) == 1 and pd.isna(g4.iloc[0]["rank"]) and pd.isna(g4.iloc[0]["urn"])
    assert g4.iloc[0]["reason"] == "no school meets the criteria"
    assert out["group"].tolist() == ["G1"] * 3 + ["G2", "G3", "G4"]
    assert str(out["urn"].dtype) == "Int64"  # URNs stay integers despite the empty group's missing value


def test_champion_excludes_inadequate_and_no_disadvantaged():
    summ = SUMMARY.assign(dis_n=SUMMARY["dis_n"].where(SUMMARY["urn"] != 2003, 30))
    out = champion_candidates(GRID, summ)
    assert out[out["group"] == "G4"].iloc[0]["reason"] == "no school meets the criteria"  # still Inadequate
    sch = GRID.assign(ofsted=GRID["ofsted"].where(GRID["urn"] != 2003, "Good"))
    assert champion_candidates(sch, summ).set_index("group").at["G4", "urn"] == 2003
    assert champion_candidates(sch, SUMMARY).set_index("group").at["G4", "reason"] == "no school meets the criteria"


def test_champion_other_group_column():
    sch = GRID.rename(columns={"group": "cluster"})
    out = champion_candidates(sch, SUMMARY, groups_col="cluster")
    assert out[out["rank"] == 1]["urn"].tolist() == [1002, 1003, 2002]


def test_a_school_whose_cohort_is_not_published_still_gets_partners():
    # Nullable counts (as the store gives them) with the school's own cohort missing: pandas' NA, not NaN.
    summ = SUMMARY.astype({"pct_dis": "Float64", "cohort": "Int64"})
    summ.loc[summ["urn"] == 1001, ["pct_dis", "cohort"]] = pd.NA
    out = partners_for(1001, GRID, summ)
    assert out["urn"].tolist() == [1002, 1003, 1006, 1005]  # intake and cohort unknown: the caps apply to all
    assert "intake" not in out.set_index("urn").at[1002, "reason"]


def test_phases_given_as_categories_outside_the_known_ones_are_other():
    # The analysis' schools frame holds phases as categories; GIAS has phases such as "Middle deemed secondary".
    grid = GRID.assign(phase=GRID["phase"].replace({"Secondary": "Middle deemed secondary"}).astype("category"))
    out = partners_for(1001, grid, SUMMARY)
    assert out["urn"].tolist() == [1002, 1003, 1006, 1005]
    assigned, _ = assign_partners([1007], [1002, 1003], grid, SUMMARY)
    assert assigned["partner_urn"].notna().all()
