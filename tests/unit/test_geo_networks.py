"""Network CSVs: the shipped example parses; each kind of bad cell is a problem with file, line and column."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gapdata.paths import REPO_ROOT
from gapdata.sources.base import SourceError
from geo import networks

HEADER = "Name,Kind,Lead_URN,Lead_Postcode,Lead_Easting,Lead_Northing,Member_URNs\n"


def test_shipped_example_parses_without_problems() -> None:
    df, problems = networks.read_networks(REPO_ROOT / "config" / "networks.example.csv")
    assert problems == []
    assert df["kind"].tolist() == ["Maths hub", "Excellence-for-Everyone cluster"]
    assert df["member_urns"].tolist() == [[999902, 999903, 999904], [999905, 999906]]
    assert df["lead_urn"].tolist()[0] == 999901 and df["lead_postcode"].tolist()[1] == "ZZ99 9ZZ"


def test_leads_are_located_from_schools_postcodes_or_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text(HEADER + "Hub A,maths HUB,1,,,,2;3\n"
                             "Hub B,Research School,,bs1 5aa,,,1\n"
                             "Hub C,Other,,,412345,98765,\n")
    schools = pd.DataFrame({"urn": [1, 2, 3], "easting": [400000.0, 1.0, 2.0], "northing": [100000.0, 1.0, 2.0]})
    pcs = pd.DataFrame({"postcode_key": ["BS15AA"], "easting": [358000.0], "northing": [172000.0]})
    df, problems = networks.read_networks(path, schools, pcs)
    assert problems == []
    assert df["kind"].tolist() == ["Maths hub", "Research School", "Other"]
    assert df["lead_easting"].tolist() == [400000.0, 358000.0, 412345.0]
    assert df["lead_northing"].tolist() == [100000.0, 172000.0, 98765.0]
    assert df["line"].tolist() == [2, 3, 4]


def test_problems_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ",Other,1,,,,\n"                   # 2 no name
                             "Hub,Maths hubb,1,,,,\n"           # 3 unknown kind (suggestion)
                             "Hub2,Other,,,,,1\n"               # 4 no lead
                             "Hub3,Other,77,,,,\n"              # 5 unknown lead URN
                             "Hub4,Other,,,900000,5,1\n"        # 6 outside the National Grid
                             "Hub5,Other,1,,,,2;x;88;2\n"       # 7 members: x, 88 unknown, 2 twice (row kept)
                             "hub5,Other,1,,,,\n")              # 8 name used twice
    schools = pd.DataFrame({"urn": [1, 2], "easting": [1.0, 2.0], "northing": [1.0, 2.0]})
    df, problems = networks.read_networks(path, schools)
    assert [(p.file, p.line, p.column) for p in problems] == [
        ("bad.csv", 2, "Name"), ("bad.csv", 3, "Kind"), ("bad.csv", 4, "Lead_URN"), ("bad.csv", 5, "Lead_URN"),
        ("bad.csv", 6, "Lead_Easting"), ("bad.csv", 7, "Member_URNs"), ("bad.csv", 7, "Member_URNs"),
        ("bad.csv", 7, "Member_URNs"), ("bad.csv", 8, "Name")]
    assert "did you mean 'Maths hub'?" in problems[1].reason
    assert problems[4].reason.startswith("(900000, 5) is outside Great Britain's National Grid")
    assert df["name"].tolist() == ["Hub5"] and df["member_urns"].tolist() == [[2]]


def test_missing_columns_are_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_text("name,kind,member_urns\nA,Other,1\n")
    with pytest.raises(SourceError, match="needs a lead column"):
        networks.read_networks(path)
