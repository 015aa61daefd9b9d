"""One call for the pages and the CLI: every school's and area's gap, change, classification and flags.

`analyse(con, ks, measure, year_from, year_to)` returns an `Analysis` with
- `panel`: one row per school and year (panel.school_panel + standard errors);
- `schools`: one row per school: both years' figures, change, classification and reason, multi-year trend,
  best_practice / targeted with reasons, disadvantaged share of the cohort, location;
- `official`, `england`: DfE's own LA and England rows for comparison.
`analyse` is `judge(load(...), year_from, year_to)`: `load` reads what does not depend on the years, so a
page that keeps it answers a change of years without reading the store.
`areas(analysis, key_frame, key)` aggregates to any area level (LA, district, sub-region, liaison group).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from gapdata import areas as area_mod
from gapdata import panel as panel_mod
from gapdata import practice, trends
from gapdata.criteria import Criteria, load_criteria
from gapdata.measures import MEASURES


@dataclass
class Analysis:
    ks: str
    measure: str
    year_from: int
    year_to: int
    crit: Criteria
    panel: pd.DataFrame
    schools: pd.DataFrame
    official: pd.DataFrame
    england: pd.DataFrame

    @property
    def label(self) -> str:
        return MEASURES[self.measure].label

    @property
    def unit(self) -> str:
        return MEASURES[self.measure].unit


AGGREGATE_COLUMNS = ["urn", "year", "dis", "oth", "dis_n", "oth_n", "dis_se", "oth_se"]  # areas.aggregate's input
SCHOOL_INFO = ["name", "la_code", "la_name", "phase", "district_code", "district_name", "ofsted", "pupils", "town",
               "postcode", "easting", "northing", "lon", "lat", "pct_fsm"]


@dataclass
class Loaded:
    """What an analysis needs that does not depend on the two years compared: the measure's panel with
    standard errors, DfE's official and England rows, and each school's register facts. A page keeps it, so
    changing the years does not read the store again."""
    ks: str
    measure: str
    crit: Criteria
    panel: pd.DataFrame
    official: pd.DataFrame
    england: pd.DataFrame
    info: pd.DataFrame  # one row per URN (index): SCHOOL_INFO


def load(con: duckdb.DuckDBPyConnection, ks: str, measure: str, la_codes: list[int] | None = None,
         crit: Criteria | None = None) -> Loaded:
    """Read one measure for the selected LAs (all when None) and add standard errors."""
    if measure not in MEASURES or MEASURES[measure].ks != ks:
        raise ValueError(f"measure {measure!r} is not a {ks} measure")
    crit = crit or load_criteria()
    panel = panel_mod.school_panel(con, ks, measure, la_codes)
    panel = trends.add_standard_errors(panel, measure, crit)
    official = panel_mod.official_rows(con, ks, measure)
    keys = [c for c in SCHOOL_INFO if c in panel_mod.PANEL_COLUMNS]
    info = panel.drop_duplicates("urn", keep="last").set_index("urn")[keys]  # the panel is in (urn, year) order
    facts = panel_mod.register_facts(con, ks, measure).set_index("urn")
    info = info.join(facts, how="left")[SCHOOL_INFO]
    return Loaded(ks, measure, crit, panel, official, area_mod.england(official), info)


def judge(loaded: Loaded, year_from: int, year_to: int) -> Analysis:
    """Gap, change and judgement for every school of a loaded measure between two years."""
    panel, crit, eng, measure = loaded.panel, loaded.crit, loaded.england, loaded.measure
    compared = trends.compare_years(panel, "urn", year_from, year_to, measure, crit)
    compared["year_from"], compared["year_to"] = year_from, year_to
    trend = trends.multi_year_trend(panel, "urn", crit, upto=year_to)
    flags = practice.flag_schools(panel, compared, eng, year_to, crit)
    schools = compared.merge(trend, on="urn", how="left").merge(flags, on="urn", how="left")
    schools = schools.merge(loaded.info, left_on="urn", right_index=True, how="left")
    for c in ("best_practice", "targeted"):
        schools[c] = schools[c].astype("boolean").fillna(False).astype(bool)
    for c in ("best_practice_reason", "targeted_reason"):
        schools[c] = schools[c].fillna("")
    n_d, n_o = schools["dis_n_to"], schools["oth_n_to"]
    with np.errstate(invalid="ignore", divide="ignore"):
        schools["pct_dis"] = 100.0 * n_d / (n_d + n_o)
    schools["cohort"] = n_d + n_o
    return Analysis(loaded.ks, measure, year_from, year_to, crit, panel, schools, loaded.official, eng)


def analyse(con: duckdb.DuckDBPyConnection, ks: str, measure: str, year_from: int, year_to: int,
            la_codes: list[int] | None = None, crit: Criteria | None = None) -> Analysis:
    """Gap, change and judgement for every school of the selection (LAs) for one measure and two years."""
    return judge(load(con, ks, measure, la_codes, crit), year_from, year_to)


def areas(analysis: Analysis, membership: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Area figures for both years with change and classification.

    `membership` maps schools to areas: a DataFrame with `urn` and `key` columns; None means `key` is a column
    of the panel itself (e.g. 'la_code' or 'district_code').
    """
    return area_figures(analysis, membership, key)[0]


