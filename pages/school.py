"""School finder: search by name, URN, postcode or town; one profile per school at `?urn=…`."""
from __future__ import annotations

import importlib

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gapdata import queries
from gapdata.criteria import load_criteria
from gapdata.measures import MEASURES, NO_DATA_YEARS, for_ks, school_gaps_sql, year_label
from gapdata.values import code_meaning
from pages import common

MIN_COHORT = load_criteria().min_disadvantaged_cohort
COLOURS = {"dis": "#d95f02", "oth": "#1b65a6", "la": "#7570b3", "eng": "#555555", "school": "#d95f02"}

f = common.filters()
con = common.get_con()
st.title("School finder")


def _urn_from_url() -> int | None:
    raw = st.query_params.get("urn")
    if raw is None or raw == "":
        return None
    try:
        urn = int(str(raw).strip())
    except ValueError:
        st.warning(f"The link's school `urn={raw}` is not a number: showing the search instead.", icon="⚠️")
        _close()
        return None
    known = common.query_df("SELECT 1 FROM schools WHERE urn = ? UNION ALL "
                            "SELECT 1 FROM school_results WHERE urn = ? LIMIT 1", (urn, urn))
    if known.empty:
        st.warning(f"The link's school `urn={urn}` is not in the store: showing the search instead.", icon="⚠️")
        _close()
        return None
    return urn


def _open(urn: int) -> None:
    st.query_params["urn"] = str(urn)


def _close() -> None:
    if "urn" in st.query_params:
        del st.query_params["urn"]


# ---------------------------------------------------------------------------------------------- search
def search_section() -> None:
    q = st.text_input("Search by school name, URN, postcode or town", key="school_q",
                      placeholder="e.g. Crookham Junior, 115976, GU52 or Fleet — typos are fine")
    if not q:
        return
    hits = common.search_schools(common.search_index(), q, limit=10)
    if hits.empty:
        st.info(f"No school in the store matches “{q}”. Try part of the name, the town or the start of the postcode.")
        return
    st.markdown(f"**{len(hits)} best matches** — choose one to open its profile:")
    for r in hits.itertuples():
        label = common.search_hit_label(r.name, r.town, r.postcode, r.LA, r.phase, r.urn)
        st.button(label, key=f"open_{r.urn}", on_click=_open, args=(int(r.urn),), width="stretch")


def selection_table() -> None:
    """The schools of the sidebar selection with their gap in the two years compared."""
    ks_short = common.SHORT_KS.get(f.ks, f.ks)
    st.subheader(f"Schools in {f.selection_label()} — {f.measure_label}")
    if f.year_to is None:
        st.info(f"There are no {ks_short} school results in the store, so there is nothing to list. Load "
                f"{ks_short} performance-table files and rebuild the store (see About the data).")
        return
    years = sorted({f.year_from, f.year_to})
    df = common.query_df(f"""
        SELECT g.urn, s.name, s.town, s.phase, coalesce(s.la_code, g.la_code) AS la_code, g.year, g.dis, g.oth,
               g.gap, g.dis_n, g.dis_status
        FROM ({school_gaps_sql("ks = ? AND measure = ? AND year IN (SELECT unnest(?))")}) g
        LEFT JOIN schools s USING (urn)
        WHERE coalesce(s.la_code, g.la_code) IN (SELECT unnest(?))""",
                         (f.ks, f.measure, years, list(f.la_codes)))
    inside = common.selection_urns(f)
    if inside is not None:
        df = df[df["urn"].isin(inside)]
    if df.empty:
        span = " or ".join(year_label(y) for y in years)
        st.info(f"No {ks_short} results for {f.selection_label()} in {span} are in the store — the files loaded "
                "for this selection cover other years or key stages (see About the data for what is loaded).")
        return
    names = common.la_names()
    lf, lt = year_label(f.year_from), year_label(f.year_to)
    base = df.sort_values("year").groupby("urn").agg(name=("name", "last"), town=("town", "last"),
                                                     phase=("phase", "last"), la_code=("la_code", "last"))
    to = df[df["year"] == f.year_to].set_index("urn")
    fr = df[df["year"] == f.year_from].set_index("urn")
    cols = {
        "URN": base.index, "School": base["name"], "Town": base["town"],
        "LA": base["la_code"].map(lambda c: names.get(int(c), str(c)) if pd.notna(c) else ""),
        "Phase": base["phase"],
        f"Disadvantaged pupils {lt}": to["dis_n"].reindex(base.index),
        f"Disadvantaged {lt}": to["dis"].reindex(base.index),
        f"Other {lt}": to["oth"].reindex(base.index)}
    if f.year_from != f.year_to:
        cols[f"Gap {lf}"] = fr["gap"].reindex(base.index)
    cols[f"Gap {lt}"] = to["gap"].reindex(base.index)
    if f.year_from != f.year_to:
        cols["Change"] = cols[f"Gap {lt}"] - cols[f"Gap {lf}"]
    cols["Status"] = to["dis_status"].reindex(base.index).fillna("")
    out = pd.DataFrame(cols).reset_index(drop=True)
    # The gap columns next to the name, so they are on screen without scrolling sideways.
    first = ["School", "LA"] + [c for c in out.columns if c.startswith("Gap ") or c == "Change"]
    out = out[first + [c for c in out.columns if c not in first]]
    small = out[f"Disadvantaged pupils {lt}"].fillna(0) < MIN_COHORT
    out = (out.assign(_small=small).sort_values(["_small", f"Gap {lt}"], ascending=[True, False], na_position="last")
           .drop(columns="_small"))
    unit = MEASURES[f.measure].unit
    whole = all(float(v).is_integer() for c in out.columns if c.startswith(("Disadvantaged ", "Other ", "Gap "))
                for v in out[c].dropna())
    fmt = ("%.0f" if whole else "%.1f") if unit == "pp" else "%.2f"
    st.caption(f"{len(out)} schools. Gap = other − disadvantaged ({'percentage points' if unit == 'pp' else 'points'});"
               " positive = disadvantaged pupils behind. Largest gaps first; schools with fewer than "
               f"{MIN_COHORT} disadvantaged pupils in {lt} are listed after the others (too few to judge). "
               "Open a school by searching above.")
    st.dataframe(out, hide_index=True, placeholder="–", width="stretch", height=min(38 + 35 * len(out), 560),
                 column_config={c: st.column_config.NumberColumn(c, format=fmt) for c in out.columns
                                if c.startswith(("Disadvantaged ", "Other ", "Gap ", "Change")) and "pupils" not in c})
    common.download_buttons(out, f"schools_{f.ks}_{f.measure}_{f.year_from}_{f.year_to}", "this table")


