"""Early years & LA context: DfE's LA-level figures where there are no school-level results.

EYFSP good level of development by free-school-meal status by LA (and pupil-weighted by sub-region), the
2012/13–2018/19 areas-of-learning series, KS2/KS4 LA-level gaps and the Social Mobility Commission's indicators.
FSM here is *current* eligibility (not DfE's FSM6CLA1A disadvantage measure used for KS2/KS4 school results).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gapdata import membership as mship
from gapdata.measures import MEASURES, year_label
from pages import common
from pages import maplayers as ml

f = common.filters()
big = f.meeting_mode
FONT = 20 if big else 14
st.title("Early years & LA context")
st.caption("Official LA-level figures (DfE, Social Mobility Commission). Early-years groups are pupils *currently* "
           "eligible for free school meals (FSM) vs not — a narrower group than the 'disadvantaged' pupils of KS2/KS4.")


def scope(year: int) -> tuple[pd.DataFrame | None, str]:
    """GSS codes in the selection for `year` with their sub-region: DataFrame[member_code, subregion] or None
    (= every LA in England), and a phrase naming the scope."""
    if f.la_picked:
        gss = common.cached(mship.la_gss, year)
        codes = gss[gss["la_code"].isin(f.la_picked)]["gss"]
        return pd.DataFrame({"member_code": codes, "subregion": None}), f.selection_label()
    if f.preset != common.ALL_LAS:
        mem = ml.preset_members(f.preset, year)
        if not mem.empty:
            if f.subregion:
                mem = mem[mem["subregion"] == f.subregion]
            return mem, f.selection_label()
    return None, "every LA in England"


def england_row(ks: str, measure: str, year: int) -> pd.Series | None:
    e = common.cached(ml.official_area_gaps, ks, measure, "england")
    e = e[e["year"] == year]
    return e.iloc[0] if len(e) else None


def la_table(ks: str, measure: str) -> tuple[pd.DataFrame, int | None, str]:
    """LA rows of the latest year in scope, widest gap first, with the sub-region where known."""
    g = common.cached(ml.official_area_gaps, ks, measure, "la")
    if g.empty:
        return g, None, ""
    y = int(g["year"].max())
    g = g[g["year"] == y]
    sc, label = scope(y)
    if sc is not None:
        g = g.merge(sc.drop_duplicates("member_code"), left_on="area_code", right_on="member_code")
    else:
        g = g.assign(subregion=None)
    return g.sort_values("gap", ascending=False).reset_index(drop=True), y, label


def weighted(g: pd.DataFrame, by: str) -> pd.DataFrame:
    """Pupil-weighted FSM / not-FSM figures per group from LA rows with cohorts (children_number)."""
    rows = []
    for k, x in g.dropna(subset=[by]).groupby(by):
        d = x.dropna(subset=["dis", "dis_n"])
        o = x.dropna(subset=["oth", "oth_n"])
        dis = (d["dis"] * d["dis_n"]).sum() / d["dis_n"].sum() if d["dis_n"].sum() else float("nan")
        oth = (o["oth"] * o["oth_n"]).sum() / o["oth_n"].sum() if o["oth_n"].sum() else float("nan")
        rows.append({by: k, "LAs": len(x), "FSM": dis, "Not FSM": oth, "Gap": oth - dis,
                     "FSM children": int(d["dis_n"].sum()), "LAs without counts": int(len(x) - len(d))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------ EYFSP headline
eyfs_measures = [m.key for m in MEASURES.values() if m.ks == "eyfs" and not m.key.startswith("al_")]
m_key = st.selectbox("Early-years measure", eyfs_measures, format_func=lambda k: MEASURES[k].label, key="ey_measure")
tab, year, where = la_table("eyfs", m_key)
if year is None or tab.empty:
    st.info("The store holds no LA-level early-years (EYFSP) results for this selection: add DfE's EYFSP "
            "headline-measures file to the raw-data folder and rebuild the store.")
else:
    eng = england_row("eyfs", m_key, year)
    unit = MEASURES[m_key].unit
    st.subheader(f"{MEASURES[m_key].label} by FSM, {year_label(year)} — {where}")
    c = st.columns(3)
    c[0].metric("LAs shown", len(tab))
    c[1].metric(f"Widest gap {year_label(year)}", ml.fmt_gap(tab["gap"].iloc[0], unit), help=None,
                delta=str(tab["area_name"].iloc[0]), delta_color="off", delta_arrow="off")
    c[2].metric("England gap", ml.fmt_gap(None if eng is None else eng["gap"], unit))
    limit = ml.nice_limit(tab["gap"])
    shapes = ml.cached_shapes("la", year)
    shapes = shapes[shapes["code"].isin(set(tab["area_code"]))]
    fig = tab.rename(columns={"area_name": "name", "gap": "gap_to", "dis": "dis_to", "oth": "oth_to"}).assign(
        gap_from=float("nan"), change=float("nan"), classification="one year")
    fig["tt_extra"] = [f"FSM {ml.fmt_gap(d, unit)} vs not FSM {ml.fmt_gap(o, unit)}; {int(n) if pd.notna(n) else '–'}"
                       " FSM children" for d, o, n in zip(fig["dis_to"], fig["oth_to"], fig["dis_n"])]
    geo = ml.area_features(shapes, fig, "area_code", "gap", unit, limit, None, year)
    for feat in geo["features"]:
        feat["properties"]["tt_2"] = ""
    if len(shapes):
        b = shapes.geometry.bounds
        view = ml.bounds_view(pd.concat([b["minx"], b["maxx"]]), pd.concat([b["miny"], b["maxy"]]),
                              height_px=700 if big else 520)
        mc, lc = st.columns([4, 1])
        mc.pydeck_chart(ml.deck(geo, None, None, view, big=big), height=700 if big else 520,
                        alt="Map of LAs coloured by the early-years FSM gap")
        lc.markdown(ml.legend_html(limit, unit, "gap", False, big=big, groups=("not FSM", "FSM")),
                    unsafe_allow_html=True)
        lc.caption("Gap = not FSM − FSM. Hover an LA for its figures.")
    else:
        st.caption("No boundaries found for these LAs: table only.")
    eng_gap = None if eng is None else eng["gap"]
    show = pd.DataFrame({"LA": tab["area_name"], "Sub-region": tab["subregion"], "FSM": tab["dis"],
                         "Not FSM": tab["oth"], "Gap": tab["gap"],
                         "vs England": tab["gap"] - eng_gap if eng_gap is not None else float("nan"),
                         "FSM children": tab["dis_n"], "Not-FSM children": tab["oth_n"],
                         "Source": tab["source"]})
    if show["Sub-region"].isna().all():
        show = show.drop(columns=["Sub-region"])
    bar = st.column_config.ProgressColumn(format="%.1f%%", min_value=0, max_value=100) if unit == "pp" else None
    st.dataframe(show, hide_index=True, placeholder="–", width="stretch",
                 column_config={"FSM": bar, "Not FSM": bar, "Gap": st.column_config.NumberColumn(format="%.1f"),
                                "vs England": st.column_config.NumberColumn(format="%+.1f")})
    common.download_buttons(show, f"early_years_{m_key}_{year}_by_la", "LAs")
    if "subregion" in tab and tab["subregion"].notna().any():
        st.subheader("By sub-region (pupil-weighted)")
        w = weighted(tab, "subregion")
        if eng is not None:
            w = pd.concat([w, pd.DataFrame([{"subregion": "England", "FSM": eng["dis"], "Not FSM": eng["oth"],
                                             "Gap": eng["gap"]}])], ignore_index=True)
        st.dataframe(w, hide_index=True, placeholder="–", width="stretch",
                     column_config={"FSM": bar, "Not FSM": bar, "Gap": st.column_config.NumberColumn(format="%.1f")})
        st.caption("Each sub-region's figure is Σ(LA figure × children) / Σ children, using DfE's children counts.")
        common.download_buttons(w, f"early_years_{m_key}_{year}_by_subregion", "sub-regions")

# ------------------------------------------------------------------------------------------------ series 2013-2019
st.subheader("Areas of learning by FSM over time")
al = [m.key for m in MEASURES.values() if m.key.startswith("al_")]
a_key = st.radio("Area of learning", al, format_func=lambda k: MEASURES[k].label, horizontal=True, key="ey_al")
series = common.cached(ml.official_area_gaps, "eyfs", a_key, "la")
if series.empty:
    st.info("The store holds no EYFSP areas-of-learning series (DfE's 2013–2019 additional tables).")
else:
    sc, where_s = scope(int(series["year"].max()))
    s = series if sc is None else series[series["area_code"].isin(set(sc["member_code"]))]
    eng_s = common.cached(ml.official_area_gaps, "eyfs", a_key, "england")
    years = list(range(int(series["year"].min()), int(series["year"].max()) + 1))
    figs = go.Figure()
    many = s["area_code"].nunique() > 12
    if not many:
        for (_code, name), g in s.groupby(["area_code", "area_name"]):
            gy = g.set_index("year")["gap"]
            figs.add_trace(go.Scatter(x=[year_label(y) for y in years], y=[gy.get(y) for y in years], name=str(name),
                                      mode="lines+markers", connectgaps=False))
    ey = eng_s.set_index("year")["gap"] if len(eng_s) else pd.Series(dtype=float)
    figs.add_trace(go.Scatter(x=[year_label(y) for y in years], y=[ey.get(y) for y in years], name="England",
                              mode="lines+markers", connectgaps=False, line={"dash": "dash", "color": "#333"}))
    figs.update_layout(height=460 if big else 360, font={"size": FONT}, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                       yaxis_title="Gap (pp, not FSM − FSM)", legend={"orientation": "h", "y": -0.2})
    st.plotly_chart(figs, width="stretch")
    if many:
        st.caption(f"{s['area_code'].nunique()} LAs in {where_s}: only England is drawn; pick a preset or LAs in the "
                   "sidebar to compare LAs.")
    wide = s.pivot_table(index="area_name", columns="year", values="gap").rename(columns=year_label).reset_index()
    wide.columns.name = None
    st.dataframe(wide, hide_index=True, placeholder="–", width="stretch")
    common.download_buttons(wide, f"early_years_{a_key}_series", "series")

# ------------------------------------------------------------------------------------------------ KS2 / KS4 LA level
st.subheader("KS2 and KS4 gaps by LA (official LA-level figures)")
rows = []
for ks, key in (("ks2", "rwm_exp"), ("ks4", "att8"), ("ks4", "em94")):
    t, y, _w = la_table(ks, key)
    if y is None or t.empty:
        continue
    e = england_row(ks, key, y)
    for r in t.itertuples():
        rows.append({"LA": r.area_name, "Measure": f"{ks.upper()} {MEASURES[key].label}", "Year": year_label(y),
                     "Disadvantaged/FSM": r.dis, "Other": r.oth, "Gap": r.gap,
                     "England gap": None if e is None else e["gap"], "Groups": r.groups, "Source": r.source})
if rows:
    ctx = pd.DataFrame(rows)
    st.dataframe(ctx, hide_index=True, placeholder="–", width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.1f")
                                for c in ("Disadvantaged/FSM", "Other", "Gap", "England gap")})
    common.download_buttons(ctx, "la_context_ks2_ks4", "KS2/KS4")
else:
    st.info("The store holds no LA-level KS2 or KS4 results by disadvantage for this selection.")

# ------------------------------------------------------------------------------------------------ SMC
st.subheader("Social Mobility Commission indicators (FSM vs not, by ITL2 area)")
smc = []
for ks, key in (("eyfs", "gld"), ("ks2", "rwm_exp"), ("ks4", "em95")):
    g = common.cached(ml.official_area_gaps, ks, key, "itl2")
    if g.empty:
        continue
    y = int(g["year"].max())
    g = g[g["year"] == y]
    smc.append(pd.DataFrame({"Area (ITL2)": g["area_name"], "Indicator": f"{ks.upper()} {MEASURES[key].label}",
                             "Year": year_label(y), "FSM": g["dis"], "Not FSM": g["oth"], "Gap": g["gap"]}))
if smc:
    smc_df = pd.concat(smc, ignore_index=True).sort_values(["Indicator", "Gap"], ascending=[True, False])
    st.dataframe(smc_df, hide_index=True, placeholder="–", width="stretch", height=360,
                 column_config={c: st.column_config.NumberColumn(format="%.1f") for c in ("FSM", "Not FSM", "Gap")})
    st.caption("ITL2 areas are groups of LAs (e.g. 'Devon', 'Gloucestershire, Wiltshire and Bath/Bristol area').")
    common.download_buttons(smc_df, "smc_indicators_itl2", "SMC")
else:
    st.info("The store holds no Social Mobility Commission indicators.")
