"""The board's charts: the gap over time per area and the funnel plot, each built once per selection.

They live here, not in pages/board.py, so that their st.cache_resource wrappers are made once per process:
a page file runs again on every rerun, and re-decorating a cached function re-hashes its code each time.
Figures are shared between reruns and sessions: never modified after they are built.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from gapdata import trends
from gapdata.measures import NO_DATA_YEARS, year_label
from pages import maplayers as ml

CHART_MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


def trend_frame(series: pd.DataFrame, key: str, names: dict, ks: str) -> pd.DataFrame:
    """area, year, gap with a missing gap for every year without data or without comparable results, so lines
    break instead of joining across them. (Filled by position: a pivot table took 8 ms of each change.)"""
    if series.empty:
        return pd.DataFrame(columns=["area", "year", "gap"])
    year = series["year"].to_numpy(int)
    years = np.arange(year.min(), year.max() + 1)
    keys, row = np.unique(series[key].to_numpy(), return_inverse=True)
    wide = np.full((len(keys), len(years)), np.nan)
    first = np.unique(row * len(years) + (year - years[0]), return_index=True)[1]  # the first row of a key-year
    wide[row[first], year[first] - years[0]] = series["gap"].to_numpy(float, na_value=np.nan)[first]
    wide[:, np.isin(years, list(NO_DATA_YEARS.get(ks, {})))] = np.nan
    area = [names.get(k, str(k)) for k in keys]
    return pd.DataFrame({"area": np.repeat(np.array(area, dtype=object), len(years)),
                         "year": np.tile(years, len(keys)), "gap": wide.ravel()})


@st.cache_resource(max_entries=16, show_spinner=False)
def trend_figure(key: tuple, area_key: str, ks: str, _series: pd.DataFrame, _names: dict, _england: pd.DataFrame,
                 big: bool, u: str) -> tuple[go.Figure, list[int]]:
    """The trend chart and the years it spans, built once per selection and choice of areas (`key`): the
    frame and plotly's figure building were a third of the board's rerun. Shared between reruns: never
    modified after it is built."""
    tf = trend_frame(_series, area_key, _names, ks)
    # Traces as dicts and one Figure call: plotly validates them once rather than copying the figure per trace.
    data = [{"type": "scatter", "x": [year_label(y) for y in g["year"]], "y": g["gap"], "name": str(area),
             "mode": "lines+markers", "connectgaps": False} for area, g in tf.groupby("area")]
    if len(_england) and len(tf):
        e = _england.set_index("year")["gap"]
        ys = sorted(tf["year"].unique())
        data.append({"type": "scatter", "x": [year_label(y) for y in ys], "y": [e.get(y) for y in ys],
                     "name": "England", "mode": "lines+markers", "connectgaps": False,
                     "line": {"dash": "dash", "color": "#555"}})
    fig = go.Figure(data=data, layout={
        "height": 460 if big else 360, "font": {"size": 20 if big else 14}, "margin": CHART_MARGIN,
        "yaxis_title": f"Gap ({u}, other − disadvantaged)", "legend": {"orientation": "h", "y": -0.2}})
    return fig, sorted(int(y) for y in tf["year"].unique())


@st.cache_resource(max_entries=16, show_spinner=False)
def funnel_figure(key: tuple, _schools: pd.DataFrame, big: bool, u: str) -> tuple[go.Figure | None, int, int, int]:
    """The funnel plot and its counts (outside 95%, outside 99.8%, schools), built once per selection (`key`)."""
    pts, lim = trends.funnel(_schools)
    if pts.empty:
        return None, 0, 0, 0
    data = []
    for name, colour, dash in (("99.8% limits", "#444", "dot"), ("95% limits", "#888", "dash")):
        tag = "998" if name.startswith("99") else "95"
        for side in ("lo", "hi"):
            data.append({"type": "scatter", "x": lim["cohort"], "y": lim[f"{side}{tag}"], "mode": "lines",
                         "name": name, "line": {"color": colour, "dash": dash}, "showlegend": side == "lo"})
    data.append({"type": "scatter", "x": lim["cohort"], "y": lim["centre"], "mode": "lines", "name": "Average change",
                 "line": {"color": "#000", "width": 1}})
    pts = pts.assign(cls=ml.school_class(pts))
    for cls in ml.CLASS_COLOURS:
        g = pts[pts["cls"] == cls]
        if g.empty:
            continue
        data.append({"type": "scatter", "x": g["cohort"], "y": g["change"], "mode": "markers",
                     "name": ml.CLASS_LABELS[cls], "text": g["name"],
                     "marker": {"color": ml.hex_of(ml.CLASS_COLOURS[cls]), "size": 10 if big else 8,
                                "line": {"color": "#222", "width": 0.6}},
                     "hovertemplate": "%{text}<br>cohort %{x:.0f}, change %{y:.1f}"})
    fig2 = go.Figure(data=data, layout={
        "height": 520 if big else 420, "font": {"size": 20 if big else 14}, "margin": CHART_MARGIN,
        "xaxis_title": "Disadvantaged pupils (mean of the two years)",
        "yaxis_title": f"Change in gap ({u}); up = widening", "legend": {"orientation": "h", "y": -0.25}})
    return fig2, int(pts["outside95"].sum()), int(pts["outside998"].sum()), len(pts)