# ---------------------------------------------------------------------------------------------- profile
def official(ks: str, la_code: int | None) -> pd.DataFrame:
    """LA (preferring the school files' own LA rows) and England state-funded rows, dis and oth, by measure/year."""
    df = common.query_df("""
        SELECT CASE WHEN level = 'la' THEN 'la' ELSE 'eng' END AS area, kind, measure, year, grp, value
        FROM area_results
        WHERE ks = ? AND grp IN ('dis', 'oth') AND value IS NOT NULL
          AND ((level = 'la' AND la_code = ?) OR (level = 'england' AND kind = 'england_state'))""",
                         (ks, la_code if la_code is not None else -1))
    if df.empty:
        return pd.DataFrame(columns=["area", "measure", "year", "dis", "oth"])
    df["rank"] = df["kind"].map({"la": 0, "england_state": 0, "ks4_la": 1}).fillna(2)
    df = df.sort_values("rank").drop_duplicates(["area", "measure", "year", "grp"])
    w = df.pivot_table(index=["area", "measure", "year"], columns="grp", values="value", aggfunc="first")
    return w.reindex(columns=["dis", "oth"]).reset_index()


def series(results: pd.DataFrame, off: pd.DataFrame, ks: str, measure: str) -> pd.DataFrame:
    """One row per year from first to last with any figure; years without data stay as empty rows."""
    r = results[results["measure"] == measure]
    o = off[off["measure"] == measure]
    years = set(r["year"].dropna().astype(int)) | set(o["year"].dropna().astype(int))
    if not years:
        return pd.DataFrame()
    span = pd.Index(range(min(years), max(years) + 1), name="year")
    cols = ["dis", "oth", "gap", "dis_n", "oth_n", "dis_status", "oth_status", "dis_lo", "dis_hi", "oth_lo", "oth_hi"]
    # Rows put in place by year (reindex), not merged: a profile makes this for every measure.
    parts = [r.drop_duplicates("year").set_index("year").reindex(index=span, columns=cols)]
    for area in ("la", "eng"):
        a = o[o["area"] == area].drop_duplicates("year").set_index("year").reindex(span)
        parts.append(pd.DataFrame({f"{area}_dis": a["dis"], f"{area}_oth": a["oth"],
                                   f"{area}_gap": a["oth"] - a["dis"]}, index=span))
    out = pd.concat(parts, axis=1).reset_index()
    no_data = NO_DATA_YEARS.get(ks, {})
    notes = []
    for row in out.itertuples():
        bits = []
        if row.year in no_data:
            bits.append(no_data[row.year])
        for grp, code in (("disadvantaged", row.dis_status), ("other", row.oth_status)):
            if isinstance(code, str) and code:
                bits.append(f"{grp}: {code} — {code_meaning(code)}")
        if pd.notna(row.dis) and pd.notna(row.dis_n) and row.dis_n < MIN_COHORT:
            bits.append(f"only {int(row.dis_n)} disadvantaged pupils (under {MIN_COHORT}: too few to judge)")
        if pd.isna(row.dis) and pd.isna(row.oth) and not bits:
            bits.append("no figure for this school this year")
        notes.append("; ".join(bits))
    out["note"] = notes
    return out


