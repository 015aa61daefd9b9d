"""Regional map, Board view and Early years pages, run headless with AppTest, plus their pure helpers.

Stores come from tests/conftest.py (`small_store`: hand-checkable synthetic files; `bundle_store`: the open-data
bundle, skipped when absent).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pages import boardpack
from pages import maplayers as ml

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = str(REPO / "dashboard.py")


@pytest.fixture(autouse=True)
def _navigation_as_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Streamlit in st.navigation mode across AppTest runs (see tests/pages/test_apptest.py)."""
    from streamlit.runtime import pages_manager as pm

    original = pm.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pm.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(pm.PagesManager, "__init__", init)


def run(store: Path, monkeypatch: pytest.MonkeyPatch, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("GAPDATA_STORE", str(store))
    at = AppTest.from_file(DASHBOARD, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page != "pages/map.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def said(at: AppTest) -> str:
    parts = [x.value for x in at.info] + [x.value for x in at.warning] + [x.value for x in at.markdown]
    return "\n".join(str(p) for p in parts + [c.value for c in at.caption] + [s.value for s in at.subheader])


# ---------------------------------------------------------------------------------------------- pure helpers
def test_diverging_scale_is_centred_on_zero_and_grey_for_missing() -> None:
    cols = ml.diverging_rgba([0.0, 10.0, -10.0, None, 99.0], limit=10.0)
    assert cols[0][:3] == list(ml.RDBU[4])        # zero = the neutral middle colour
    assert cols[1][:3] == list(ml.RDBU[-1])       # +limit = darkest red (widening / behind)
    assert cols[2][:3] == list(ml.RDBU[0])        # −limit = darkest blue
    assert cols[3] == ml.NO_DATA_RGBA             # missing = light grey, never a colour of the scale
    assert cols[4][:3] == list(ml.RDBU[-1])       # beyond the limit saturates


def test_nice_limit_rounds_up_to_a_readable_number() -> None:
    assert ml.nice_limit([23.3, -28.2]) == 30.0
    assert ml.nice_limit([0.4]) == 1.0
    assert ml.nice_limit([None]) == 1.0


def test_reading_sentence_counts_widening_and_names_the_widest() -> None:
    areas = pd.DataFrame({"name": ["Hampshire", "Surrey"], "gap_to": [23.27, 28.24],
                          "classification": ["widening", "no clear change"]})
    assert ml.reading(areas, "name", "pp", 2019, "LAs") == \
        "Gap widened credibly in 1 of 2 LAs; widest: Surrey 28.2 pp (2018/19)"


def test_legend_and_board_pack_escape_data_strings() -> None:
    evil = "<script>alert(1)</script> & Co"
    assert "<script>" not in ml.legend_html(10, "pp", "gap", True, title=evil)
    shapes = ml.hulls(pd.DataFrame({"g": [evil, evil, evil], "lon": [-1.0, -1.1, -1.0], "lat": [51.0, 51.0, 51.1]}),
                      "g")
    svg = boardpack.svg_map(shapes, {}, None, title=evil)
    page = boardpack.board_pack(evil, evil, [(evil, "1", evil)], svg, "", [(evil, pd.DataFrame({"a": [evil]}))],
                                [evil], [evil])
    assert "<script>" not in page and "&lt;script&gt;" in page


# ---------------------------------------------------------------------------------------------- pages
PAGES = ["pages/map.py", "pages/board.py", "pages/early_years.py"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_on_the_small_store(small_store: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = run(small_store, monkeypatch, page)
    assert said(at).strip(), "a page must never be blank"
    # A missing figure reads "–" in every table (Streamlit's default is the word "None").
    assert [d.proto.placeholder for d in at.dataframe] == ["–"] * len(at.dataframe)


@pytest.mark.parametrize("page", PAGES)
def test_invalid_query_params_do_not_raise(small_store: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = run(small_store, monkeypatch, page, ks="ks9", measure="nope", **{"from": "abc", "to": "1066"},
             la="x,1", preset="Atlantis", sub="Z", meeting="maybe", group="<b>")
    assert at.warning, "bad links are reported, not ignored"


def test_board_changes_with_years_and_measure(small_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run(small_store, monkeypatch, "pages/board.py", ks="ks2", measure="rwm_exp", **{"from": "2017", "to": "2019"})
    before = [m.value for m in at.metric]
    cols_before = list(at.dataframe[0].value.columns)
    assert "Gap 2018/19" in cols_before and "Gap 2016/17" in cols_before
    at.selectbox(key="f_from").set_value(2018).run()
    assert not at.exception
    assert "Gap 2017/18" in list(at.dataframe[0].value.columns)
    at.selectbox(key="f_measure").set_value("rwm_high").run()
    assert not at.exception
    assert [m.value for m in at.metric] != before or "higher standard" in said(at)


def test_board_headline_is_the_pupil_weighted_gap_of_the_selection(small_store: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fixtures import ks2_values

    def gap(year: int) -> float:  # Testshire's schools 0-5; school 5's disadvantaged figure is suppressed
        v = [ks2_values(i, year) for i in range(6)]
        dis = sum(d * n_d for n_d, _, d, _ in v[:5]) / sum(n_d for n_d, _, _, _ in v[:5])
        oth = sum(o * n_o for _, n_o, _, o in v) / sum(n_o for _, n_o, _, _ in v)
        return oth - dis

    at = run(small_store, monkeypatch, "pages/board.py", ks="ks2", measure="rwm_exp", la="850",
             **{"from": "2017", "to": "2019"})
    cards = {m.label: m.value for m in at.metric}
    assert cards["Gap 2018/19"] == f"{gap(2019):.1f} pp"
    assert cards["Change since 2016/17"].endswith(f"{gap(2019) - gap(2017):+.1f} pp")
    at.selectbox(key="f_from").set_value(2018).run()  # the headline follows the years
    assert {m.label: m.value for m in at.metric}["Change since 2017/18"].endswith(f"{gap(2019) - gap(2018):+.1f} pp")


def test_map_area_level_changes_what_is_shown(small_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run(small_store, monkeypatch, "pages/map.py", ks="ks2", measure="rwm_exp")
    text = said(at)
    if "official LA-level" in text:
        pytest.skip("the small store has no school-level results for the default selection")
    assert "LAs" in text
    at.radio(key="map_level").set_value("district").run()
    assert not at.exception
    assert "district" in said(at) and said(at) != text  # districts drawn, or a sentence saying why not
    at.radio(key="map_colour").set_value("change").run()
    assert not at.exception


@pytest.mark.acceptance
def test_bundle_board_gap_and_reading(bundle_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run(bundle_store, monkeypatch, "pages/map.py", ks="ks2", measure="rwm_exp", **{"from": "2017", "to": "2019"})
    # Surrey's pupil-weighted 2018/19 gap (analytics.areas on the bundle) is 28.2 pp, Hampshire's 23.3 pp.
    assert "widest: Surrey 28.2 pp (2018/19)" in said(at)


@pytest.mark.acceptance
def test_bundle_south_west_sees_la_level_results(bundle_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run(bundle_store, monkeypatch, "pages/map.py", preset="South West")
    assert "official LA-level" in said(at)
    at = run(bundle_store, monkeypatch, "pages/early_years.py", preset="South West")
    la = at.dataframe[0].value
    # EYFSP 2021/22 GLD: Cornwall FSM 47.0 %, not FSM 69.2 % (1_eyfsp_headline_measures_2022.csv) → gap 22.2 pp.
    corn = la[la["LA"] == "Cornwall"].iloc[0]
    assert corn["Gap"] == pytest.approx(22.2, abs=0.05)
    assert len(la) == 15  # the South West's LAs in 2021/22 (Somerset still a county)


def test_network_leads_are_located_and_bad_rows_are_listed(small_store: Path, tmp_path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(small_store), read_only=True)
    urn = con.execute("SELECT min(urn) FROM schools").fetchone()[0]
    csv = tmp_path / "networks.csv"
    csv.write_text("name,kind,lead_urn,lead_postcode,lead_easting,lead_northing,member_urns\n"
                   f"North <Hub>,Maths hub,,,472080,139716,{urn}\n"
                   "Nowhere Cluster,Excellence-for-Everyone cluster,,,,,\n")
    pts, problems = ml.network_points(con, str(csv))
    assert pts["name"].tolist() == ["North <Hub>"]
    # Streamlit's deck tooltip escapes each field it fills in: escaping here too would show "&lt;" to users.
    assert pts.loc[0, "tt_title"] == "North <Hub>"
    assert pts.loc[0, "tt_2"] == "1 member schools"
    # Alton, Hampshire (BNG 472080, 139716) is at about 0.97 W, 51.15 N.
    assert pts.loc[0, "lon"] == pytest.approx(-0.974, abs=0.01) and pts.loc[0, "lat"] == pytest.approx(51.15, abs=0.01)
    assert len(problems) == 1 and problems[0].startswith("networks.csv line 3")


def test_map_draws_a_users_networks_layer(small_store: Path, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    csv = tmp_path / "networks.csv"
    csv.write_text("name,kind,lead_easting,lead_northing,member_urns\nNorth Hub,Maths hub,472080,139716,\n")
    monkeypatch.setenv("GAPWATCH_NETWORKS", str(csv))
    at = run(small_store, monkeypatch, "pages/map.py")
    at.session_state["map_layers"] = ["schools", "networks"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "existing network" in "\n".join(str(m.value) for m in at.markdown)  # the legend says what rings are
