"""Shared UI for every page: the store connection, ONE set of sidebar filters bound to the URL, the status
line, and download buttons.

Caching lives here, at the page edge (never in gapdata/): every cached query is keyed by the store's path,
modification time and size, so a rebuilt store is picked up without restarting the app.
"""
from __future__ import annotations

import html
import importlib
import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import streamlit as st
from rapidfuzz import fuzz, process, utils

from gapdata.measures import KEY_STAGES, MEASURES, NO_DATA_YEARS, for_ks, headline, year_label
from gapdata.paths import raw_dir, store_path
from gapdata.store import connect

ALL_LAS = "All LAs in the store"
ALL = "All"
SHORT_KS = {"ks2": "KS2", "ks4": "KS4"}

# Filter -> URL query parameter.
PARAM = {"preset": "preset", "subregion": "sub", "la": "la", "group": "group", "ks": "ks", "measure": "measure",
         "year_from": "from", "year_to": "to", "meeting": "meeting"}


@dataclass
class Filters:
    """What the sidebar selects. `la_codes` is the effective list of LAs (all LAs of the preset/sub-region when
    no LA is picked); `group` is None for all liaison groups; years are None when the store has none."""

    preset: str
    subregion: str | None
    la_codes: list[int]
    group: str | None
    ks: str
    measure: str
    year_from: int | None
    year_to: int | None
    meeting_mode: bool
    la_picked: list[int] = field(default_factory=list)
    la_names: dict[int, str] = field(default_factory=dict)

    @property
    def measure_label(self) -> str:
        return MEASURES[self.measure].label

    def selection_label(self) -> str:
        """'Testshire, Sampleton' / 'South West: Devon' — for sentences about the selection."""
        if self.la_picked or (self.subregion is None and self.preset == ALL_LAS):
            names = [self.la_names.get(c, str(c)) for c in self.la_codes]
            if not names:
                return "the selected LAs"
            return ", ".join(names) if len(names) <= 4 else f"{len(names)} LAs"
        return f"{self.preset}: {self.subregion}" if self.subregion else self.preset


# ------------------------------------------------------------------------------------------------ the store
def store_file() -> Path:
    return store_path()


def store_key() -> str:
    """Path, mtime and size of the store: the cache key that makes a rebuilt store visible."""
    p = store_file()
    s = p.stat()
    return f"{s.st_mtime_ns}:{s.st_size}:{p}"


# Every connection and session cursor handed out, by store version. DuckDB shares one open database per file
# path within a process, so a rebuilt store (a new file at the same path) is only seen once every handle on the
# old file is closed: a new store version closes the old version's handles.
_HANDLES: dict[str, list[duckdb.DuckDBPyConnection]] = {}
_HANDLES_LOCK = threading.Lock()


@st.cache_resource(max_entries=1, show_spinner=False)
def _connection(key: str) -> duckdb.DuckDBPyConnection:
    """One read-only DuckDB connection per store version, shared by every session."""
    with _HANDLES_LOCK:
        for old in [k for k in _HANDLES if k != key]:
            for handle in _HANDLES.pop(old):
                try:
                    handle.close()
                except duckdb.Error:
                    pass
        con = connect(key.split(":", 2)[2], read_only=True)
        _HANDLES.setdefault(key, []).append(con)
    return con