def charts(s: pd.DataFrame, ks: str, measure: str, la_name: str, big: bool) -> None:
    """The school's results and its gap beside the LA and England, years without comparable data shaded.

    Each figure is built in one go from dicts (traces, shaded years and the zero line as layout shapes): with
    add_trace / add_vrect / add_hline plotly validated and copied the figure at every step, and a profile draws
    two charts per measure."""
    m = MEASURES[measure]
    ticks = dict(tickmode="array", tickvals=list(s["year"]), ticktext=[year_label(int(y)) for y in s["year"]])
    layout = dict(xaxis=ticks, font=dict(size=20 if big else 14), height=430, legend=dict(orientation="h", y=-0.18),
                  margin=dict(l=80 if big else 10, r=10, t=70, b=10))
    no_data = [int(y) for y in s["year"] if int(y) in NO_DATA_YEARS.get(ks, {})]
    shaded = [dict(type="rect", x0=y - 0.45, x1=y + 0.45, xref="x", y0=0, y1=1, yref="y domain",
                   fillcolor="#bbbbbb", opacity=0.25, line=dict(width=0)) for y in no_data]
    notes = [dict(text="no data", x=y - 0.45, xref="x", y=1, yref="y domain", xanchor="left", yanchor="top",
                  showarrow=False) for y in no_data]

    def line(col: str, name: str, colour: str, dash: str, width: int, size: int) -> dict:
        """A trace; the school's own lines are solid, wider and with bigger markers."""
        return dict(type="scatter", x=s["year"], y=s[col], name=name, mode="lines+markers", connectgaps=False,
                    line=dict(color=colour, dash=dash, width=4 if dash == "solid" else width),
                    marker=dict(size=10 if dash == "solid" else size))

    res_data = []
    for col, name, colour, dash in (("dis", "Disadvantaged (school)", COLOURS["dis"], "solid"),
                                    ("oth", "Other pupils (school)", COLOURS["oth"], "solid"),
                                    ("eng_dis", "Disadvantaged (England)", COLOURS["dis"], "dot"),
                                    ("eng_oth", "Other pupils (England)", COLOURS["oth"], "dot")):
        if s[col].notna().any():
            trace = line(col, name, colour, dash, 2, 6)
            if col in ("dis", "oth") and s[f"{col}_lo"].notna().any():  # DfE's 95% confidence interval
                trace["error_y"] = dict(type="data", symmetric=False, array=(s[f"{col}_hi"] - s[col]).tolist(),
                                        arrayminus=(s[col] - s[f"{col}_lo"]).tolist(), color=colour, thickness=1.5,
                                        width=4)
            res_data.append(trace)
    res = go.Figure(data=res_data, layout=dict(
        layout, title="Disadvantaged vs other pupils", yaxis_title="%" if m.unit == "pp" else "points",
        shapes=shaded, annotations=notes))
    gap_data = [line(col, name, colour, dash, 3, 7)
                for col, name, colour, dash in (("gap", "This school", COLOURS["school"], "solid"),
                                                ("la_gap", la_name or "LA", COLOURS["la"], "dash"),
                                                ("eng_gap", "England (state-funded)", COLOURS["eng"], "dot"))
                if s[col].notna().any()]
    zero = dict(type="line", x0=0, x1=1, xref="x domain", y0=0, y1=0, yref="y", line=dict(color="#999999", width=1))
    gap = go.Figure(data=gap_data, layout=dict(
        layout, title="Gap (above 0 = disadvantaged behind)", shapes=shaded + [zero], annotations=notes,
        yaxis_title="percentage points" if m.unit == "pp" else "points"))
    c1, c2 = st.columns(2)
    theme = None if big else "streamlit"  # Streamlit's theme would override the larger meeting-mode fonts
    c1.plotly_chart(res, width="stretch", key=f"res_{measure}", theme=theme)
    c2.plotly_chart(gap, width="stretch", key=f"gap_{measure}", theme=theme)


