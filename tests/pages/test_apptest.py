"""The dashboard as a user meets it, run headless with Streamlit's AppTest on small synthetic stores.

Expected figures come from tests/fixtures.py: school i (0-based in KS2_SCHOOLS) in year y has disadvantaged
40 + 3i + 2(y − 2017) % and other pupils 70 + i − (y − 2017) % at the expected standard, so its gap is
30 − 2i − 3(y − 2017): e.g. Alderbrook (i=0) 30 in 2016/17, 27 in 2017/18, 24 in 2018/19. Fernhill (i=5) is
suppressed (SUPP). LA 936 (Sampleton) has KS2 results for 2018/19 only; KS4 exists for LA 850 in 2018/19 only.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = str(REPO / "dashboard.py")
PAGE_FILES = [p for p in ("pages/map.py", "pages/board.py", "pages/school.py", "pages/early_years.py",
                          "pages/about.py") if (REPO / p).exists()]


@pytest.fixture(autouse=True)
def _navigation_as_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run pages inside dashboard.py's frame, as the server does.

    With a folder named pages/, Streamlit starts in its old multipage mode; the first st.navigation call switches
    the process to navigation mode for good (PagesManager.uses_pages_directory = False). AppTest resets that flag
    before every run, so after switch_page it would run a page file on its own, without filters or status line.
    """
    from streamlit.runtime import pages_manager as pm

    original = pm.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pm.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(pm.PagesManager, "__init__", init)


def app(store: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv("GAPDATA_STORE", str(store))
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page and page != PAGE_FILES[0]:  # the first page is the one a bare URL opens
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest, i: int = 0):
    return at.dataframe[i].value


def texts(at: AppTest) -> str:
    parts = [x.value for x in at.info] + [x.value for x in at.warning] + [x.value for x in at.markdown]
    return "\n".join(str(p) for p in parts + [c.value for c in at.caption])


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_on_the_small_store(small_store, monkeypatch, page):
    at = app(small_store, monkeypatch, page)
    assert at.title, f"{page} shows no title"
    status = next(c.value for c in at.caption if "School results:" in c.value)
    assert "School results: Testshire, Sampleton" in status
    assert "KS2 2016/17–2018/19" in status and "KS4 2018/19" in status and "5 files" in status


@pytest.mark.acceptance
@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_on_the_bundle_store(bundle_store, monkeypatch, page):
    app(bundle_store, monkeypatch, page)


