"""The finder's ranking, the printable profile and the download helpers, without a running app."""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from pages import common

INDEX = pd.DataFrame({
    "urn": [100001, 100002, 100003, 100004, 137693],
    "name": ["Church Crookham Junior School", "Crookham Infant School", "Fleet Infant School",
             "Ringwood Junior School", "Bransgore Church of England Primary School"],
    "town": ["Fleet", "Crookham", "Fleet", "Ringwood", "Christchurch"],
    "postcode": ["GU52 8BN", "GU51 5DX", "GU51 3NZ", "BH24 1NH", "BH23 8HD"],
})


def test_exact_urn_comes_first():
    got = common.search_schools(INDEX, "137693")
    assert got["urn"].iloc[0] == 137693 and got["score"].iloc[0] == 101


def test_postcode_prefix_matches_rank_above_fuzzy_ones():
    got = common.search_schools(INDEX, "GU51")
    assert set(got["urn"].head(2)) == {100002, 100003}


def test_typos_and_partial_names_still_find_the_school():
    assert common.search_schools(INDEX, "Ringwod Juniour")["urn"].iloc[0] == 100004
    assert common.search_schools(INDEX, "bransgore")["urn"].iloc[0] == 137693
    assert common.search_schools(INDEX, "crookham junior")["urn"].iloc[0] == 100001


def test_nothing_for_nonsense_or_empty_queries():
    assert common.search_schools(INDEX, "zzqqxx").empty
    assert common.search_schools(INDEX, "   ").empty


def test_printable_profile_escapes_every_data_string():
    school = {"urn": 1, "name": "<script>alert(1)</script> & Co", "trust": 'A "quoted" <b>trust</b>',
              "town": "Fleet", "postcode": "GU52 8BN", "la_name_shown": "Hampshire (850)"}
    table = pd.DataFrame({"Year": ["2018/19"], "Gap": [12.5], "Note": ["<img src=x onerror=alert(1)>"]})
    page = common.printable_profile(school, "KS2", {"RWM <expected>": table}, "status & <more>")
    assert "<script>" not in page and "<img" not in page and "<b>trust" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "RWM &lt;expected&gt;" in page
    assert "<td>12.5</td>" in page and page.startswith("<!doctype html>")


def test_excel_download_holds_exactly_the_table_shown():
    df = pd.DataFrame({"School": ["A", "B"], "Gap 2018/19": [24.0, None]})
    wb = load_workbook(io.BytesIO(common.to_excel(df)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows == [("School", "Gap 2018/19"), ("A", 24), ("B", None)]


def test_map_json_is_pydecks_json_with_pre_encoded_points():
    """The map's deck is serialised compactly, with cached point JSON spliced in: the same spec pydeck writes."""
    import json

    import pydeck as pdk

    from pages import maplayers as ml

    records = [{"urn": 1, "lon": -1.5, "lat": 51.2, "colour": [1, 2, 3, 235], "radius": 180.0,
                "tt_title": 'A "quoted" <b>name</b> & Co', "tt_1": "Gap: +3.0 pp", "tt_2": "", "tt_3": ""},
               {"urn": 2, "lon": -1.6, "lat": 51.3, "colour": [4, 5, 6, 235], "radius": 120.0,
                "tt_title": "Second", "tt_1": "", "tt_2": "", "tt_3": ""}]
    view = {"longitude": -1.5, "latitude": 51.2, "zoom": 8}
    deck = ml.deck(None, ml.PreEncoded(records), None, view)
    plain = ml.deck(None, records, None, view)
    assert json.loads(deck.to_json()) == json.loads(pdk.Deck.to_json(plain))
    assert deck.layers[0].data == records  # the records are back in place after serialising
    assert json.loads(deck.to_json()) == json.loads(deck.to_json())


def test_trend_lines_break_at_years_without_comparable_results():
    import numpy as np

    from pages import boardcharts

    # LA 1 has KS2 gaps for 2018/19 and 2022/23 (and a stray 2019/20 figure, not comparable); LA 2 for 2022/23.
    series = pd.DataFrame({"la_code": [1, 1, 1, 2], "year": [2019, 2020, 2023, 2023],
                           "gap": [20.0, 99.0, 24.0, 18.0]})
    tf = boardcharts.trend_frame(series, "la_code", {1: "Northam"}, "ks2")
    assert tf["year"].tolist() == [2019, 2020, 2021, 2022, 2023] * 2
    assert tf["area"].tolist() == ["Northam"] * 5 + ["2"] * 5  # unnamed areas keep their code
    # No KS2 tests in 2019/20 and 2020/21, no comparable school-level KS2 in 2021/22: missing, never filled in.
    assert np.isnan(tf["gap"].to_numpy()[[1, 2, 3, 5, 6, 7, 8]]).all()
    assert tf["gap"].to_numpy()[[0, 4, 9]].tolist() == [20.0, 24.0, 18.0]


def test_a_typo_still_finds_the_school_among_thousands_that_share_a_word():
    # 3,000 other junior and infant schools, alphabetically first: a score that ties them all (WRatio gave each
    # "... Junior School" 85.5 for "crookam junior") would list them instead of the school meant.
    decoys = pd.DataFrame({"urn": range(200000, 203000),
                           "name": [f"Abbey {i} {'Junior' if i % 2 else 'Infant'} School" for i in range(3000)],
                           "town": "Smethwick", "postcode": "B67 5LT"})
    index = pd.concat([decoys, INDEX, pd.DataFrame({
        "urn": [116403], "name": ["Crookham Church of England Aided Infant School"], "town": ["Fleet"],
        "postcode": ["GU52 6BU"]})], ignore_index=True)
    assert common.search_schools(index, "Crookam junior")["urn"].iloc[0] == 100001  # Church Crookham Junior
    # Both Crookham infant schools before any other, though one has the two words apart.
    assert set(common.search_schools(index, "crookham infant")["urn"].head(2)) == {100002, 116403}
    assert common.search_schools(index, "Ringwod Juniour")["urn"].iloc[0] == 100004


def test_search_hits_leave_out_facts_the_register_does_not_give():
    full = common.search_hit_label("Church Crookham Junior School", "Fleet", "GU52 8BW", "Hampshire", "Primary", 115976)
    assert full == "Church Crookham Junior School — Fleet, GU52 8BW · Hampshire · Primary · URN 115976"
    bare = common.search_hit_label("Ashbrook Junior School", "Derby", float("nan"), "", float("nan"), 147927)
    assert bare == "Ashbrook Junior School — Derby · URN 147927"