def table_of(s: pd.DataFrame, la_name: str) -> pd.DataFrame:
    return pd.DataFrame({
        "Year": s["year"].map(lambda y: year_label(int(y))), "Disadvantaged": s["dis"], "Other pupils": s["oth"],
        "Gap": s["gap"], "Disadvantaged pupils": s["dis_n"], "Other pupils (n)": s["oth_n"],
        f"{la_name or 'LA'} gap": s["la_gap"], "England gap": s["eng_gap"], "Note": s["note"]})


def partners_section(urn: int, ks: str) -> None:
    st.header("Potential partners")
    try:
        partners = importlib.import_module("gapdata.partners")
        analytics = importlib.import_module("gapdata.analytics")
    except ImportError:
        st.info("The partner finder is not available yet.")
        return
    if f.year_to is None or ks != f.ks:
        st.info(f"Choose {common.SHORT_KS.get(ks, ks)} in the sidebar to look for partners for this school.")
        return
    try:
        a = common.analysis(ks, f.measure, f.year_from, f.year_to)
        # The analysis already holds each school's register facts: no second read (and copy) of the register.
        sch = a.schools[["urn", "name", "phase", "la_code", "easting", "northing", "town", "ofsted"]]
        found = partners.partners_for(urn, sch, analytics.partner_summary(a))
    except Exception as exc:  # noqa: BLE001 - another engineer's module: a failure must not break the profile
        st.info(f"The partner finder could not run for this school: {exc}")
        return
    msg = found.attrs.get("message", "")
    st.caption(f"Nearby schools showing best practice on {f.measure_label} ({year_label(f.year_to)}), nearest and "
               "most similar first.")
    if msg:
        st.info(msg)
    if len(found):
        show = found[[c for c in ("rank", "urn", "name", "phase", "distance_km", "gap", "reason") if c in found]]
        show = show.rename(columns={"rank": "Rank", "urn": "URN", "name": "School", "phase": "Phase",
                                    "distance_km": "Distance (km)", "gap": f"Gap {year_label(f.year_to)}",
                                    "reason": "Why this school"})
        st.dataframe(show, hide_index=True, placeholder="–", width="stretch",
                     column_config={"Why this school": st.column_config.TextColumn(width="large")})
        for r in show.itertuples():
            st.button(f"Open {r.School} (URN {r.URN})", key=f"partner_{r.URN}", on_click=_open, args=(int(r.URN),))


