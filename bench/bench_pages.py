"""Render times of the Regional map, Board view and Early years pages (AppTest, headless).

Run: .venv/bin/python bench/bench_pages.py [--schools 20000] [--skip-bundle] [--skip-synth]
Stores: the open-data bundle (../shared/data, when present) and a synthetic England store
(gapdata.synth.write_synthetic, built once and cached under bench/out/, which git ignores).
Prints, per store and page, the first render (cold caches in a fresh session) and the median and worst of up to
six filter changes (three 'from' years, three measures, each new to the caches), and the map again in a new
session of the warm process (what a second user sees).
No assertions on time: machines differ.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gapdata.build import build_store  # noqa: E402
from gapdata.paths import DEFAULT_RAW_DIR  # noqa: E402

OUT = REPO / "bench" / "out"
PAGES = ["pages/map.py", "pages/board.py", "pages/early_years.py"]


def synthetic_store(schools: int) -> Path:
    store = OUT / f"synth_{schools}.duckdb"
    if store.exists():
        return store
    from gapdata.synth import write_synthetic

    raw = OUT / f"synth_raw_{schools}"
    if not raw.exists():
        t = time.perf_counter()
        write_synthetic(raw, schools=schools)
        print(f"  wrote synthetic files for {schools} schools in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    build_store(raw, store)
    print(f"  built {store.name} in {time.perf_counter() - t:.1f} s")
    return store


def bundle_store() -> Path | None:
    if not DEFAULT_RAW_DIR.is_dir():
        return None
    store = OUT / "bundle.duckdb"
    if not store.exists():
        build_store(DEFAULT_RAW_DIR, store)
    return store


def _keep_navigation_mode() -> None:
    """As on the server: once st.navigation has run, page files are not run on their own (see tests)."""
    from streamlit.runtime import pages_manager as pm

    original = pm.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pm.PagesManager.uses_pages_directory = False

    pm.PagesManager.__init__ = init


def _share_script_cache() -> None:
    """As on the server: one ScriptCache for every run. The server's Runtime compiles each page once (with
    Streamlit's "magic" rewrite of its syntax tree) and keeps the bytecode; AppTest builds a new cache for every
    run, which added 30-70 ms of compiling to each timed rerun that no user waits for."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def time_page(store: Path, page: str) -> tuple[float, float, float, str]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()  # every page starts cold: no figures left over from the page timed before it
    st.cache_resource.clear()
    os.environ["GAPDATA_STORE"] = str(store)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=900)
    t = time.perf_counter()
    at.run()  # the bare URL opens the first page (the map)
    if page != PAGES[0]:
        t = time.perf_counter()
        at.switch_page(page)
        at.run()
    first = time.perf_counter() - t
    if at.exception:
        return first, float("nan"), float("nan"), "error: " + str(at.exception[0].value)[:200]
    # Filter changes, each to a value not seen before (so nothing is served from a cache): up to three 'from'
    # years, then up to three measures. Options are shown as labels ('2016/17'); the widgets hold years and
    # measure keys.
    times = []
    years = [int(o[:4]) + 1 for o in at.selectbox(key="f_from").options if o[:4].isdigit()]
    for y in [y for y in years if y != at.session_state["f_from"]][:3]:
        t = time.perf_counter()
        at.selectbox(key="f_from").set_value(y).run()
        times.append(time.perf_counter() - t)
    from gapdata.measures import for_ks

    measures = [m.key for m in for_ks(at.session_state["f_ks"])]
    for m in [m for m in measures if m != at.session_state["f_measure"]][:3]:
        t = time.perf_counter()
        at.selectbox(key="f_measure").set_value(m).run()
        times.append(time.perf_counter() - t)
    status = "error: " + str(at.exception[0].value)[:200] if at.exception else "ok"
    return first, statistics.median(times), max(times), status


def time_search(store: Path) -> tuple[float, float, int]:
    """Median and worst time of a school search (name with a typo, partial name, URN, postcode, town)."""
    import statistics

    import duckdb

    from pages.common import search_schools, searchable

    con = duckdb.connect(str(store), read_only=True)
    index = searchable(con.execute("SELECT urn, name, town, postcode, phase, la_code, la_name FROM schools").fetchdf())
    some = index.sample(5, random_state=1)
    queries = []
    for r in some.itertuples():
        name = str(r.name)
        queries += [name[:-2] + name[-1:], name.split()[0], str(r.urn), str(r.postcode)[:4], str(r.town)]
    times = []
    for q in queries:
        t = time.perf_counter()
        search_schools(index, q)
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times), len(index)


def time_profile(store: Path) -> tuple[float, float]:
    """A school's profile page opened by its link (?urn=): first render and a second, cached render."""
    import duckdb
    from streamlit.testing.v1 import AppTest

    urn = duckdb.connect(str(store), read_only=True).execute(
        "SELECT urn FROM school_results WHERE grp = 'dis' GROUP BY urn ORDER BY count(*) DESC, urn LIMIT 1"
    ).fetchone()[0]
    os.environ["GAPDATA_STORE"] = str(store)
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=900)
    at.run()
    at.switch_page("pages/school.py")
    at.query_params["urn"] = str(urn)
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    other = duckdb.connect(str(store), read_only=True).execute(
        "SELECT urn FROM school_results WHERE grp = 'dis' AND urn <> ? GROUP BY urn ORDER BY urn LIMIT 1",
        [urn]).fetchone()[0]
    at.query_params["urn"] = str(other)
    t = time.perf_counter()
    at.run()
    return first, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--schools", type=int, default=20000)
    ap.add_argument("--skip-bundle", action="store_true")
    ap.add_argument("--skip-synth", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    _keep_navigation_mode()
    _share_script_cache()
    stores = []
    if not args.skip_bundle:
        b = bundle_store()
        print("bundle store:", b or f"skipped ({DEFAULT_RAW_DIR} not found)")
        if b:
            stores.append(("bundle", b))
    if not args.skip_synth:
        stores.append((f"synthetic {args.schools}", synthetic_store(args.schools)))
    print(f"{'store':<18} {'page':<28} {'first render s':>15} {'filter change s: median':>24} {'worst':>6}  status")
    for name, store in stores:
        for page in PAGES:
            first, change, worst, status = time_page(store, page)
            print(f"{name:<18} {page:<28} {first:>15.2f} {change:>24.2f} {worst:>6.2f}  {status}")
        # The first page of a process also pays for imports and parsing the boundary files (once per server
        # process); a later session starts with Streamlit's caches cleared but the process warm.
        first, change, worst, status = time_page(store, PAGES[0])
        print(f"{name:<18} {PAGES[0] + ' (new session)':<28} {first:>15.2f} {change:>24.2f} {worst:>6.2f}  {status}")
    print("School finder (issue targets: search < 100 ms over 20,000 schools; a profile renders < 1 s):")
    for name, store in stores:
        med, worst, n = time_search(store)
        first, other = time_profile(store)
        print(f"{name:<18} search over {n} schools: median {med * 1000:.0f} ms, worst {worst * 1000:.0f} ms; "
              f"profile: first {first:.2f} s, another school {other:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
