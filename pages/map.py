"""Regional map for meetings: areas coloured by the gap (or its change) on a diverging scale centred on zero,
schools coloured by their classification, arcs from targeted schools to their assigned partners.

Click an area to narrow the filters to it; click a school to open its profile. Where the selection has no
school-level results (e.g. the South West in the bundle) the page says so and maps the official LA-level
figures (EYFSP / KS4 / SMC) instead. No basemap by default: the boundaries are the base layer, so it works
offline; a Carto basemap can be switched on when online.
"""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from gapdata.measures import AREA_KEY_STAGES, MEASURES, year_label
from pages import common
from pages import maplayers as ml

f = common.filters()
con = common.get_con()
big = f.meeting_mode
HEIGHT = 800 if big else 600

st.title("Regional map")


# ------------------------------------------------------------------------------------------------ click handling
def _on_select() -> None:
    """Selection callback (runs before the rerun, so it may set the sidebar widgets' state)."""
    state = st.session_state.get("map_chart") or {}
    objects = (state.get("selection") or {}).get("objects") or {}
    if objects.get("schools"):
        urn = objects["schools"][0].get("urn")
        if urn is not None:
            st.session_state["_map_open_urn"] = int(urn)
        return
    if objects.get("areas"):
        obj = objects["areas"][0]
        props = obj.get("properties", obj) if isinstance(obj, dict) else {}
        level, key = props.get("level"), props.get("key")
        if key is None or level is None:
            return
        if level == "la":
            st.session_state["f_la"] = [int(key)]
        elif level == "district" and props.get("la_code") is not None:
            st.session_state["f_la"] = [int(props["la_code"])]
        elif level == "subregion":
            st.session_state["f_sub"] = str(key)
            st.session_state["f_la"] = []
        elif level == "group":
            st.session_state["f_group"] = str(key)
        elif level == "official":
            st.session_state["_map_focus"] = str(key)


if "_map_open_urn" in st.session_state:
    urn = st.session_state.pop("_map_open_urn")
    st.switch_page("pages/school.py", query_params={**common.filter_params(f), "urn": str(urn)})


# ------------------------------------------------------------------------------------------------ controls
levels = ["la", "district"]
if f.preset != common.ALL_LAS and ml.regions_module() is not None:
    levels.append("subregion")
if common._liaison() is not None:
    levels.append("group")
c1, c2, c3 = st.columns([4, 3, 4])
level = c1.radio("Areas:", levels, format_func=ml.LEVELS.get, horizontal=True, key="map_level")
colour_by = c2.radio("Colour by", ["gap", "change"], horizontal=True, key="map_colour",
                     format_func={"gap": "Gap (latest year)", "change": "Change in gap"}.get)
LAYERS = {"schools": "Schools", "arcs": "Partner arcs", "basemap": "Basemap (online)"}
NETWORKS = ml.networks_file()
if NETWORKS is not None:
    LAYERS = {"schools": "Schools", "arcs": "Partner arcs", "networks": "Networks", "basemap": "Basemap (online)"}
shown = c3.pills("Show", list(LAYERS), selection_mode="multi", default=["schools"], format_func=LAYERS.get,
                 key="map_layers", help="Partner arcs: targeted schools → assigned best-practice partners. "
                 "Basemap: street map from Carto (needs internet); off, the boundaries are the map.") or []
show_schools, show_arcs, basemap = "schools" in shown, "arcs" in shown, "basemap" in shown
net_points = None
if NETWORKS is not None and "networks" in shown:
    net_points, net_problems = common.cached(ml.network_points, str(NETWORKS))
    if net_problems:
        with st.expander(f"{len(net_problems)} problems in the networks file {NETWORKS.name} (rows not drawn)"):
            st.markdown("\n".join(f"- {html.escape(m)}" for m in net_problems))

sel = ml.Selection(f, level)
unit = sel.unit


