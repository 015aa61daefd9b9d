"""About the data: what is loaded, what every figure means, what was read and rejected, licences."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from gapdata.criteria import load_criteria
from gapdata.measures import KEY_STAGES, MEASURES, NO_DATA_YEARS, year_label
from gapdata.values import KNOWN_CODES
from pages import common

st.title("About the data")


def _h(rows: int) -> int:
    """A table height that shows every row (no inner scrolling for short reference tables)."""
    return 38 + 35 * rows

# ---------------------------------------------------------------------------------------------- coverage
st.header("What is loaded")
cov = common.query_df("""
    SELECT r.la_code, r.ks, r.year, count(DISTINCT r.urn) AS schools
    FROM school_results r WHERE r.grp = 'dis' AND r.value IS NOT NULL
    GROUP BY r.la_code, r.ks, r.year ORDER BY r.la_code, r.ks, r.year""")
if cov.empty:
    st.info("The store has no school-level results: load KS2/KS4 performance-table files (ks2final/ks4final CSVs) "
            "into the raw-data folder and rebuild the store with `python -m gapdata build`.")
else:
    names = common.la_names()
    cov["LA"] = cov["la_code"].map(lambda c: f"{names.get(int(c), c)} ({int(c)})")
    cov["Key stage"] = cov["ks"].map(common.SHORT_KS)
    wide = cov.assign(Year=cov["year"].map(year_label)).pivot_table(
        index=["LA", "Key stage"], columns="Year", values="schools", aggfunc="sum").reset_index()
    wide.columns.name = None
    for c in wide.columns[2:]:
        wide[c] = wide[c].map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    st.markdown("Schools with a published disadvantaged figure, by LA, key stage and year "
                "(blank = no file loaded for that year):")
    st.dataframe(wide, hide_index=True, placeholder="–", width="stretch")
area = common.query_df("""
    SELECT level, kind, ks, count(DISTINCT coalesce(area_code, area_name)) AS areas, min(year) AS y0, max(year) AS y1,
           count(DISTINCT measure) AS measures
    FROM area_results WHERE value IS NOT NULL GROUP BY level, kind, ks ORDER BY ks, level, kind""")
if not area.empty:
    area["years"] = [year_label(int(a)) + ("" if a == b else f"–{year_label(int(b))}") for a, b in
                     zip(area["y0"], area["y1"])]
    st.markdown("Official area figures (LA, region, England, ITL2, district) used for comparison:")
    area["ks"] = area["ks"].map(lambda k: common.SHORT_KS.get(k, k.upper()))
    area = area[["ks", "level", "kind", "areas", "measures", "years"]].rename(columns={
        "ks": "Key stage", "level": "Level", "kind": "Source kind", "areas": "Areas", "measures": "Measures",
        "years": "Years"})
    st.dataframe(area, hide_index=True, placeholder="–", width="stretch")

# ---------------------------------------------------------------------------------------------- definitions
st.header("Definitions")
crit = load_criteria()
st.markdown(f"""
- **Disadvantaged pupils** are DfE's *FSM6CLA1A* group: pupils eligible for free school meals at any time in the
  last six years, children looked after by an LA, and children adopted from care. **Other pupils** are everyone
  else in the same school or area.
- **Gap** = other pupils' result − disadvantaged pupils' result, in the measure's own units (percentage points
  for percentages, points for scores). A **positive gap means disadvantaged pupils are behind**.
- **Change** = gap in the later year − gap in the earlier year. A positive change means the gap grew.
- **Widening** (or narrowing) is called only when the change is statistically credible given the cohort sizes:
  |change| / standard error > {crit.z_threshold:g} and |change| ≥ {crit.min_change:g} in the measure's units.
  Standard errors come from the pupil counts (binomial for percentages, DfE's confidence limits for progress
  scores, an approximate pupil-level spread for average scores). Smaller moves are *no clear change*.
