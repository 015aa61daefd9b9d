"""Gap measures, area aggregation and classification, checked against hand-computed figures."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapdata import areas, trends
from gapdata.criteria import Criteria, CriteriaError, load_criteria


def frame(rows):
    cols = ["urn", "year", "dis", "oth", "dis_n", "oth_n", "la"]
    df = pd.DataFrame(rows, columns=cols)
    df["gap"] = df["oth"] - df["dis"]
    return trends.add_standard_errors(df, "rwm_exp", Criteria())


def test_binomial_standard_error_by_hand():
    df = frame([[1, 2019, 50.0, 80.0, 25, 100, "A"]])
    # sqrt(50*50/25) = 10 ; sqrt(80*20/100) = 4 ; gap SE = sqrt(116)
    assert df["dis_se"].iloc[0] == pytest.approx(10.0)
    assert df["oth_se"].iloc[0] == pytest.approx(4.0)
    assert df["gap_se"].iloc[0] == pytest.approx(math.sqrt(116))


def test_progress_standard_error_from_dfe_confidence_limits():
    df = pd.DataFrame({"dis": [-1.0], "oth": [0.5], "dis_n": [20], "oth_n": [60], "dis_lo": [-3.0],
                       "dis_hi": [1.0], "oth_lo": [-0.5], "oth_hi": [1.5], "gap": [1.5]})
    out = trends.add_standard_errors(df, "read_prog", Criteria())
    assert out["dis_se"].iloc[0] == pytest.approx(4.0 / (2 * 1.959964))


def test_classification_widening_narrowing_unclear_too_small_and_no_data():
    rows = [
        [1, 2017, 70.0, 80.0, 200, 800, "A"], [1, 2019, 50.0, 80.0, 200, 800, "A"],   # gap 10 -> 30: widening
        [2, 2017, 50.0, 80.0, 200, 800, "A"], [2, 2019, 70.0, 80.0, 200, 800, "A"],   # 30 -> 10: narrowing
        [3, 2017, 60.0, 80.0, 12, 50, "A"], [3, 2019, 55.0, 80.0, 12, 50, "A"],       # +5 on 12 pupils: unclear
        [4, 2017, 60.0, 80.0, 8, 50, "A"], [4, 2019, 20.0, 80.0, 30, 50, "A"],        # 8 pupils: too small
        [5, 2017, np.nan, 80.0, 30, 50, "A"], [5, 2019, 40.0, 80.0, 30, 50, "A"],     # no 2017 figure
    ]
    out = trends.compare_years(frame(rows), "urn", 2017, 2019, "rwm_exp", Criteria()).set_index("urn")
    assert out.loc[1, "classification"] == "widening" and out.loc[1, "change"] == pytest.approx(20.0)
    assert out.loc[2, "classification"] == "narrowing"
    assert out.loc[3, "classification"] == "no clear change"
    assert out.loc[4, "classification"] == "too small" and "only 8 disadvantaged pupils" in out.loc[4, "reason"]
    assert out.loc[5, "classification"] == "no data" and "2016/17" in out.loc[5, "reason"]


def test_min_cohort_is_configurable():
    rows = [[4, 2017, 60.0, 80.0, 8, 50, "A"], [4, 2019, 20.0, 80.0, 30, 50, "A"]]
    out = trends.compare_years(frame(rows), "urn", 2017, 2019, "rwm_exp", Criteria(min_disadvantaged_cohort=5))
    assert out["classification"].iloc[0] != "too small"


def test_area_is_pupil_weighted_not_mean_of_school_percentages():
    rows = [[1, 2019, 80.0, 90.0, 10, 10, "A"], [2, 2019, 40.0, 70.0, 30, 90, "A"],
            [3, 2019, np.nan, 75.0, 4, 40, "A"]]  # suppressed school: counted, not averaged in
    agg = areas.aggregate(frame(rows), "la").iloc[0]
    assert agg["dis"] == pytest.approx((80 * 10 + 40 * 30) / 40)  # 50, not (80+40)/2 = 60
    assert agg["oth"] == pytest.approx((90 * 10 + 70 * 90 + 75 * 40) / 140)
    assert (agg["schools"], agg["schools_with_data"], agg["suppressed_schools"], agg["suppressed_pupils"]) == \
        (3, 2, 1, 4)


def test_multi_year_trend_skips_missing_years_without_interpolating():
    rows = [[1, y, d, 80.0, 300, 900, "A"] for y, d in ((2016, 70.0), (2017, 65.0), (2018, 60.0), (2019, 55.0),
                                                           (2023, 35.0))]
    df = frame(rows)
    out = trends.multi_year_trend(df, "urn", Criteria()).iloc[0]
    assert out["years_used"] == 5 and out["trend"] == "widening"
    # Slope fits the real years (2020-22 absent): a straight -5/yr line including 2023 gives exactly 5.0.
    assert out["slope"] == pytest.approx(5.0, rel=1e-6)


def test_funnel_limits_narrow_with_cohort_and_flag_outliers():
    rows = []
    for i, n in enumerate([20, 40, 80, 160, 320]):
        rows += [[i, 2017, 60.0, 80.0, n, 3 * n, "A"], [i, 2019, 60.0, 80.0, n, 3 * n, "A"]]
    rows += [[99, 2017, 70.0, 80.0, 300, 900, "A"], [99, 2019, 40.0, 80.0, 300, 900, "A"]]
    cmp = trends.compare_years(frame(rows), "urn", 2017, 2019, "rwm_exp", Criteria())
    pts, lim = trends.funnel(cmp)
    assert (lim["hi95"].diff().dropna() <= 0).all() and (lim["hi998"] > lim["hi95"]).all()
    assert bool(pts.set_index("urn").loc[99, "outside998"])
    assert not pts.set_index("urn").loc[0, "outside95"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.integers(0, 200), st.integers(0, 200),
                          st.booleans()), min_size=1, max_size=12))
def test_aggregate_invariants(schools):
    rows = [[i, 2019, (np.nan if supp else d), o, dn, on, "A"] for i, (d, o, dn, on, supp) in enumerate(schools)]
    agg = areas.aggregate(frame(rows), "la")
    published = [(d, dn) for d, o, dn, on, supp in schools if not supp and dn > 0]
    if not published:
        assert agg.empty or pd.isna(agg["dis"].iloc[0])
        return
    r = agg.iloc[0]
    vals = [d for d, _ in published]
    assert min(vals) - 1e-9 <= r["dis"] <= max(vals) + 1e-9  # a weighted mean stays within its values
    assert r["dis_n"] == sum(dn for _, dn in published)
    # Scaling every cohort by the same factor leaves the weighted figure unchanged.
    rows2 = [[i, 2019, v, o, dn * 3, on * 3, "A"] for i, (_, _, v, o, dn, on, _) in enumerate(rows)]
    assert areas.aggregate(frame(rows2), "la")["dis"].iloc[0] == pytest.approx(r["dis"])


def test_criteria_file_errors_name_file_key_and_suggestion(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text("[classification]\nmin_disadvantged_cohort = 5\n")
    with pytest.raises(CriteriaError) as exc:
        load_criteria(p)
    assert str(p) in str(exc.value) and "min_disadvantaged_cohort" in str(exc.value)
    p.write_text("[best_practice]\nyears_required = 4\nyears_window = 3\n")
    with pytest.raises(CriteriaError, match="exceeds"):
        load_criteria(p)


def test_shipped_criteria_file_loads():
    c = load_criteria()
    assert c.min_disadvantaged_cohort == 11 and c.score_sd["att8"] > 0


def _flag_panel() -> pd.DataFrame:
    """Six schools over three years; other pupils nationally at 70% every year."""
    spec = {  # urn: (dis by year, oth, dis_n by year, ofsted)
        1: ((72, 72, 72), 75, (20, 20, 20), "Good"),          # at national every year
        2: ((60, 60, 72), 75, (20, 20, 20), None),            # gap 15, 15, 3
        3: ((72, 72, 72), 75, (20, 20, 20), "Inadequate"),
        4: ((72, 72, 72), 75, (20, 20, 8), "Good"),           # too few disadvantaged pupils now
        5: ((35, 35, 35), 75, (20, 20, 20), "Good"),          # gap 40 every year
        6: ((60, 60, 60), 62, (20, 20, 20), "Good"),          # gap 2: best fifth, below national
    }
    rows = [{"urn": u, "year": y, "dis": float(d[i]), "oth": float(o), "dis_n": n[i], "diffn": np.nan, "ofsted": g}
            for u, (d, o, n, g) in spec.items() for i, y in enumerate((2017, 2018, 2019))]
    df = pd.DataFrame(rows)
    df["gap"] = df["oth"] - df["dis"]
    return df


def test_best_practice_and_targeted_flags_by_hand():
    from gapdata import practice

    national = pd.DataFrame({"year": [2017, 2018, 2019], "oth": [70.0] * 3})
    compared = pd.DataFrame({"urn": [1, 2, 3, 4, 5, 6], "year_from": 2017,
                             "classification": ["no clear change"] * 4 + ["widening", "no clear change"]})
    got = practice.flag_schools(_flag_panel(), compared, national, 2019, Criteria()).set_index("urn")
    assert got["best_practice"].to_dict() == {1: True, 2: False, 3: False, 4: False, 5: False, 6: True}
    assert got.loc[1, "best_practice_reason"] == \
        "disadvantaged pupils at or above other pupils nationally in 2016/17, 2017/18, 2018/19"
    # Gap 2 is at or below each year's 20th percentile (3, 3 and 2.8) though below other pupils nationally.
    assert got.loc[6, "best_practice_reason"] == "gap in the best 20% of schools in 2016/17, 2017/18, 2018/19"
    assert got.loc[3, "best_practice_reason"] == "results meet the criteria but Ofsted grade is Inadequate"
    assert got.loc[4, "best_practice_reason"] == ""  # 8 disadvantaged pupils in the latest year
    # Worst fifth: gap >= the 80th percentile (15, 15, 10.4).
    assert got["targeted"].to_dict() == {1: False, 2: True, 3: False, 4: False, 5: True, 6: False}
    assert got.loc[2, "targeted_reason"] == "gap in the worst 20% of schools in 2016/17, 2017/18"
    assert got.loc[5, "targeted_reason"] == \
        "gap widened credibly from 2016/17; gap in the worst 20% of schools in 2016/17, 2017/18, 2018/19"
    assert got["years_at_national"].to_dict() == {1: 3, 2: 1, 3: 3, 4: 3, 5: 0, 6: 0}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(2015, 2025), st.floats(-30, 60), st.floats(0.5, 9),
                          st.integers(0, 60)), min_size=1, max_size=40))
def test_multi_year_trend_matches_weighted_least_squares_per_unit(rows):
    df = pd.DataFrame(rows, columns=["k", "year", "gap", "gap_se", "dis_n"]).drop_duplicates(["k", "year"])
    crit = Criteria()
    got = trends.multi_year_trend(df, "k", crit).set_index("k")
    assert sorted(got.index) == sorted(df["k"].unique())
    for k, g in df.groupby("k"):
        g = g[g["dis_n"] >= crit.min_disadvantaged_cohort]
        assert got.loc[k, "years_used"] == len(g)
        if len(g) < 3:
            assert got.loc[k, "trend"] == "too few years" and np.isnan(got.loc[k, "slope"])
            continue
        slope = np.polyfit(g["year"], g["gap"], 1, w=1 / g["gap_se"])[0]  # polyfit weights are 1/sigma
        assert got.loc[k, "slope"] == pytest.approx(slope, rel=1e-6, abs=1e-9)


def test_england_comparator_prefers_state_funded_and_skips_years_without_figures():
    cols = ["level", "kind", "area_code", "year", "dis", "oth", "source"]
    official = pd.DataFrame([
        ["la", "la", "E06000001", 2019, 40.0, 60.0, "la.csv"],
        ["england", "england_all", "E92000001", 2019, 50.0, 72.0, "all.csv"],
        ["england", "england_state", "E92000001", 2019, 51.0, 71.0, "state.csv"],  # preferred over all schools
        ["england", "england_all", "E92000001", 2018, 49.0, 70.0, "all.csv"],  # only all schools this year
        ["england", "england_state", "E92000001", 2017, None, None, "state.csv"],  # no figures: not a year
    ], columns=cols).astype({"level": "str", "kind": "str", "source": "str"})
    e = areas.england(official.iloc[::-1])  # order of rows does not matter
    assert e["year"].tolist() == [2018, 2019]
    assert e["kind"].tolist() == ["england_all", "england_state"]
    assert e["gap"].tolist() == [21.0, 20.0] and e["source"].tolist() == ["all.csv", "state.csv"]
    assert areas.england(official.head(0)).empty