def _official_map() -> None:
    """No school-level results: show the official LA-level figures on the same map."""
    combos = common.query_df("""
        SELECT ks, measure, year, count(DISTINCT area_code) AS n FROM area_results
        WHERE level = 'la' AND grp IN ('dis', 'fsm') AND value IS NOT NULL GROUP BY ks, measure, year""")
    combos = combos[combos["measure"].isin(list(MEASURES))]
    if combos.empty:
        st.info("The store holds no LA-level results either: load the DfE LA-level files (EYFSP, KS4 by LA) or "
                "the SMC indicators and rebuild the store.")
        return
    opts = sorted({(r.ks, r.measure) for r in combos.itertuples()},
                  key=lambda km: (list(AREA_KEY_STAGES).index(km[0]) if km[0] in AREA_KEY_STAGES else 9,
                                  not MEASURES[km[1]].headline, km[1]))
    default = (f.ks, f.measure) if (f.ks, f.measure) in opts else opts[0]
    d1, d2 = st.columns([3, 1])
    ks, measure = d1.selectbox("LA-level measure", opts, index=opts.index(default), key="map_off_measure",
                               format_func=lambda km: f"{AREA_KEY_STAGES.get(km[0], km[0])} — {MEASURES[km[1]].label}")
    years = sorted(combos.loc[(combos["ks"] == ks) & (combos["measure"] == measure), "year"].astype(int))
    year = d2.selectbox("Year", years, index=len(years) - 1, format_func=year_label, key="map_off_year")
    gaps = common.cached(ml.official_area_gaps, ks, measure, "la")
    prev = [y for y in years if y < year]
    cmp = ml.compare_official(gaps, prev[-1] if prev else None, year)
    mem = ml.preset_members(f.preset, year) if f.preset != common.ALL_LAS else pd.DataFrame()
    if not mem.empty:
        scope = mem if not f.subregion else mem[mem["subregion"] == f.subregion]
        cmp = cmp[cmp["area_code"].isin(set(scope["member_code"]))]
    if cmp.empty:
        st.info(f"No LA in this selection has official {MEASURES[measure].label} figures for {year_label(year)}.")
        return
    u = MEASURES[measure].unit
    shapes = ml.cached_shapes("la", year)
    shapes = shapes[shapes["code"].isin(set(cmp["area_code"]))]
    fig = cmp.rename(columns={"area_name": "name"})
    fig["tt_extra"] = [f"{g} · {html.unescape(str(s))}" for g, s in zip(fig["groups"], fig["source"])]
    value_col = "change" if colour_by == "change" else "gap_to"
    if colour_by == "change" and fig["change"].isna().all():
        st.caption("Only one year of this LA-level measure: coloured by the gap instead of its change.")
        value_col = "gap_to"
    limit = ml.nice_limit(fig[value_col])
    geo = ml.area_features(shapes, fig, "area_code", "change" if value_col == "change" else "gap", u, limit,
                           prev[-1] if prev else None, year)
    for feat in geo["features"]:
        feat["properties"].update({"level": "official", "key": feat["properties"]["code"]})
    view = ml.bounds_view(*_centroids(shapes), height_px=HEIGHT)
    groups = str(fig["groups"].iloc[0])
    who = ("other", "disadvantaged") if groups.startswith("dis") else ("not FSM", "FSM")
    widest = ml.reading(fig.assign(classification="no data"), "name", u, year, "LAs").split("; ", 1)[-1]
    st.markdown(f"**Official LA figures — {MEASURES[measure].label}, {year_label(year)}** ({groups}; gap = "
                f"{who[0]} − {who[1]}). {widest[0].upper() + widest[1:]}.")
    _draw(geo, None, None, view, limit, u, value_col == "change", show_points=False, groups=who)
    show = fig[["name", "area_code", "dis_to", "oth_to", "gap_to", "gap_from", "change", "dis_n_to", "groups",
                "source"]].sort_values("gap_to", ascending=False)
    focus = st.session_state.get("_map_focus")
    if focus in set(show["area_code"]):
        r = show[show["area_code"] == focus].iloc[0]
        st.info(f"{r['name']}: gap {ml.fmt_gap(r['gap_to'], u)} in {year_label(year)}.")
    st.dataframe(show, hide_index=True, placeholder="–", width="stretch")
    common.download_buttons(show, f"map_la_{ks}_{measure}_{year}")


def _centroids(shapes) -> tuple[pd.Series, pd.Series]:
    if shapes is None or len(shapes) == 0:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    b = shapes.geometry.bounds
    return pd.concat([b["minx"], b["maxx"]]), pd.concat([b["miny"], b["maxy"]])


