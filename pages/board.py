"""Board view: headline figures for the selection, ranked areas and schools, trends, funnel plot, downloads
(CSV/Excel of exactly what is shown) and a self-contained HTML board pack."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from gapdata.measures import MEASURES, NO_DATA_YEARS, year_label
from pages import boardcharts, boardpack, common
from pages import maplayers as ml

f = common.filters()
big = f.meeting_mode
st.title("Board view")

levels = ["la", "district"]
if f.preset != common.ALL_LAS and ml.regions_module() is not None:
    levels.append("subregion")
if common._liaison() is not None:
    levels.append("group")
level = st.radio("Areas:", levels, format_func=ml.LEVELS.get, horizontal=True, key="board_level")
sel = ml.Selection(f, level)
unit = sel.unit
u = "pp" if unit == "pp" else "points"
CLASS_ORDER = ["widening", "narrowing", "no clear change", "too small", "no data"]


def _official_fallback() -> None:
    """No school-level results for the selection: the official LA figures for this measure, where published."""
    gaps = common.cached(ml.official_area_gaps, f.ks, f.measure, "la")
    mem = ml.preset_members(f.preset, int(gaps["year"].max())) if len(gaps) and f.preset != common.ALL_LAS \
        else pd.DataFrame()
    if not mem.empty:
        scope = mem if not f.subregion else mem[mem["subregion"] == f.subregion]
        gaps = gaps[gaps["area_code"].isin(set(scope["member_code"]))]
    if gaps.empty:
        st.info(f"DfE publishes no LA-level {f.measure_label} figures in the store for this selection either. "
                "The Early years & LA context page shows what LA-level results exist.")
        return
    y = int(gaps["year"].max())
    prev = sorted(y0 for y0 in gaps["year"].unique() if y0 < y)
    cmp = ml.compare_official(gaps, int(prev[-1]) if prev else None, y).sort_values("gap_to", ascending=False)
    st.subheader(f"Official LA figures — {f.measure_label}, {year_label(y)}")
    show = pd.DataFrame({"LA": cmp["area_name"], "Disadvantaged": cmp["dis_to"], "Other": cmp["oth_to"],
                         f"Gap {year_label(y)}": cmp["gap_to"],
                         "Change": [f"{ml.arrow(c)} {ml.fmt_gap(c, unit, True)}" if pd.notna(c) else "–"
                                    for c in cmp["change"]],
                         "Groups": cmp["groups"], "Source": cmp["source"]})
    fmt = st.column_config.NumberColumn(format="%.1f" if unit == "pp" else "%.2f")
    st.dataframe(show, hide_index=True, placeholder="–", width="stretch",
                 column_config={"Disadvantaged": fmt, "Other": fmt, f"Gap {year_label(y)}": fmt})
    common.download_buttons(show, f"board_official_{f.ks}_{f.measure}_{y}")


if sel.analysis is None or sel.schools.empty:
    st.info(f"{f.selection_label()}: {sel.note[0].lower() + sel.note[1:]} So there are no school rankings, trends "
            "or funnel plot here; below are the official LA-level figures DfE publishes for this measure.")
    _official_fallback()
    st.stop()

a, schools, areas = sel.analysis, sel.schools, sel.areas
lf, lt = year_label(f.year_from), year_label(f.year_to)

# ------------------------------------------------------------------------------------------------ headline cards
t = common.selection_figures(*sel.analysis_args, sel.digest, schools["urn"].tolist())
eng = a.england.set_index("year")["gap"] if len(a.england) else pd.Series(dtype=float)
counts = schools["classification"].value_counts()
cols = st.columns(5)
cols[0].metric(f"Gap {lt}", ml.fmt_gap(t.get("gap_to"), unit), help="Other − disadvantaged, pupil-weighted over "
               "the selection's schools with published figures. Positive = disadvantaged pupils behind.")
cols[1].metric(f"Change since {lf}", f"{ml.arrow(t.get('change'))} {ml.fmt_gap(t.get('change'), unit, True)}",
               delta=str(t.get("classification", "")), delta_color="off", delta_arrow="off",
               help=str(t.get("reason", "")))
cols[2].metric("Widening / narrowing", f"{counts.get('widening', 0):,} / {counts.get('narrowing', 0):,}",
               help="Credible changes only (beyond the uncertainty of the school's cohorts).")
cols[3].metric("Too small to say", f"{counts.get('too small', 0):,}", delta=f"of {len(schools):,} schools",
               delta_color="off", delta_arrow="off",
               help=f"Fewer than {a.crit.min_disadvantaged_cohort} disadvantaged pupils in a year, or suppressed.")
cols[4].metric(f"England gap {lt}", ml.fmt_gap(eng.get(f.year_to), unit),
               delta=(f"selection {ml.fmt_gap(t.get('gap_to') - eng.get(f.year_to), unit, True)} vs England"
                      if pd.notna(t.get("gap_to")) and pd.notna(eng.get(f.year_to)) else None),
               delta_color="inverse", help="DfE's England figure (state-funded schools where published).")
st.caption(f"{f.measure_label} · {lf} → {lt} · {f.selection_label()} · {len(schools)} schools. "
           f"{ml.reading(areas, 'name', unit, f.year_to, ml.LEVELS[level].lower())}.")

# ------------------------------------------------------------------------------------------------ ranked areas
st.subheader(f"{ml.LEVELS[level]}, widest gap first")
pct = unit == "pp"
area_tab = pd.DataFrame({
    "Area": areas["name"], "Disadvantaged": areas["dis_to"], "Other pupils": areas["oth_to"],
    f"Gap {lf}": areas["gap_from"], f"Gap {lt}": areas["gap_to"],
    "Change": [f"{ml.arrow(c)} {ml.fmt_gap(c, unit, True)}" if pd.notna(c) else "–" for c in areas["change"]],
    "Classification": areas["classification"], "Trend": areas["trend"], "Schools": areas["schools"],
    "Suppressed": areas["suppressed_schools"], "Why": areas["reason"]}).sort_values(f"Gap {lt}", ascending=False)
num = st.column_config.NumberColumn(format="%.1f" if pct else "%.2f")
bar = (st.column_config.ProgressColumn(format="%.1f%%", min_value=0, max_value=100) if pct else num)
cfg = {"Disadvantaged": bar, "Other pupils": bar, f"Gap {lf}": num, f"Gap {lt}": num,
       "Why": st.column_config.TextColumn(width="large")}
st.dataframe(area_tab, hide_index=True, placeholder="–", width="stretch",
             column_config={**cfg, "Area": st.column_config.TextColumn(width="medium")})  # "Group 13 (Dorking)"
common.download_buttons(area_tab, f"board_areas_{level}_{f.ks}_{f.measure}_{f.year_from}_{f.year_to}", "areas")

# ------------------------------------------------------------------------------------------------ ranked schools
st.subheader("Schools")
c1, c2 = st.columns([3, 2])
show_cls = c1.multiselect("Show classifications", CLASS_ORDER, default=["widening", "narrowing", "no clear change"],
                          key="board_classes")
flags = c2.pills("Only", ["best practice", "targeted"], selection_mode="multi", key="board_flags") or []
s = schools[schools["classification"].isin(show_cls)] if show_cls else schools
for fl in flags:
    s = s[s[fl.replace(" ", "_")]]
school_tab = pd.DataFrame({
    "URN": s["urn"].astype("int64"), "School": s["name"], "LA": s["la_name"], "Phase": s["phase"],
    "Disadvantaged": s["dis_to"], "Other pupils": s["oth_to"], f"Gap {lf}": s["gap_from"], f"Gap {lt}": s["gap_to"],
    "Change": [f"{ml.arrow(c)} {ml.fmt_gap(c, unit, True)}" if pd.notna(c) else "–" for c in s["change"]],
    "Classification": s["classification"], "Disadvantaged pupils": s["dis_n_to"],
    "Best practice": s["best_practice"], "Targeted": s["targeted"], "Why": s["reason"]})
school_tab = school_tab.sort_values(f"Gap {lt}", ascending=False, na_position="last")
if school_tab.empty:
    st.info("No school matches these classification and flag choices: widen the choice above.")
else:
    st.dataframe(school_tab, hide_index=True, placeholder="–", width="stretch", height=420 if not big else 560,
                 column_config={**cfg, "URN": st.column_config.NumberColumn(format="%d")})
common.download_buttons(school_tab, f"board_schools_{f.ks}_{f.measure}_{f.year_from}_{f.year_to}", "schools")

# ------------------------------------------------------------------------------------------------ trends
st.subheader("Gap over time")
CHART_AREAS = 8  # more lines than this cannot be told apart on a projector
ranked = areas.sort_values("gap_to", ascending=False, na_position="last")
names = dict(zip(areas[sel.key], areas["name"]))
chosen = ranked["name"].tolist()
if len(chosen) > CHART_AREAS:
    chosen = st.multiselect(f"Areas in the chart (the {CHART_AREAS} widest gaps in {lt} to start with)",
                            ranked["name"].tolist(), default=ranked["name"].head(CHART_AREAS).tolist())
keep = set(ranked.loc[ranked["name"].isin(chosen), sel.key])


fig, chart_years = boardcharts.trend_figure(
    (common.store_key(), sel.digest, level, tuple(sorted(map(str, keep)))), sel.key, f.ks,
    sel.series[sel.series[sel.key].isin(keep)], names, a.england, big, u)
st.plotly_chart(fig, width="stretch")
gaps_note = [f"{year_label(y)}: {why}" for y, why in NO_DATA_YEARS.get(f.ks, {}).items()
             if chart_years and chart_years[0] <= y <= chart_years[-1]]
if gaps_note:
    st.caption("Breaks in the lines: " + "; ".join(gaps_note) + ". Nothing is interpolated.")

# ------------------------------------------------------------------------------------------------ funnel
st.subheader("Funnel plot: change in each school's gap against its disadvantaged cohort")

fig2, out95, out998, n_pts = boardcharts.funnel_figure((common.store_key(), sel.digest, f.ks), schools, big, u)
if fig2 is None:
    st.info("No school has two years of gaps with known cohorts, so there is no funnel plot for this selection.")
else:
    st.plotly_chart(fig2, width="stretch")
    st.caption(f"{out95} of {n_pts} schools lie outside the 95% limits and {out998} outside "
               "99.8%: with no real differences about 1 in 20 would fall outside 95% by chance.")

# ------------------------------------------------------------------------------------------------ board pack
st.subheader("Board pack")
def _board_pack() -> bytes:
    """The self-contained HTML pack, made when the button is clicked (the map and tables take seconds at
    England scale, too long to redo on every filter change)."""
    shapes = sel.shapes()
    limit = ml.nice_limit(areas["gap_to"])
    fills = dict(zip(areas["code"].astype(str), ml.diverging_rgba(areas["gap_to"], limit)))
    pts_map = ml.school_points(schools, unit, f.year_from, f.year_to)
    svg = boardpack.svg_map(shapes, fills, pts_map, title=f"{f.measure_label} gap, {lt}")
    legend = ml.legend_html(limit, unit, "gap", True)
    src = common.query_df("SELECT DISTINCT source FROM school_results WHERE ks = ? AND measure = ? AND la_code IN "
                          "(SELECT unnest(?)) ORDER BY source", (f.ks, f.measure, list(f.la_codes)))
    eng_src = a.england["source"].dropna().unique().tolist() if "source" in a.england else []
    crit = a.crit
    pack = boardpack.board_pack(
        title=f"Disadvantage gap — {f.selection_label()}",
        subtitle=f"{f.measure_label} · {MEASURES[f.measure].ks.upper()} · {lf} → {lt}",
        cards=[(f"Gap {lt}", ml.fmt_gap(t.get("gap_to"), unit), "other − disadvantaged"),
               (f"Change since {lf}", f"{ml.arrow(t.get('change'))} {ml.fmt_gap(t.get('change'), unit, True)}",
                str(t.get("classification", ""))),
               ("Schools widening / narrowing", f"{counts.get('widening', 0)} / {counts.get('narrowing', 0)}",
                f"of {len(schools)}"),
               ("Too small to say", str(counts.get("too small", 0)), f"of {len(schools)}"),
               (f"England gap {lt}", ml.fmt_gap(eng.get(f.year_to), unit), "DfE")],
        map_svg=svg, legend=legend,
        tables=[(f"{ml.LEVELS[level]}", area_tab.drop(columns=["Why"])), ("Schools", school_tab.drop(columns=["Why"]))],
        definitions=[
            "Disadvantaged pupils: DfE's FSM6CLA1A group (free school meals in the last six years, looked after or "
            "adopted from care). Other pupils: everyone else in the same school or area.",
            "Gap = other pupils' result − disadvantaged pupils' result; positive means disadvantaged pupils are "
            "behind.",
            f"Widening/narrowing: the change in gap exceeds {crit.z_threshold:g} standard errors given the cohorts and "
            f"is at least {crit.min_change:g} {u}; otherwise 'no clear change'.",
            f"Too small to say: fewer than {crit.min_disadvantaged_cohort} disadvantaged pupils in a year, or "
            "suppressed.",
            "Area figures are pupil-weighted from school figures; suppressed schools are counted but left out."],
        sources=[str(x) for x in src["source"]] + [f"England comparator: {x}" for x in eng_src])
    return pack.encode("utf-8")


st.download_button("⬇ HTML board pack", _board_pack,
                   file_name=f"board_pack_{f.ks}_{f.measure}_{f.year_to}.html", mime="text/html", key="board_pack",
                   help="One self-contained HTML file (map, figures, tables, definitions, sources); prints to PDF.")