def test_selection_table_shows_hand_computed_gaps(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py", ks="ks2", measure="rwm_exp", **{"from": "2017", "to": "2019"})
    df = table(at).set_index("School")
    assert df.loc["Alderbrook Primary School", "Gap 2018/19"] == 24
    assert df.loc["Alderbrook Primary School", "Gap 2016/17"] == 30
    assert df.loc["Alderbrook Primary School", "Change"] == -6
    assert df.loc["Beechwood Junior School", "Gap 2018/19"] == 22
    # Suppressed: no number (never 0) and the code shown.
    assert df.loc["Fernhill Primary Academy", "Status"] == "SUPP"
    assert df["Gap 2018/19"].isna().loc["Fernhill Primary Academy"]
    assert len(df) == 8  # six Testshire schools + two Sampleton schools with 2018/19 results


def test_each_filter_changes_what_is_shown(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py")
    before = table(at)
    # Years: 'to' 2017/18 -> the gap column for that year, Alderbrook 27.
    at.sidebar.selectbox(key="f_to").set_value(2018).run()
    df = table(at).set_index("School")
    assert df.loc["Alderbrook Primary School", "Gap 2017/18"] == 27 and "Gap 2018/19" not in df
    assert at.query_params["to"] == ["2018"] or at.query_params["to"] == "2018"
    # Measure: reading progress, gap = 0.6 − (−1.2) = 1.8 for every unsuppressed school.
    at.sidebar.selectbox(key="f_to").set_value(2019).run()
    at.sidebar.selectbox(key="f_measure").set_value("read_prog").run()
    df = table(at).set_index("School")
    assert df.loc["Alderbrook Primary School", "Gap 2018/19"] == pytest.approx(1.8)
    # LA: Sampleton only -> its two schools.
    at.sidebar.multiselect(key="f_la").set_value([936]).run()
    assert set(table(at)["School"]) == {"Gorse Hill Primary School", "Hawthorn Primary School"}
    # Key stage: KS4 (Testshire only, 2018/19 only) -> no KS4 results for Sampleton: a sentence says why.
    at.sidebar.radio(key="f_ks").set_value("ks4").run()
    assert "No KS4 results for Sampleton" in texts(at)
    at.sidebar.multiselect(key="f_la").set_value([]).run()
    df = table(at).set_index("School")
    assert set(df.index) == {"Ivybridge Academy", "Juniper High School"}
    assert df.loc["Ivybridge Academy", "Gap 2018/19"] == pytest.approx(50.5 - 35.5)
    assert not before.equals(table(at))
    # Meeting mode: larger type is injected and the URL says so.
    at.sidebar.toggle(key="f_meeting").set_value(True).run()
    assert any("font-size: 22px" in m.value for m in at.markdown)
    assert at.query_params["meeting"] in ("1", ["1"])


def test_region_filters_fall_back_when_presets_are_missing(small_store, monkeypatch):
    from pages import common

    monkeypatch.setattr(common, "_regions", lambda: None)  # as before geo.regions existed
    common._presets.clear()
    try:
        at = app(small_store, monkeypatch, "pages/school.py")
        assert at.sidebar.selectbox(key="f_preset").options == ["All LAs in the store"]
        assert any("Region presets are not available yet" in c.value for c in at.sidebar.caption)
        assert at.sidebar.multiselect(key="f_la").options == ["Testshire (850)", "Sampleton (936)"]
    finally:
        common._presets.clear()


def test_a_shared_url_reopens_the_same_view(small_store, monkeypatch):
    params = {"ks": "ks2", "measure": "read_prog", "from": "2017", "to": "2018", "la": "850"}
    at = app(small_store, monkeypatch, "pages/school.py", **params)
    assert at.sidebar.selectbox(key="f_measure").value == "read_prog"
    assert at.sidebar.selectbox(key="f_from").value == 2017
    assert at.sidebar.selectbox(key="f_to").value == 2018
    assert at.sidebar.multiselect(key="f_la").value == [850]
    assert list(table(at).columns[:5]) == ["School", "LA", "Gap 2016/17", "Gap 2017/18", "Change"]
    assert "Gap 2017/18" in table(at).columns and len(table(at)) == 6
    for k, v in params.items():
        assert at.query_params[k] in (v, [v])
    assert not at.warning


@pytest.mark.parametrize("param,value,named", [
    ("measure", "att8", "measure=att8"),    # a KS4 measure with ks=ks2
    ("to", "2021", "to=2021"),              # a year without KS2 tests
    ("to", "banana", "to=banana"),
    ("la", "850,x", "la=850,x"),
    ("ks", "ks9", "ks=ks9"),
    ("preset", "Atlantis", "preset=Atlantis"),
])
def test_an_invalid_parameter_warns_and_falls_back(small_store, monkeypatch, param, value, named):
    at = app(small_store, monkeypatch, "pages/school.py", **{param: value})
    assert any(named in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(at.dataframe) == 1  # the page still shows the default view


def test_school_profile_by_url(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py", urn="900001")
    assert any(h.value == "Alderbrook Primary School" for h in at.header)
    prof = table(at)  # first tab: the filter's measure (RWM expected)
    assert list(prof["Year"]) == ["2016/17", "2017/18", "2018/19"]
    assert list(prof["Gap"]) == [30, 27, 24]
    assert list(prof["Testshire gap"]) == [20, 20, 20] and list(prof["England gap"]) == [20, 20, 20]
    assert any("Potential partners" == h.value for h in at.header)


def test_profile_shows_suppressed_years_as_codes_not_zero(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py", urn="900006")
    prof = table(at)
    assert prof["Disadvantaged"].isna().all() and prof["Gap"].isna().all()
    assert prof["Note"].str.contains("SUPP").all()


def test_bad_urn_warns(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py", urn="123")
    assert any("urn=123" in w.value for w in at.warning)


def test_search_finds_a_misspelt_school_and_opens_it(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/school.py")
    at.text_input(key="school_q").input("Beechwod junior").run()
    assert at.button(key="open_900002").label.startswith("Beechwood Junior School")
    at.button(key="open_900002").click().run()
    assert at.query_params["urn"] in ("900002", ["900002"])
    assert any(h.value == "Beechwood Junior School" for h in at.header)


def test_an_edited_liaison_groups_file_is_read_again(small_store, monkeypatch, tmp_path):
    import os

    csv = tmp_path / "groups.csv"
    csv.write_text("URN,Group\n900001,North Cluster\n")
    monkeypatch.setenv("GAPWATCH_LIAISON", str(csv))
    at = app(small_store, monkeypatch, "pages/board.py", ks="ks2")
    assert "North Cluster" in at.sidebar.selectbox(key="f_group").options
    csv.write_text("URN,Group\n900001,Renamed Cluster\n")
    os.utime(csv, ns=(csv.stat().st_atime_ns, csv.stat().st_mtime_ns + 1_000_000_000))  # a later edit
    at = app(small_store, monkeypatch, "pages/board.py", ks="ks2")  # a new session of the same server
    assert "Renamed Cluster" in at.sidebar.selectbox(key="f_group").options


def test_about_page_lists_files_and_codes(small_store, monkeypatch):
    at = app(small_store, monkeypatch, "pages/about.py")
    frames = [d.value for d in at.dataframe]
    sources = next(f for f in frames if "sha256" in f.columns)
    assert len(sources) == 5 and set(sources["status"]) == {"loaded"}
    codes = next(f for f in frames if "Code" in f.columns and "Meaning" in f.columns)
    assert "SUPP" in set(codes["Code"])
    assert "No rows were rejected." in texts(at)


@pytest.mark.acceptance
def test_preset_and_subregion_narrow_the_schools_listed(bundle_store, monkeypatch):
    if importlib.util.find_spec("geo.regions") is None:
        pytest.skip("geo.regions is not available yet")
    at = app(bundle_store, monkeypatch, "pages/school.py", preset="Hampshire and Surrey", ks="ks2")
    whole = table(at)
    assert set(whole["LA"]) == {"Hampshire", "Surrey"}
    at.sidebar.selectbox(key="f_sub").set_value("Surrey North East").run()
    part = table(at)
    assert set(part["LA"]) == {"Surrey"} and 0 < len(part) < len(whole[whole["LA"] == "Surrey"])
    assert at.query_params["sub"] in ("Surrey North East", ["Surrey North East"])
    assert at.sidebar.multiselect(key="f_la").options == ["Surrey (936)"]


def test_without_a_store_the_app_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPDATA_STORE", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    assert not at.exception
    assert any("There is no data store yet" in e.value for e in at.error)
    assert "python -m gapdata build" in texts(at) and "make run" in texts(at)


def test_a_rebuilt_store_is_picked_up_without_a_restart(tmp_path, monkeypatch):
    from gapdata.build import build_store
    from tests.fixtures import write_ks2, write_small_bundle

    raw = write_small_bundle(tmp_path / "raw")
    store = tmp_path / "store.duckdb"
    build_store(raw, store)
    at = app(store, monkeypatch, "pages/school.py")
    assert "5 files" in next(c.value for c in at.caption if "School results:" in c.value)
    write_ks2(raw / "ks2" / "2017-2018_936_ks2final.csv", 2018, 936)  # one more file: Sampleton 2017/18
    build_store(raw, store)
    at.run()
    assert "6 files" in next(c.value for c in at.caption if "School results:" in c.value)


def test_the_build_button_builds_the_store_with_progress(tmp_path, monkeypatch):
    from tests.fixtures import write_small_bundle

    raw = write_small_bundle(tmp_path / "raw")
    store = tmp_path / "new" / "store.duckdb"
    monkeypatch.setenv("GAPDATA_STORE", str(store))
    monkeypatch.setenv("GAPDATA_RAW", str(raw))
    at = AppTest.from_file(DASHBOARD, default_timeout=120).run()
    at.button[0].click().run()
    assert not at.exception and store.exists()
    status = [e for e in at.main.children.values() if type(e).__name__ == "Status"]
    assert status and status[0].label.startswith("Store built: 5 files loaded")
    at.run()
    assert any("School results: Testshire, Sampleton" in c.value for c in at.caption), (at.exception, at.main)
    shutil.rmtree(store.parent)


def test_a_users_liaison_groups_file_sets_the_groups_and_its_problems_are_shown(small_store, monkeypatch, tmp_path):
    csv = tmp_path / "groups.csv"
    csv.write_text("URN,Group,LA\n900001,North Cluster,850\n900002,North Cluster,850\n123,Ghost Group,850\n")
    monkeypatch.setenv("GAPWATCH_LIAISON", str(csv))
    at = app(small_store, monkeypatch, "pages/school.py", ks="ks2", measure="rwm_exp", **{"from": "2017", "to": "2019"})
    box = at.sidebar.selectbox(key="f_group")
    assert "North Cluster" in box.options  # from the file, not marked derived
    assert not any("derived" in o for o in box.options)  # the fixture's schools have no location to derive from
    assert "groups.csv line 4" in "\n".join(c.value for c in at.sidebar.caption)
    box.set_value("North Cluster").run()
    assert set(table(at)["School"]) == {"Alderbrook Primary School", "Beechwood Junior School"}