def area_series(analysis: Analysis, membership: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """All years' aggregates per area (for trend charts); years without data are absent, not interpolated."""
    return area_mod.aggregate(_with_membership(analysis.panel, membership, key), key)


def area_figures(analysis: Analysis, membership: pd.DataFrame | None,
                 key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`areas` and `area_series` together, aggregating the panel once (what a map or board page shows)."""
    agg = area_mod.aggregate(_with_membership(analysis.panel, membership, key), key)
    out = trends.compare_years(agg, key, analysis.year_from, analysis.year_to, analysis.measure, analysis.crit)
    at_to = np.flatnonzero(agg["year"].to_numpy() == analysis.year_to)
    _left_join(out, key, agg.iloc[at_to], ["schools", "schools_with_data", "suppressed_schools", "suppressed_pupils"])
    tr = trends.multi_year_trend(agg, key, analysis.crit, upto=analysis.year_to)
    _left_join(out, key, tr, ["years_used", "slope", "slope_se", "trend"])
    return out, agg


def selection_figures(analysis: Analysis, urns: list[int]) -> pd.Series:
    """Both years' figures, change and classification of the given schools taken together (a page's headline):
    what area_figures gives for one area holding them all, without the trend and counts it does not show."""
    one = pd.DataFrame({"urn": urns, "sel": "selection"})
    agg = area_mod.aggregate(_with_membership(analysis.panel, one, "sel"), "sel")
    out = trends.compare_years(agg, "sel", analysis.year_from, analysis.year_to, analysis.measure, analysis.crit)
    return out.iloc[0] if len(out) else pd.Series(dtype=object)


def _left_join(left: pd.DataFrame, key: str, right: pd.DataFrame, cols: list[str]) -> None:
    """Add `right`'s columns to `left` (a frame this module just made) by `key` (unique in `right`), missing
    where `right` has no row: a merge's result, without a merge's fixed costs (run on every filter change)."""
    pos = pd.Index(right[key]).get_indexer(left[key])
    for c in cols:
        left[c] = pd.api.extensions.take(right[c].to_numpy(), pos, allow_fill=True)


def _with_membership(panel: pd.DataFrame, membership: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """What areas.aggregate needs of the panel, with each school's area in column `key` (from `membership`;
    missing for schools in no area, which aggregate leaves out). Only those columns are carried: merging the
    whole panel copied every text column on each filter change."""
    if membership is None:
        return panel
    area = membership.drop_duplicates("urn")
    cols = {c: panel[c] for c in AGGREGATE_COLUMNS if c in panel}
    cols[key] = panel["urn"].map(pd.Series(area[key].to_numpy(), index=area["urn"].to_numpy()))
    return pd.DataFrame(cols)


def partner_summary(analysis: Analysis) -> pd.DataFrame:
    """The per-school summary the partner finder takes (see gapdata.partners)."""
    s = analysis.schools
    return pd.DataFrame({
        "urn": s["urn"], "dis": s["dis_to"], "oth": s["oth_to"], "gap": s["gap_to"], "dis_n": s["dis_n_to"],
        "pct_dis": s["pct_dis"], "cohort": s["cohort"], "best_practice": s["best_practice"],
        "best_practice_reason": s["best_practice_reason"], "targeted": s["targeted"],
        "targeted_reason": s["targeted_reason"], "measure_label": analysis.label, "unit": analysis.unit})