@contextmanager
def _cursor(key: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived cursor for one cached computation, closed afterwards."""
    cur = _connection(key).cursor()
    try:
        yield cur
    finally:
        cur.close()


def get_con() -> duckdb.DuckDBPyConnection | None:
    """This session's cursor on the shared read-only connection, or None when there is no store."""
    if not store_file().exists():
        return None
    key = store_key()
    held = st.session_state.get("_gw_cursor")
    if held is not None and held[0] == key:
        try:
            held[1].execute("SELECT 1")
            return held[1]
        except duckdb.Error:  # closed because another store version was opened in between
            pass
    cur = _connection(key).cursor()
    with _HANDLES_LOCK:
        _HANDLES.setdefault(key, []).append(cur)
    st.session_state["_gw_cursor"] = (key, cur)
    return cur


@st.cache_data(show_spinner=False, max_entries=256)
def _query(key: str, sql: str, params: tuple) -> pd.DataFrame:
    with _cursor(key) as cur:
        return cur.execute(sql, list(params)).fetchdf()


def query_df(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """A parameterised query on the store, cached until the store changes."""
    return _query(store_key(), sql, tuple(params))


@st.cache_data(show_spinner=False, max_entries=64)
def _call(key: str, module: str, name: str, args: tuple, kwargs: tuple) -> Any:
    fn = getattr(importlib.import_module(module), name)
    with _cursor(key) as cur:
        return fn(cur, *args, **dict(kwargs))


def cached(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """`fn(con, *args, **kwargs)` for a gapdata function, cached until the store changes."""
    return _call(store_key(), fn.__module__, fn.__name__, args, tuple(sorted(kwargs.items())))


# The analysis and its area figures are shared, not copied (st.cache_resource): unpickling a copy on every hit
# cost 20-40 ms each time a page read it at England scale. Pages and gapdata only derive new frames from them
# (pandas copy-on-write); nothing may assign into them.
@st.cache_resource(show_spinner=False, max_entries=12)
def _loaded(key: str, ks: str, measure: str, la_codes: tuple | None) -> Any:
    """analytics.load, kept apart from the years: changing them does not read the store (nor unpickle a copy
    of the panel, as st.cache_data would on every hit)."""
    from gapdata import analytics

    with _cursor(key) as cur:
        return analytics.load(cur, ks, measure, list(la_codes) if la_codes is not None else None)


@st.cache_resource(show_spinner=False, max_entries=32)
def _analysis(key: str, ks: str, measure: str, year_from: int, year_to: int, la_codes: tuple | None) -> Any:
    from gapdata import analytics

    return analytics.judge(_loaded(key, ks, measure, la_codes), year_from, year_to)


def las_key(la_codes: Iterable[int] | None) -> tuple[int, ...] | None:
    """LA codes as a cache key: sorted ints (None = every LA)."""
    return tuple(sorted(int(c) for c in la_codes)) if la_codes is not None else None


def analysis(ks: str, measure: str, year_from: int, year_to: int, la_codes: Iterable[int] | None = None) -> Any:
    """analytics.analyse for the selection, cached in two steps: the measure's data (analytics.load) per key
    stage, measure and LAs, and the judgement per pair of years, so changing the years does not read the store."""
    return _analysis(store_key(), ks, measure, int(year_from), int(year_to), las_key(la_codes))


@st.cache_resource(show_spinner=False, max_entries=64)
def _area_figures(key: str, args: tuple, la_codes: tuple | None, membership: pd.DataFrame, area_key: str) -> tuple:
    from gapdata import analytics

    return analytics.area_figures(_analysis(key, *args, la_codes), membership, area_key)


def area_figures(analysis_args: tuple, la_codes: Iterable[int] | None, membership: pd.DataFrame,
                 area_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """analytics.area_figures of `analysis(*analysis_args, la_codes)`, cached: a rerun that changes nothing, or
    only the view, does not aggregate again."""
    return _area_figures(store_key(), tuple(analysis_args), las_key(la_codes), membership, area_key)


@st.cache_resource(show_spinner=False, max_entries=32)
def _selection_figures(key: str, args: tuple, la_codes: tuple | None, digest: str, _urns: list[int]) -> pd.Series:
    from gapdata import analytics

    return analytics.selection_figures(_analysis(key, *args, la_codes), _urns)


def selection_figures(analysis_args: tuple, la_codes: Iterable[int] | None, digest: str,
                      urns: list[int]) -> pd.Series:
    """analytics.selection_figures of `analysis(*analysis_args, la_codes)` for the schools `urns`, cached per
    `digest` (which identifies the analysis and those schools; the list itself is not hashed)."""
    return _selection_figures(store_key(), tuple(analysis_args), las_key(la_codes), digest, urns)


@st.cache_resource(max_entries=8, show_spinner=False)
def _school_points(key: str, digest: str, unit: str, year_from: int, year_to: int, _schools: pd.DataFrame) -> Any:
    from pages import maplayers as ml

    return ml.PreEncoded(ml.school_point_records(_schools, unit, year_from, year_to))


def school_points_records(digest: str, unit: str, year_from: int, year_to: int, schools: pd.DataFrame) -> Any:
    """maplayers.school_points as PreEncoded records, shared (not copied) between reruns and sessions: read-only.
    `digest` identifies `schools` (the analysis and the URNs kept), which is not hashed itself."""
    return _school_points(store_key(), digest, unit, int(year_from), int(year_to), schools)


def build_panel() -> None:
    """No store: say which command builds it, and offer to build it here with visible progress."""
    p, raw = store_file(), raw_dir()
    st.title("gapwatch — disadvantage gaps")
    st.error(f"There is no data store yet at `{p}`.")
    st.markdown(
        "Build it from the folder of official files with **`make run`** (builds the store, then starts the app) or:\n\n"
        f"```\npython -m gapdata build --raw {raw} --store {p}\n```")
    if not raw.is_dir():
        st.warning(f"The raw-data folder `{raw}` does not exist: set GAPDATA_RAW or pass --raw to the command above.")
        return
    if st.button(f"Build the store now from {raw}", type="primary"):
        from gapdata.build import BuildError, build_store

        files = [f for f in raw.rglob("*") if f.is_file()]
        with st.status("Building the store…", expanded=True) as status:
            bar = st.progress(0.0)
            seen = [0]

            def progress(path: Path) -> None:
                seen[0] += 1
                bar.progress(min(seen[0] / max(len(files), 1), 1.0), text=f"Reading {path.name}")

            try:
                report = build_store(raw, p, progress=progress)
            except BuildError as exc:
                status.update(label=f"Build failed: {exc}", state="error")
                return
            loaded = sum(f.status == "loaded" for f in report.files)
            status.update(label=f"Store built: {loaded} files loaded in {report.seconds:.1f} s", state="complete")
        st.button("Open the dashboard")


# ------------------------------------------------------------------------------------------------ store facts
@dataclass(frozen=True)
class StoreFacts:
    """What the sidebar and the status line need to know about a store on every run, read once per store."""

    key_stages: tuple[str, ...]  # with disadvantaged school results, in KEY_STAGES order
    years: dict[str, tuple[int, ...]]  # per key stage, every year with disadvantaged school results
    las: tuple[int, ...]  # LAs with school-level results
    la_names: dict[int, str]
    status: str  # the status line


@st.cache_resource(show_spinner=False, max_entries=4)
def _facts(key: str) -> StoreFacts:
    """Read once per store version and shared by every run and session (read-only): the filters asked the
    store's cache a dozen small questions per run, each a hash and an unpickled copy."""
    with _cursor(key) as cur:
        ky = cur.execute("SELECT ks, year FROM school_results WHERE grp = 'dis' AND value IS NOT NULL "
                         "GROUP BY ks, year ORDER BY ks, year").fetchall()
        las = [int(r[0]) for r in cur.execute(
            "SELECT DISTINCT la_code FROM school_results WHERE la_code IS NOT NULL ORDER BY la_code").fetchall()]
        names = cur.execute("""
            SELECT la_code, coalesce(any_value(n1), any_value(n2), any_value(n3)) AS name FROM (
                SELECT la_code, name AS n1, NULL AS n2, NULL AS n3 FROM la_codes
                UNION ALL SELECT la_code, NULL, la_name, NULL FROM schools WHERE la_name IS NOT NULL
                UNION ALL SELECT la_code, NULL, NULL, area_name FROM area_results
                    WHERE level = 'la' AND la_code IS NOT NULL AND area_name IS NOT NULL)
            WHERE la_code IS NOT NULL GROUP BY la_code""").fetchall()
        files = cur.execute("""
            SELECT count(*) FILTER (WHERE status = 'loaded' AND kind IN ('ks2final', 'ks4final')),
                   count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'skipped')
            FROM sources""").fetchone()
    years: dict[str, tuple[int, ...]] = {}
    for ks, year in ky:
        years[ks] = years.get(ks, ()) + (int(year),)
    la_name = {int(c): str(n or c) for c, n in names}
    return StoreFacts(tuple(k for k in KEY_STAGES if k in years), years, tuple(las), la_name,
                      _status(years, las, la_name, files))


def _status(years: dict[str, tuple[int, ...]], las: list[int], names: dict[int, str], files: tuple) -> str:
    """'School results: Hampshire, Surrey · KS2 2016/17–2018/19 · KS4 2015/16–2018/19 · 11 files · …'."""
    if not las:
        head = "School results: none loaded"
    else:
        shown = [names.get(c, str(c)) for c in las]
        head = "School results: " + (", ".join(shown) if len(shown) <= 6 else f"{len(shown)} LAs")
    parts = [head]
    for ks in sorted(years):
        y0, y1 = years[ks][0], years[ks][-1]
        parts.append(f"{SHORT_KS.get(ks, ks)} {year_label(y0)}" + ("" if y0 == y1 else "–" + year_label(y1)))
    results, loaded, skipped = (int(x) for x in files)
    parts.append(f"{results} files")
    if loaded - results:
        parts.append(f"LA/national context: {loaded - results} files")
    if skipped:
        parts.append(f"{skipped} files skipped (see About the data)")
    return " · ".join(parts)


def store_facts() -> StoreFacts:
    return _facts(store_key())


def store_key_stages(facts: StoreFacts | None = None) -> list[str]:
    return list((facts or store_facts()).key_stages) or list(KEY_STAGES)


def store_years(ks: str, facts: StoreFacts | None = None) -> list[int]:
    """Years with disadvantaged school-level results for a key stage, without years that are not comparable."""
    return [y for y in (facts or store_facts()).years.get(ks, ()) if y not in NO_DATA_YEARS.get(ks, {})]


def unavailable_years(ks: str, years: list[int]) -> dict[int, str]:
    """Years inside the store's span (or just after it) that have no comparable results, with the reason."""
    if not years:
        return {}
    return {y: why for y, why in NO_DATA_YEARS.get(ks, {}).items() if min(years) <= y <= max(years) + 3}


def la_names() -> dict[int, str]:
    """DfE LA code -> name, from the LA-code table, the register or the official LA rows (whichever has it)."""
    return dict(store_facts().la_names)


def store_las() -> list[int]:
    """LAs with school-level results in the store."""
    return list(store_facts().las)


def _regions() -> Any | None:
    try:
        return importlib.import_module("geo.regions")
    except Exception:  # noqa: BLE001 - another engineer's module: absent or not ready means "no presets"
        return None


@st.cache_data(show_spinner=False)
def _presets() -> dict[str, Any]:
    mod = _regions()
    if mod is None:
        return {}
    try:
        return dict(mod.load_presets())
    except Exception:  # noqa: BLE001
        return {}


@st.cache_data(show_spinner=False, max_entries=64)
def _preset_members(key: str, preset: str, year: int) -> pd.DataFrame:
    """DataFrame[urn, subregion, la_code] of the store's schools inside a preset in `year`."""
    from gapdata import membership

    mod = _regions()
    presets = _presets()
    if mod is None or preset not in presets:
        return pd.DataFrame(columns=["urn", "subregion", "la_code"])
    try:
        resolved = mod.resolve(presets[preset], year)
    except Exception:  # noqa: BLE001 - e.g. no boundary files for that year: the sidebar says why
        return pd.DataFrame(columns=["urn", "subregion", "la_code"])
    with _cursor(key) as con:
        members = membership.subregion_membership(con, resolved, year)
        las = con.execute("SELECT urn, la_code FROM schools").fetchdf()
    return members.merge(las, on="urn", how="left")


@st.cache_data(show_spinner=False, max_entries=64)
def _preset_problem(preset: str, year: int) -> str:
    """Why a preset cannot be resolved for a year ('' when it can)."""
    mod, presets = _regions(), _presets()
    if mod is None or preset not in presets:
        return "no such preset"
    try:
        mod.resolve(presets[preset], year)
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    return ""


def _liaison() -> Any | None:
    try:
        mod = importlib.import_module("geo.liaison")
        return mod if hasattr(mod, "derive_groups_each_la") else None
    except Exception:  # noqa: BLE001
        return None


LIAISON_ENV = "GAPWATCH_LIAISON"


def liaison_file() -> Path | None:
    """The user's liaison-groups CSV ($GAPWATCH_LIAISON, else config/liaison_groups.csv), or None."""
    env = os.environ.get(LIAISON_ENV)
    p = Path(env) if env else Path(__file__).resolve().parents[1] / "config" / "liaison_groups.csv"
    return p if p.is_file() else None


@st.cache_resource(show_spinner=False, max_entries=4)
def _groups(key: str, groups_file: str | None = None, file_version: int = 0) -> pd.DataFrame:
    """DataFrame[urn, group, derived, la_code] for every LA with school results: the user's liaison groups (CSV)
    for the LAs it covers; for the other LAs, groups derived by geo.liaison from the schools' locations (marked
    derived). `attrs['problems']` lists the CSV's problems (file, line, column, reason).

    Made once per store for all its LAs (0.15 s for 150 LAs), so a group's name does not depend on which LAs
    are selected; shared between sessions (st.cache_resource): read-only. `file_version` (the CSV's modification
    time) is only part of the cache key, so an edited file is read again."""
    mod = _liaison()
    empty = pd.DataFrame(columns=["urn", "group", "derived", "la_code"])
    if mod is None:
        return empty
    with _cursor(key) as cur:
        register = cur.execute("SELECT urn, la_code, easting, northing, district_name, town FROM schools").fetchdf()
    facts = _facts(key)
    sch = register[register["la_code"].isin(set(facts.las))]
    if sch.empty:
        return empty
    parts, problems = [], []
    if groups_file:
        try:
            given, rejects = mod.read_groups(Path(groups_file), register)
            problems = [f"{Path(r.file).name} line {r.line}" + (f", column {r.column}" if r.column else "")
                        + f": {r.reason}" for r in rejects]
            given = given[given["urn"].isin(set(sch["urn"]))]
            parts.append(given.assign(derived=False)[["urn", "group", "derived"]])
        except Exception as exc:  # noqa: BLE001 - a SourceError names the file: shown in the sidebar
            problems = [str(exc)]
    covered = set(sch.loc[sch["urn"].isin(set(parts[0]["urn"])), "la_code"]) if parts else set()
    rest = sch[~sch["la_code"].isin(covered) & sch["easting"].notna()]
    try:
        parts.append(mod.derive_groups_each_la(rest, la_names=facts.la_names)[["urn", "group", "derived"]])
    except Exception as exc:  # noqa: BLE001
        problems.append(f"groups could not be derived: {exc}")
    out = pd.concat(parts, ignore_index=True) if parts else empty
    out = out.astype({"group": str, "derived": bool}).merge(sch[["urn", "la_code"]], on="urn", how="left")
    out.attrs["problems"] = problems
    return out


def groups_for(la_codes: list[int] | tuple[int, ...]) -> pd.DataFrame:
    """Liaison groups of the schools in these LAs (user CSV where given, else derived); see _groups."""
    f = liaison_file()
    groups = _groups(store_key(), str(f) if f else None, f.stat().st_mtime_ns if f else 0)  # an edit is seen
    return groups[groups["la_code"].isin(set(la_codes))]  # attrs (the CSV's problems) go with the rows


def selection_urns(f: Filters) -> set[int] | None:
    """Schools inside the selected sub-region and liaison group; None when neither narrows the LA selection."""
    urns: set[int] | None = None
    if f.subregion and f.preset != ALL_LAS:
        m = _preset_members(store_key(), f.preset, int(f.year_to or 0))
        urns = set(m.loc[m["subregion"] == f.subregion, "urn"].astype(int))
    g = group_members(f)
    if g is not None:
        gs = set(g["urn"].astype(int))
        urns = gs if urns is None else urns & gs
    return urns


@st.cache_resource(show_spinner=False, max_entries=4)
def _default_preset(key: str) -> str:
    """The first preset that holds LAs with school results in the store, else all LAs (once per store: it
    resolves presets until one matches)."""
    facts = _facts(key)  # the store this cache entry is for (not whichever store_key() returns now)
    las = set(facts.las)
    years = store_years(store_key_stages(facts)[0], facts)
    for name in _presets():
        m = _preset_members(key, name, years[-1] if years else 0)
        if las & {int(c) for c in m["la_code"].dropna()}:
            return name
    return ALL_LAS


def group_members(f: Filters) -> pd.DataFrame | None:
    """DataFrame[urn, group] for the selected liaison group, or None when no group is selected."""
    if f.group is None:
        return None
    g = groups_for(f.la_codes)
    return g[g["group"] == f.group]


# ------------------------------------------------------------------------------------------------ filters
def _url(name: str) -> str | None:
    v = st.query_params.get(PARAM[name])
    return None if v is None else str(v)


def _choose(key: str, name: str, options: list, default: Any, parse: Callable[[str], Any], first: bool,
            warn: list[str], what: str, fmt: Callable[[Any], str] = str, why: Callable[[Any], str] | None = None):
    """Put a valid value in st.session_state[key] before its widget is drawn.

    First run of a session: from the URL when valid, else the default with a warning naming the parameter.
    Later runs: keep the widget's value while it is still an option (options change with other filters).
    """
    if first:
        raw = _url(name)
        value = default
        if raw is not None and raw != "":
            try:
                parsed = parse(raw)
            except (ValueError, TypeError):
                parsed = object()
            if parsed in options:
                value = parsed
            else:
                reason = why(parsed) if why else ""
                warn.append(f"The link's {what} `{PARAM[name]}={raw}` is not available"
                            f"{' (' + reason + ')' if reason else ''}: showing {fmt(default)} instead.")
        st.session_state[key] = value
    elif st.session_state.get(key) not in options:
        st.session_state[key] = default


def _year_default_from(years: list[int], year_to: int | None) -> int | None:
    if year_to is None:
        return None
    earlier = [y for y in years if y < year_to]
    if not earlier:
        return year_to
    return next((y for y in reversed(earlier) if y <= year_to - 2), earlier[0])


MEETING_CSS = """<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 22px; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem; }
[data-testid="stCaptionContainer"] { font-size: 1.05rem; }
h1 { font-size: 2.6rem !important; } h2 { font-size: 2.0rem !important; } h3 { font-size: 1.6rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p, [data-testid="stMetricValue"] div {
  font-size: 2.4rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.2rem; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding-left: 1.5rem;
  padding-right: 1.5rem; padding-top: 5rem; }
</style>"""


def meeting_requested() -> bool:
    """`?meeting=1` in the URL (read before set_page_config, to start with the sidebar collapsed)."""
    return str(st.query_params.get("meeting", "")).lower() in ("1", "true", "yes", "on")


FRAME = "_gw_frame"


def _ensure_frame() -> None:
    """Re-run through dashboard.py when Streamlit ran a page file on its own.

    Because the page files live in a folder named pages/, a fresh server process starts in Streamlit's old
    multipage mode: if its very first request is a page URL (/school), that file runs alone — no page config,
    no navigation, no status line. st.navigation ends that mode for the process; doing the same here and
    re-running once puts the page back inside the frame, on the same URL.
    """
    if st.session_state.get(FRAME) or st.session_state.get("_gw_rerouted"):
        return
    st.session_state["_gw_rerouted"] = True
    try:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
    except (ImportError, AttributeError):  # a future Streamlit without the old mode: nothing to undo
        return
    st.rerun()


def filters() -> Filters:
    """The one set of sidebar filters, drawn once per run (by dashboard.py) and bound to the URL both ways."""
    _ensure_frame()
    held = st.session_state.get("_gw_filters")
    if held is not None and held[0] == st.session_state.get("_gw_run"):
        return held[1]
    f = _draw_filters()
    st.session_state["_gw_filters"] = (st.session_state.get("_gw_run"), f)
    return f


def new_run() -> None:
    """Called first thing in every run of dashboard.py: filters are drawn afresh in this run."""
    st.session_state["_gw_run"] = st.session_state.get("_gw_run", 0) + 1


def _draw_filters() -> Filters:
    first = "_gw_init" not in st.session_state
    st.session_state["_gw_init"] = True
    warn: list[str] = []
    sb = st.sidebar
    names = la_names()
    sb.header("Filters")

    # Region preset, sub-region and LA.
    presets = _presets()
    preset_opts = [ALL_LAS] + list(presets)
    _choose("f_preset", "preset", preset_opts, _default_preset(store_key()), str, first, warn,
            "region preset")
    preset = sb.selectbox("Region preset", preset_opts, key="f_preset", on_change=_clear_warnings,
                          help="Presets come from config (geo.regions). 'All LAs in the store' uses every LA loaded.")
    if not presets:
        sb.caption("Region presets are not available yet: every LA in the store is offered.")

    ks_opts = store_key_stages()
    _choose("f_ks", "ks", ks_opts, ks_opts[0], str, first, warn, "key stage")
    years_key = st.session_state["f_ks"]
    y_all = store_years(years_key)
    ref_year = y_all[-1] if y_all else 0

    members = pd.DataFrame(columns=["urn", "subregion", "la_code"])
    if preset != ALL_LAS:
        members = _preset_members(store_key(), preset, ref_year)
    sub_opts = [ALL] + sorted(members["subregion"].dropna().astype(str).unique().tolist())
    _choose("f_sub", "subregion", sub_opts, ALL, str, first, warn, "sub-region")
    sub = sb.selectbox("Sub-region", sub_opts, key="f_sub", on_change=_clear_warnings, disabled=len(sub_opts) == 1)

    if preset != ALL_LAS and members.empty:
        why = _preset_problem(preset, ref_year)
        sb.caption(f"No school in the store lies in {preset} for {year_label(ref_year) if ref_year else 'any year'}"
                   + (f": {why}" if why else "."))
    if preset == ALL_LAS:
        in_scope = store_las()
    else:
        m = members if sub == ALL else members[members["subregion"] == sub]
        in_scope = sorted({int(c) for c in m["la_code"].dropna()})
        # LAs with school results first: a register school over the border must not add its LA to the choice.
        has_results = set(store_facts().las)
        with_results = [c for c in in_scope if c in has_results]
        in_scope = with_results or in_scope
    la_label = {c: f"{names.get(c, c)} ({c})" for c in in_scope}
    if first:
        raw = _url("la")
        picked: list[int] = []
        if raw:
            try:
                picked = [int(x) for x in raw.split(",") if x.strip()]
            except ValueError:
                picked = [-1]
            bad = [c for c in picked if c not in in_scope]
            if bad:
                warn.append(f"The link's LA list `la={raw}` names LAs not in this selection: showing all LAs of "
                            "the selection instead.")
                picked = []
        st.session_state["f_la"] = picked
    else:
        st.session_state["f_la"] = [c for c in st.session_state.get("f_la", []) if c in in_scope]
    la_picked = sb.multiselect("Local authority", in_scope, key="f_la", on_change=_clear_warnings,
                               format_func=lambda c: la_label.get(c, str(c)),
                               placeholder="All LAs in the selection")
    la_codes = list(la_picked) or list(in_scope)

    # Liaison group (derived by geo.liaison where available).
    groups = groups_for(la_codes) if _liaison() else pd.DataFrame(columns=["urn", "group", "derived"])
    group_opts = [ALL] + sorted(groups["group"].dropna().unique().tolist())
    derived = set(groups.loc[groups["derived"].astype(bool), "group"]) if len(groups) else set()
    _choose("f_group", "group", group_opts, ALL, str, first, warn, "liaison group")
    group = sb.selectbox("Liaison group", group_opts, key="f_group", on_change=_clear_warnings,
                         disabled=len(group_opts) == 1,
                         format_func=lambda g: f"{g} · derived" if g in derived else g,
                         help="Liaison groups from your CSV ($GAPWATCH_LIAISON or config/liaison_groups.csv). "
                              "'derived' groups are not official: geographic clusters of each LA's schools "
                              "(geo.liaison), for LAs your file does not cover."
                         if len(group_opts) > 1 else "Liaison groups are not available for this selection.")
    for p in (groups.attrs.get("problems") or [])[:3]:
        sb.caption(f"Liaison groups: {p}")

    # Key stage, measure, years.
    ks = sb.radio("Key stage", ks_opts, key="f_ks", on_change=_clear_warnings, format_func=lambda k: KEY_STAGES[k],
                  horizontal=True)
    m_opts = [m.key for m in for_ks(ks)]
    _choose("f_measure", "measure", m_opts, headline(ks), str, first, warn, "measure",
            fmt=lambda k: MEASURES[k].label if k in MEASURES else str(k),
            why=lambda k: f"not a {SHORT_KS.get(ks, ks)} measure" if isinstance(k, str) else "")
    measure = sb.selectbox("Measure", m_opts, key="f_measure", on_change=_clear_warnings,
                           format_func=lambda k: MEASURES[k].label)

    years = store_years(ks)
    no_data = NO_DATA_YEARS.get(ks, {})

    def year_why(y: Any) -> str:
        return no_data.get(y, "no results for it in the store") if isinstance(y, int) else "not a year"

    def fmt_year(y: Any) -> str:
        return year_label(y) if isinstance(y, int) else "none"

    y_to_default = years[-1] if years else None
    _choose("f_to", "year_to", years, y_to_default, int, first, warn, "'to' year", fmt_year, year_why)
    c1, c2 = sb.columns(2)
    # The 'from' year options depend on 'to': read the current 'to' before drawing 'from'.
    y_to = st.session_state.get("f_to")
    from_opts = [y for y in years if y_to is not None and y < y_to] or ([y_to] if y_to is not None else [])
    _choose("f_from", "year_from", from_opts, _year_default_from(years, y_to), int, first, warn, "'from' year",
            fmt_year, year_why)
    year_from = c1.selectbox("From", from_opts, key="f_from", on_change=_clear_warnings, format_func=fmt_year)
    year_to = c2.selectbox("To", years, key="f_to", on_change=_clear_warnings, format_func=fmt_year)
    gaps = unavailable_years(ks, years)
    if gaps:
        sb.caption("Not selectable: " + "; ".join(f"{year_label(y)} — {why}" for y, why in sorted(gaps.items())))
    if not years:
        sb.caption(f"No {SHORT_KS.get(ks, ks)} school results in the store.")

    if first:
        st.session_state["f_meeting"] = meeting_requested()
    meeting = sb.toggle("Meeting mode", key="f_meeting",
                        help="Larger type and full-width content for a projector; the sidebar starts collapsed.")
    if meeting:
        st.markdown(MEETING_CSS, unsafe_allow_html=True)

    f = Filters(preset=preset, subregion=None if sub == ALL else sub, la_codes=la_codes,
                group=None if group == ALL else group, ks=ks, measure=measure, year_from=year_from, year_to=year_to,
                meeting_mode=bool(meeting), la_picked=list(la_picked), la_names=names)
    _write_url(f)
    if first:
        st.session_state["_gw_warn"] = warn
    # A link's problems stay on screen (across pages) until the user changes a filter.
    for w in st.session_state.get("_gw_warn", []):
        st.warning(w, icon="⚠️")
    return f


def _clear_warnings() -> None:
    st.session_state["_gw_warn"] = []


def filter_params(f: Filters) -> dict[str, str]:
    """The URL query parameters that reopen exactly this view."""
    out = {"preset": f.preset, "ks": f.ks, "measure": f.measure}
    if f.subregion:
        out["sub"] = f.subregion
    if f.la_picked:
        out["la"] = ",".join(str(c) for c in f.la_picked)
    if f.group:
        out["group"] = f.group
    if f.year_from is not None:
        out["from"] = str(f.year_from)
    if f.year_to is not None:
        out["to"] = str(f.year_to)
    if f.meeting_mode:
        out["meeting"] = "1"
    return out


def _write_url(f: Filters) -> None:
    want = filter_params(f)
    for name in PARAM.values():
        if name not in want and name in st.query_params:
            del st.query_params[name]
    for k, v in want.items():
        if st.query_params.get(k) != v:
            st.query_params[k] = v


# ------------------------------------------------------------------------------------------------ status line
def status_text() -> str:
    """'School results: Hampshire, Surrey · KS2 2016/17–2018/19 · KS4 2015/16–2018/19 · 11 files · …'."""
    return store_facts().status


def status_line(con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Which data are loaded, on every page (the connection argument is accepted for symmetry; queries are cached)."""
    st.caption(status_text())


# ------------------------------------------------------------------------------------------------ downloads
def to_excel(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
    out.columns = [str(c) for c in out.columns]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        out.to_excel(xl, index=False, sheet_name="data")
    return buf.getvalue()


def download_buttons(df: pd.DataFrame, stem: str, label: str = "") -> None:
    """CSV and Excel downloads of exactly the DataFrame shown."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") or "data"
    c1, c2, _ = st.columns([1, 1, 2])
    # Deferred: the files are made when the button is clicked, not on every rerun (an Excel file of 20,000
    # schools takes seconds to write).
    c1.download_button(f"⬇ CSV{' — ' + label if label else ''}", lambda: df.to_csv(index=False).encode("utf-8"),
                       file_name=f"{safe}.csv", mime="text/csv", key=f"dl_csv_{safe}")
    c2.download_button(f"⬇ Excel{' — ' + label if label else ''}", lambda: to_excel(df), file_name=f"{safe}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"dl_xlsx_{safe}")


# ------------------------------------------------------------------------------------------------ school search
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d?[A-Z]{0,2}$")


@st.cache_resource(show_spinner=False, max_entries=2)
def _search_index(key: str) -> pd.DataFrame:
    names = la_names()
    with _cursor(key) as cur:
        df = cur.execute("SELECT urn, name, town, postcode, phase, la_code, la_name, status FROM schools "
                         "ORDER BY name").fetchdf()
    df["LA"] = [n if isinstance(n, str) and n else names.get(int(c), str(c)) if pd.notna(c) else ""
                for n, c in zip(df["la_name"], df["la_code"])]
    return searchable(df)


def search_index() -> pd.DataFrame:
    """Every school in the register with its LA name and prepared search text, made once per store and shared
    (read-only): a copy of 20,000 rows unpickled on every keystroke was most of a search's time."""
    return _search_index(store_key())


def searchable(index: pd.DataFrame) -> pd.DataFrame:
    """The index with `_search`: name, town and postcode as rapidfuzz compares them (lower case, no
    punctuation), prepared once per index rather than on every query."""
    text = index["name"].fillna("") + " " + index["town"].fillna("") + " " + index["postcode"].fillna("")
    return index.assign(_search=[utils.default_process(t) for t in text])


def search_schools(index: pd.DataFrame, query: str, limit: int = 10, cutoff: float = 60.0) -> pd.DataFrame:
    """Schools matching a name, URN, postcode or town, best first; tolerant of typos and partial names.

    `index` needs urn, name, town, postcode. An exact URN comes first, then postcode-prefix matches, then fuzzy
    matches (rapidfuzz's token-set and partial ratios over 'name town postcode', averaged). Adds a `score`
    column (0–100, 101 for an exact URN).
    """
    q = (query or "").strip()
    if not q or index.empty:
        return index.head(0).assign(score=pd.Series(dtype=float))
    hits: dict[int, float] = {}
    if q.isdigit():
        for u in index.loc[index["urn"] == int(q), "urn"]:
            hits[int(u)] = 101.0
    pc = q.upper().replace(" ", "")
    if len(pc) >= 2 and _POSTCODE.match(q.upper()):
        keys = index["postcode"].fillna("").str.upper().str.replace(" ", "", regex=False)
        for u in index.loc[keys.str.startswith(pc), "urn"]:
            hits.setdefault(int(u), 100.0)
    if len(hits) >= limit or (q.isdigit() and hits):  # a URN found, or a full list of postcode matches
        return _hits_frame(index, hits, limit)
    choices = (index if "_search" in index else searchable(index))["_search"].tolist()
    urns = index["urn"].astype(int).to_numpy()
    # The mean of two scores, each over every school (in C): the token-set ratio rewards the query's words all
    # being there in any order ("crookham infant" in "Crookham Church of England Aided Infant School"); the
    # partial ratio the query aligned, typos and all, to its best stretch of text ("crookam junior"). WRatio,
    # used before, gave every "… Junior School" 85.5 for "crookam junior": among thousands of schools the one
    # meant fell out of the list.
    text = [utils.default_process(q)]
    score = (process.cdist(text, choices, scorer=fuzz.token_set_ratio, processor=None)[0].astype(float) +
             process.cdist(text, choices, scorer=fuzz.partial_ratio, processor=None)[0]) / 2
    best = np.argsort(-score, kind="stable")[:limit * 3]
    for i in best[score[best] >= cutoff].tolist():
        hits.setdefault(int(urns[i]), round(float(score[i]), 1))
    return _hits_frame(index, hits, limit)


def _hits_frame(index: pd.DataFrame, hits: dict[int, float], limit: int) -> pd.DataFrame:
    """The index rows of the best `limit` hits (URN -> score), best first, with their `score`."""
    order = sorted(hits.items(), key=lambda kv: -kv[1])[:limit]
    pos = pd.Index(index["urn"].astype(int)).get_indexer([u for u, _ in order])  # rows by position: no re-index
    out = index.iloc[pos].reset_index(drop=True)                                # of the whole register
    out["score"] = [s for _, s in order]
    return out


def search_hit_label(name: object, town: object, postcode: object, la: object, phase: object, urn: int) -> str:
    """'Church Crookham Junior School — Fleet, GU52 8BW · Hampshire · Primary · URN 115976'; facts the register
    does not give are left out (not shown as 'nan')."""
    where = ", ".join(x for x in (town, postcode) if isinstance(x, str) and x)
    facts = [x for x in (la, phase) if isinstance(x, str) and x]
    return " · ".join([f"{name} — {where}" if where else str(name), *facts, f"URN {urn}"])


# ------------------------------------------------------------------------------------------------ printable profile
def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def printable_profile(school: dict, ks_label: str, tables: dict[str, pd.DataFrame], footer: str) -> str:
    """A self-contained one-page HTML school profile (inline CSS, no scripts); every data string is escaped."""
    e = html.escape
    facts = [("URN", school.get("urn")), ("LA", school.get("la_name_shown")), ("Phase", school.get("phase")),
             ("Ofsted", school.get("ofsted")), ("% FSM", school.get("pct_fsm")), ("Trust", school.get("trust")),
             ("Location", ", ".join(str(x) for x in (school.get("town"), school.get("postcode")) if x))]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e('' if v is None or v != v else str(v))}</td></tr>" for k, v in facts)
    parts = [f"<h1>{e(str(school.get('name') or school.get('urn')))}</h1><table class='facts'>{rows}</table>",
             f"<p>{e(ks_label)} results of disadvantaged (FSM6CLA1A) and other pupils. Gap = other − disadvantaged; "
             "positive = disadvantaged pupils behind. “–” = no figure.</p>"]
    for label, t in tables.items():
        head = "".join(f"<th>{e(str(c))}</th>" for c in t.columns)
        body = "".join("<tr>" + "".join(f"<td>{e(_cell(v))}</td>" for v in r) + "</tr>" for r in t.itertuples(False))
        parts.append(f"<h2>{e(str(label))}</h2><table><tr>{head}</tr>{body}</table>")
    parts.append(f"<p class='src'>{e(footer)}. Source: DfE performance tables (OGL v3.0).</p>")
    style = ("body{font-family:sans-serif;margin:1.5cm;font-size:10pt}h1{font-size:16pt}h2{font-size:12pt;"
             "margin-top:1em}table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #bbb;padding:2px "
             "5px;text-align:left}.facts th{background:#eee}.src{color:#555;font-size:8pt}@page{size:A4}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(str(school.get('name')))}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
