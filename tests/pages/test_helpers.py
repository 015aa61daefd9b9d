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