def _draw(geo, points, arcs, view, limit, u, by_change, show_points, groups=("other", "disadvantaged")) -> None:
    deck = ml.deck(geo, points, arcs, view, basemap=basemap, big=big, networks=net_points)
    mcol, lcol = st.columns([5, 1] if big else [4, 1])
    with mcol:
        st.pydeck_chart(deck, height=HEIGHT, on_select=_on_select, selection_mode="single-object", key="map_chart",
                        alt="Map of areas coloured by the disadvantage gap, with schools as points")
    legend = ml.legend_html(limit, u, "change" if by_change else "gap", show_points,
                            show_arcs=arcs is not None and len(arcs) > 0, big=big, groups=groups,
                            show_networks=net_points is not None and len(net_points) > 0)
    lcol.markdown(legend, unsafe_allow_html=True)
    st.caption("Click an area to narrow the filters to it; click a school to open its profile.")


# ------------------------------------------------------------------------------------------------ school-level map
if sel.analysis is None or sel.areas.empty:
    st.info(f"{f.selection_label()}: {sel.note[0].lower() + sel.note[1:]} The map shows the official LA-level "
            "results that exist for its LAs instead — choose the measure and year below.")
    _official_map()
    st.stop()

areas = sel.areas
value_col = "change" if colour_by == "change" else "gap_to"
limit = ml.nice_limit(areas[value_col])
shapes = sel.shapes()
geo = ml.area_features(shapes, areas, "code", colour_by, unit, limit, f.year_from, f.year_to)
area_by_code = areas.set_index("code")
for feat in geo["features"]:
    p = feat["properties"]
    r = area_by_code.loc[p["code"]] if p["code"] in area_by_code.index else None
    p["level"] = level
    p["key"] = None if r is None else (int(r[sel.key]) if level == "la" else str(r[sel.key]))
    if level == "district" and r is not None:
        las = sel.schools.loc[sel.schools["district_code"] == r[sel.key], "la_code"].dropna()
        p["la_code"] = int(las.mode().iloc[0]) if len(las) else None
    if r is not None:
        p["tt_3"] = f"{int(r['schools'])} schools, {int(r['suppressed_schools'])} suppressed · trend: " \
                    f"{r.get('trend', r.get('classification_trend', '')) or 'n/a'}"

missing = sorted(set(areas["code"].dropna()) - set(shapes["code"])) if len(shapes) else []
points = sel.points(unit) if show_schools else None
arcs = None
if show_arcs:
    from gapdata import analytics, partners

    s = sel.schools
    tg = s.loc[s["targeted"], "urn"].astype(int).tolist()
    ch = s.loc[s["best_practice"], "urn"].astype(int).tolist()
    if tg and ch:
        assigned, _unmatched = partners.assign_partners(tg, ch, s, analytics.partner_summary(sel.analysis))
        arcs = ml.arc_rows(assigned, s)
    if arcs is None or arcs.empty:
        st.caption("No partner arcs: no targeted school has a best-practice partner within 25 km in this selection.")

lon = pd.concat([sel.schools["lon"], _centroids(shapes)[0]])
lat = pd.concat([sel.schools["lat"], _centroids(shapes)[1]])
view = ml.bounds_view(lon, lat, height_px=HEIGHT)
kind = {"la": "LAs", "district": "districts", "subregion": "sub-regions", "group": "liaison groups"}[level]
st.markdown(f"**{ml.reading(areas, 'name', unit, f.year_to, kind)}.** "
            f"{html.escape(f.measure_label)}, {year_label(f.year_from)} → {year_label(f.year_to)}, "
            f"{html.escape(f.selection_label())}.")
if len(shapes) == 0:
    st.caption(f"No boundaries are available for these {kind}: only the schools are drawn.")
elif missing:
    st.caption(f"No boundary for {len(missing)} of the {kind} (codes {', '.join(missing[:5])}): not drawn.")
_draw(geo, points, arcs, view, limit, unit, colour_by == "change", show_points=bool(show_schools))

with st.expander("Areas on the map (table)", expanded=not big):
    show = areas[["name", "gap_from", "gap_to", "change", "classification", "reason", "schools",
                  "suppressed_schools"]].sort_values("gap_to", ascending=False)
    st.dataframe(show, hide_index=True, placeholder="–", width="stretch")
    common.download_buttons(show, f"map_{level}_{f.ks}_{f.measure}_{f.year_from}_{f.year_to}")
