"""Liaison groups: reading a user's CSV with every problem listed; derived groups; Voronoi outlines."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo import liaison


def grid_schools(nx: int = 6, ny: int = 6, la: int = 999) -> pd.DataFrame:
    """nx * ny schools on a 1 km grid; the west half in 'Westbury', the east half in 'Eastham'."""
    rows = []
    for i in range(nx):
        for j in range(ny):
            rows.append({"urn": 100000 + i * ny + j, "name": f"S{i}{j}", "la_code": la,
                         "phase": "Primary" if (i + j) % 3 else "Secondary",
                         "easting": 450000.0 + 1000 * i, "northing": 150000.0 + 1000 * j,
                         "town": "Westbury" if i < nx / 2 else "Eastham"})
    return pd.DataFrame(rows)


def test_read_groups_lists_every_problem(tmp_path: Path) -> None:
    schools = grid_schools(2, 2)  # URNs 100000..100003, LA 999
    path = tmp_path / "groups.csv"
    path.write_text("\ufeffurn,Group Name,LA\r\n"
                    "100000,North,999\r\n"
                    "100001,North,\r\n"
                    "555555,North,999\r\n"       # line 4: unknown URN
                    "100000,South,999\r\n"       # line 5: listed twice
                    "100002,,999\r\n"            # line 6: empty name
                    "abc,South,999\r\n"          # line 7: not a number
                    "100003,South,850\r\n")      # line 8: LA differs (kept, school's LA used)
    groups, problems = liaison.read_groups(path, schools)
    assert groups.to_dict("records") == [
        {"urn": 100000, "group": "North", "la_code": 999, "derived": False},
        {"urn": 100001, "group": "North", "la_code": 999, "derived": False},
        {"urn": 100003, "group": "South", "la_code": 999, "derived": False}]
    assert [(p.file, p.line, p.column, p.value) for p in problems] == [
        ("groups.csv", 4, "urn", "555555"), ("groups.csv", 5, "urn", "100000"), ("groups.csv", 6, "Group Name", ""),
        ("groups.csv", 7, "urn", "abc"), ("groups.csv", 8, "LA", "850")]
    assert problems[0].reason == "unknown URN (not in the schools register)"
    assert problems[1].reason == "URN listed twice (first on line 2, which is kept)"
    assert problems[2].reason == "empty group name"


def test_read_groups_needs_urn_and_group_columns(tmp_path: Path) -> None:
    from gapdata.sources.base import SourceError

    path = tmp_path / "g.csv"
    path.write_text("URN,Cluster\n1,A\n")
    with pytest.raises(SourceError, match="needs columns URN and Group"):
        liaison.read_groups(path, grid_schools(1, 1))


def test_derived_groups_are_balanced_complete_and_deterministic() -> None:
    schools = grid_schools()
    out = liaison.derive_groups(schools, n=4)
    assert sorted(out["urn"]) == sorted(schools["urn"])  # every school exactly once
    assert out["derived"].all()
    assert sorted(out["group"].value_counts()) == [9, 9, 9, 9]  # 36 schools on a grid: four 3x3 blocks
    # Numbered north to south, then west to east, named after the most common town.
    assert sorted(out["group"].unique()) == ["Group 01 (Westbury)", "Group 02 (Eastham)", "Group 03 (Westbury)",
                                             "Group 04 (Eastham)"]
    g1 = schools.merge(out[out["group"] == "Group 01 (Westbury)"], on="urn")
    assert set(g1["easting"]) == {450000.0, 451000.0, 452000.0} and g1["northing"].min() == 153000.0
    shuffled = liaison.derive_groups(schools.sample(frac=1, random_state=5), n=4)
    assert shuffled.set_index("urn")["group"].sort_index().equals(out.set_index("urn")["group"].sort_index())


def test_uneven_counts_stay_within_one_and_a_half_times() -> None:
    schools = grid_schools(7, 9).iloc[:61]
    sizes = liaison.derive_groups(schools, n=18)["group"].value_counts()
    assert len(sizes) == 18 and sizes.sum() == 61
    assert sizes.max() / sizes.min() <= 1.5


def test_unlocated_schools_are_reported_not_grouped() -> None:
    schools = grid_schools(2, 2)
    schools.loc[0, "easting"] = None
    out = liaison.derive_groups(schools, n=2)
    assert out.attrs["unlocated"] == [100000]
    assert len(out) == 3
    assert out["group"].str.fullmatch(r"Group 0[12] \((Westbury|Eastham)\)").all()


def test_groups_of_several_las_each_la_on_its_own() -> None:
    a = grid_schools(6, 6, la=999)
    b = grid_schools(4, 4, la=111).assign(urn=lambda d: d["urn"] + 1000, easting=lambda d: d["easting"] + 50000)
    b.loc[0, "northing"] = None  # unlocated: listed, not grouped
    no_la = a.head(2).assign(urn=[9, 10], la_code=pd.NA)  # no LA: not grouped
    both = pd.concat([a, b, no_la], ignore_index=True).sample(frac=1, random_state=3)
    each = liaison.derive_groups_each_la(both, n=4)
    # The same groups (names unprefixed) as deriving each LA alone.
    alone = pd.concat([liaison.derive_groups(both[both["la_code"] == la], n=4) for la in (111, 999)])
    assert each.set_index("urn")["group"].sort_index().equals(alone.set_index("urn")["group"].sort_index())
    assert each["group"].str.startswith("Group ").all() and each["derived"].all()
    assert len(each) == 36 + 15 and not {9, 10} & set(each["urn"])
    # derive_groups on several LAs groups them separately too, prefixing each name with the LA code.
    prefixed = liaison.derive_groups(both, n=4)
    assert sorted(prefixed["group"].str.split(" ", n=1).str[0].unique()) == ["111", "999"]
    assert prefixed.attrs["unlocated"] == [int(b["urn"].iloc[0])]


def test_a_name_two_las_derive_is_qualified_by_la() -> None:
    # Two LAs whose schools are all in one town: both derive "Group 01 (Westbury)" and "Group 02 (Westbury)".
    a = grid_schools(2, 4, la=999).assign(town="Westbury")
    b = grid_schools(2, 4, la=111).assign(urn=lambda d: d["urn"] + 1000, town="Westbury")
    b.loc[b["northing"] > 151000, "town"] = "Easton"  # b's northern group is named after another town
    out = liaison.derive_groups_each_la(pd.concat([a, b]), n=2, la_names={999: "Westshire"})
    names = out.merge(pd.concat([a, b])[["urn", "la_code"]], on="urn").groupby("group")["la_code"].unique()
    assert {g: list(v) for g, v in names.items()} == {
        "Group 01 (Easton)": [111], "Group 02 (Westbury) · 111": [111],
        "Group 01 (Westbury)": [999], "Group 02 (Westbury) · Westshire": [999]}


def test_la_codes_read_as_floats_are_named_as_whole_numbers() -> None:
    # A register column with a missing LA code is float; names must still read "111", not "111.0".
    both = pd.concat([grid_schools(2, 2, la=999), grid_schools(2, 2, la=111).assign(urn=lambda d: d["urn"] + 10)])
    both = pd.concat([both, both.head(1).assign(urn=1, la_code=None)]).astype({"la_code": float})
    assert sorted(liaison.derive_groups(both, n=1)["group"].str.split(" ").str[0].unique()) == ["111", "999"]
    assert set(liaison.derive_groups_each_la(both.assign(town="Same"), n=1)["group"]) == {
        "Group 01 (Same) · 111", "Group 01 (Same) · 999"}


def test_group_outlines_cover_their_schools_inside_the_la() -> None:
    schools = grid_schools()
    groups = liaison.derive_groups(schools, n=4)
    la = gpd.GeoDataFrame({"code": ["X"]}, geometry=[shapely.box(449500, 149500, 455500, 155500)], crs=27700)
    out = liaison.group_outlines(groups, schools, la.to_crs(4326))
    assert out.crs.to_epsg() == 4326 and out["derived"].all()
    assert sorted(out["group"]) == sorted(groups["group"].unique())
    bng = out.to_crs(27700).set_index("group")
    assert bng.area.sum() == pytest.approx(6000 * 6000, rel=1e-3)  # clipped to the LA, no overlaps
    for row in schools.merge(groups, on="urn").itertuples():
        p = shapely.Point(row.easting, row.northing)
        assert bng.geometry[row.group].buffer(1).contains(p)
        others = bng.drop(index=row.group).geometry
        assert not others.contains(p).any()