- A school or area needs at least **{crit.min_disadvantaged_cohort} disadvantaged pupils** in both years
  (Ofsted's reporting threshold); otherwise it is *too small to say*.
- Area figures are **pupil-weighted** from school figures (Σ value × pupils / Σ pupils), never the mean of
  school percentages. Where DfE publishes the LA's own figure, it is shown beside ours.
- Years are academic years named by the year they end: 2019 = 2018/19.
""")
rows = [{"Key stage": KEY_STAGES.get(m.ks, m.ks), "Measure": m.label, "Code": m.key,
         "Units": {"pp": "percentage points", "points": "points", "score": "score"}.get(m.unit, m.unit),
         "Headline": "yes" if m.headline else ""} for m in MEASURES.values()]
st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="–", width="stretch", height=_h(len(rows)))
st.subheader("Years without comparable results")
nd = [{"Key stage": KEY_STAGES.get(ks, ks), "Year": year_label(y), "Why": why}
      for ks, years in NO_DATA_YEARS.items() for y, why in sorted(years.items())]
st.markdown("These years are shown as gaps in every chart — never joined up or filled in — and cannot be chosen "
            "as a comparison year.")
st.dataframe(pd.DataFrame(nd), hide_index=True, placeholder="–", width="stretch")

st.subheader("Suppression and missing-value codes")
st.markdown("A code in a results file means *missing, with a reason*. It is kept as the status and the value is "
            "left empty — **a suppressed figure is never counted as 0**.")
codes = pd.DataFrame([{"Code": k, "Meaning": v} for k, v in KNOWN_CODES.items()])
st.dataframe(codes, hide_index=True, placeholder="–", width="stretch", height=_h(len(KNOWN_CODES)))

# ---------------------------------------------------------------------------------------------- sources
st.header("Files read")
src = common.query_df("""SELECT file, left(sha256, 12) AS sha256, kind, years, rows_read, rows_loaded,
                                rows_rejected, status, message FROM sources
                         WHERE status <> 'ignored' ORDER BY status, file""")
ignored = int(common.query_df("SELECT count(*) AS n FROM sources WHERE status = 'ignored'")["n"].iloc[0])
st.markdown(f"{(src['status'] == 'loaded').sum()} files loaded, {(src['status'] == 'skipped').sum()} skipped "
            f"with a reason, {ignored} not data (documentation, field guides).")
st.dataframe(src, hide_index=True, placeholder="–", width="stretch", column_config={
    "file": st.column_config.TextColumn("File", width="large"),
    "sha256": st.column_config.TextColumn("SHA-256 (start)"),
    "years": "Years", "rows_read": "Rows read", "rows_loaded": "Loaded", "rows_rejected": "Rejected",
    "message": st.column_config.TextColumn("Notes", width="large")})
common.download_buttons(src, "sources", "files read")

st.subheader("Rejected rows")
rej = common.query_df('SELECT file, line, "column", value, reason FROM rejects ORDER BY file, line')
if rej.empty:
    st.markdown("No rows were rejected.")
else:
    summary = (rej.groupby(["file", "reason"], as_index=False).size().rename(columns={"size": "rows"})
               .sort_values(["file", "rows"], ascending=[True, False]))
    st.markdown(f"{len(rej)} rows could not be used. Each is listed with its file, line and reason — none is "
                "dropped silently.")
    st.dataframe(summary, hide_index=True, placeholder="–", width="stretch",
                 column_config={"reason": st.column_config.TextColumn("Reason", width="large")})
    common.download_buttons(rej, "rejects", "all rejected rows")

# ---------------------------------------------------------------------------------------------- licences
st.header("Licences and attribution")
st.markdown("""
- School and LA results, the register of schools (GIAS), pupil premium and LA-level statistics: Department for
  Education, published under the [Open Government Licence v3.0](https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).
- Contains OS data © Crown copyright and database right. Postcode locations from OS Code-Point Open: contains Royal
  Mail data © Royal Mail copyright and database right; contains National Statistics data © Crown copyright and
  database right.
- Boundaries: Office for National Statistics, contains OS data © Crown copyright and database right (OGL v3.0).
- Social mobility indicators: Social Mobility Commission, State of the Nation (OGL v3.0), derived from DfE data.
- gapwatch computes gaps, changes and classifications from these figures; they are not official statistics.
""")