def profile(urn: int) -> None:
    prof = common.cached(queries.school_profile, urn)
    if prof is None:
        st.warning(f"URN {urn} is not in the store.")
        return
    sch = dict(prof["school"])
    names = common.la_names()
    la_code = sch.get("la_code")
    la_name = sch.get("la_name") or (names.get(int(la_code)) if la_code is not None else None) or ""
    sch["la_name_shown"] = f"{la_name} ({la_code})" if la_code is not None else ""
    st.button("← Back to search", on_click=_close)
    st.header(sch.get("name") or f"URN {urn}")
    bits = [f"URN {urn}", sch["la_name_shown"], sch.get("phase"), sch.get("type"),
            f"status: {sch['status']}" if sch.get("status") else None]
    st.caption(" · ".join(str(b) for b in bits if b))
    c = st.columns(4)
    c[0].metric("Ofsted", sch.get("ofsted") or "not known")
    pct = sch.get("pct_fsm")
    c[1].metric("% FSM (register)", f"{pct:.1f}%" if isinstance(pct, (int, float)) and pct == pct else "not known")
    # Long names wrap as text (a metric would cut them off).
    c[2].markdown(f"**Trust**  \n{sch.get('trust') or 'none recorded'}")
    where = ", ".join(x for x in (sch.get("town"), sch.get("postcode")) if x) or "not known"
    located = {"gias": "register", "postcode": "postcode centroid"}.get(sch.get("located_by") or "", "")
    c[3].markdown(f"**Location**  \n{where}" + (f"  \n(map position from the {located})" if located else ""))

    results = pd.DataFrame(prof["results"])
    if results.empty:
        st.info("The store has no results for this school (it may be new, closed, or outside the files loaded).")
        return
    have = list(dict.fromkeys(results["ks"]))
    ks = f.ks if f.ks in have else have[0]
    if ks != f.ks:
        st.info(f"This school has no {common.SHORT_KS.get(f.ks, f.ks)} results in the store; showing "
                f"{common.SHORT_KS.get(ks, ks)}.")
    results = results[results["ks"] == ks]
    off = official(ks, la_code)
    has = results.dropna(subset=["dis", "oth"], how="all")["measure"].unique()
    measures = [m.key for m in for_ks(ks) if m.key in has]
    if f.measure in measures:
        measures.remove(f.measure)
        measures.insert(0, f.measure)
    missing = [MEASURES[m.key].label for m in for_ks(ks) if m.key not in measures]
    st.subheader(f"{common.SHORT_KS.get(ks, ks)} results: disadvantaged vs other pupils, year by year")
    st.caption("Solid lines: this school. Dotted: England (state-funded). Dashed: the LA. Grey bands and breaks in "
               "a line are years without data — never joined up. Whiskers on progress scores: DfE's 95% confidence "
               "interval (wide when few pupils).")
    tables: dict[str, pd.DataFrame] = {}
    long = []
    if not measures:
        st.info("Every figure for this school is suppressed or missing (see the codes on About the data).")
    tabs = st.tabs([MEASURES[m].label for m in measures]) if measures else []
    for tab, m in zip(tabs, measures):
        with tab:
            s = series(results, off, ks, m)
            charts(s, ks, m, la_name, f.meeting_mode)
            t = table_of(s, la_name)
            tables[MEASURES[m].label] = t
            long.append(t.assign(Measure=MEASURES[m].label))
            value_cols = [c for c in t.columns if c in ("Disadvantaged", "Other pupils", "Gap") or c.endswith(" gap")]
            whole = all(float(v).is_integer() for c in value_cols for v in t[c].dropna())
            fmt = ("%.0f" if whole else "%.1f") if MEASURES[m].unit == "pp" else "%.2f"
            if f.meeting_mode:  # an HTML table scales with the meeting-mode type; the data grid does not
                shown = t.copy()
                for c in t.columns:
                    if c != "Year" and c != "Note":
                        shown[c] = [("–" if pd.isna(v) else (fmt % v if c in value_cols else f"{int(v)}"))
                                    for v in t[c]]
                st.table(shown.set_index("Year"))
            else:
                st.dataframe(t, hide_index=True, placeholder="–", width="stretch", column_config={
                    col: st.column_config.NumberColumn(col, format=fmt) for col in value_cols} | {
                    "Note": st.column_config.TextColumn("Note", width="large")})
    if missing:
        st.caption("No figures for this school: " + "; ".join(missing) + ".")

    st.subheader("History")
    links = prof["links"]
    if not links:
        loaded = not common.query_df("SELECT 1 FROM school_links LIMIT 1").empty
        st.markdown("No predecessor or successor school is recorded for this school" + (
            " in the register links loaded." if loaded else
            " (academy conversions appear here when the GIAS links file is loaded)."))
    else:
        st.markdown("Results before an academy conversion or merger are held under the earlier school's URN. "
                    "Open a linked school to see its years:")
    for ln in links:
        lu = int(ln.get("link_urn"))
        yrs = common.query_df("SELECT min(year) AS y0, max(year) AS y1 FROM school_results WHERE urn = ? "
                              "AND value IS NOT NULL", (lu,)).iloc[0]
        span = (f"results {year_label(int(yrs['y0']))}–{year_label(int(yrs['y1']))}" if pd.notna(yrs["y0"])
                else "no results in the store")
        label = f"{ln.get('link_type') or 'Linked'}: {ln.get('link_name') or 'URN ' + str(lu)} (URN {lu})"
        if ln.get("link_date"):
            label += f", {ln['link_date']}"
        st.button(f"{label} · {span}", key=f"link_{lu}", on_click=_open, args=(lu,), help=f"Opens ?urn={lu}")

    partners_section(urn, ks)

    st.subheader("Download this profile")
    if long:
        flat = pd.concat(long, ignore_index=True)
        flat.insert(0, "URN", urn)
        flat.insert(1, "School", sch.get("name"))
        c1, c2, _ = st.columns([1, 1, 2])
        c1.download_button("⬇ Profile CSV", flat.to_csv(index=False).encode("utf-8"), file_name=f"school_{urn}.csv",
                           mime="text/csv", key="dl_profile_csv")
        page = common.printable_profile(sch, common.SHORT_KS.get(ks, ks), tables, common.status_text())
        c2.download_button("⬇ Printable profile (HTML)", page.encode("utf-8"), file_name=f"school_{urn}.html",
                           mime="text/html", key="dl_profile_html")


urn = _urn_from_url()
if urn is not None:
    profile(urn)
else:
    search_section()
    selection_table()
