"""geo/ against the real boundaries and register in ../shared/data: presets resolve, schools fall in their LA."""
from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gapdata.paths import DEFAULT_RAW_DIR
from gapdata.sources import la_codes
from geo import boundaries as bnd
from geo import liaison, regions
from geo.distance import located

pytestmark = pytest.mark.acceptance
GEO = DEFAULT_RAW_DIR / "geo"
TOPO = GEO / bnd.TOPO_FILE
GIAS = DEFAULT_RAW_DIR / "schools" / "gias" / "20220420_gias.csv"
LAD_CTY = GEO / "Local_Authority_District_to_County_(April_2021)_Lookup_in_England.csv"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not in the shared open-data bundle at {DEFAULT_RAW_DIR}")
    return path


@pytest.fixture(scope="module")
def presets() -> dict[str, regions.Preset]:
    return regions.load_presets(paths=[], boundaries_path=_need(TOPO))


@pytest.mark.parametrize("year", [2019, 2024])
@pytest.mark.parametrize("name", ["South West", "Buckinghamshire", "Hampshire and Surrey"])
def test_every_preset_member_resolves_to_a_boundary(presets, name: str, year: int) -> None:
    p = presets[name]
    res = regions.resolve(p, year, TOPO)
    assert set(res["given"]) == {m for s in p.subregions for m in s.members}
    for level, grp in res.groupby("level"):
        shapes = bnd.boundaries(level, year, TOPO)
        assert set(grp["member_code"]) <= set(shapes["code"])
    out = regions.outlines(p, year, TOPO)
    assert out["subregion"].tolist() == [s.name for s in p.subregions]
    assert out.geometry.is_valid.all() and not out.geometry.is_empty.any()


def test_reorganised_names_resolve_to_the_code_of_their_year(presets) -> None:
    sw = presets["South West"]
    code = {y: regions.resolve(sw, y, TOPO).set_index("given")["member_code"] for y in (2018, 2019, 2024)}
    assert code[2019]["Somerset"] == "E10000027" and code[2024]["Somerset"] == "E06000066"
    assert code[2018]["Dorset"] == "E10000009" and code[2019]["Dorset"] == "E06000059"
    bucks = presets["Buckinghamshire"]
    assert regions.resolve(bucks, 2019, TOPO)["member_code"].tolist() == ["E10000002"]
    assert regions.resolve(bucks, 2020, TOPO)["member_code"].tolist() == ["E06000060"]
    assert len(regions.resolve(sw, 2024, TOPO)) == 15


def test_hampshire_and_surrey_preset_has_every_district_once(presets) -> None:
    lk = pd.read_csv(_need(LAD_CTY), encoding="utf-8-sig")
    want = set(lk.loc[lk["CTY21NM"].isin(["Hampshire", "Surrey"]), "LAD21CD"])
    res = regions.resolve(presets["Hampshire and Surrey"], 2022, TOPO)
    assert len(want) == 22
    assert sorted(res["member_code"]) == sorted(want)


def _gias_schools() -> pd.DataFrame:
    with open(_need(GIAS), encoding="cp1252", newline="") as fh:
        rows = list(csv.DictReader(fh))
    df = pd.DataFrame({"urn": [int(r["URN"]) for r in rows], "la_code": [int(r["LA (code)"]) for r in rows],
                       "town": [r["Town"] for r in rows],
                       "easting": pd.to_numeric([r["Easting"] for r in rows], errors="coerce"),
                       "northing": pd.to_numeric([r["Northing"] for r in rows], errors="coerce")})
    # GIAS writes (0, 0) when it has no location (one Surrey school in this extract): not a location.
    return df[located(df)[0]]


def test_hampshire_and_surrey_schools_fall_inside_their_own_la() -> None:
    schools = _gias_schools()
    lc = la_codes.load_default(GEO)
    year = 2022
    shapes = bnd.boundaries("la", year, _need(TOPO), tolerance=0).to_crs(27700).set_index("code")
    pts = gpd.GeoSeries(gpd.points_from_xy(schools["easting"], schools["northing"]), crs=27700)
    figures = {}
    for la in (850, 936):
        mask = (schools["la_code"] == la).to_numpy()
        poly = shapes.geometry[la_codes.gss_for(lc, la, year)]
        inside = pts[mask].within(poly).to_numpy()
        dist = pts[mask][~inside].distance(poly).to_numpy()
        figures[la] = (int(mask.sum()), inside.mean(), float(dist.max()) if len(dist) else 0.0)
        print(f"LA {la}: {mask.sum()} schools, {inside.mean():.1%} inside, "
              f"furthest outside {figures[la][2]:.0f} m")
        assert mask.sum() > 100
        assert inside.mean() >= 0.97
        assert np.all(dist <= 2000)


def test_derived_groups_on_a_real_la_are_balanced_and_outlined() -> None:
    schools = _gias_schools()
    surrey = schools[schools["la_code"] == 936]
    groups = liaison.derive_groups(surrey, n=18)
    sizes = groups["group"].value_counts()
    assert len(sizes) == 18 and sizes.sum() == len(surrey)
    assert sizes.max() / sizes.min() <= 1.5
    la = bnd.boundaries("la", 2022, TOPO)
    out = liaison.group_outlines(groups, surrey, la[la["code"] == "E10000030"])
    assert len(out) == 18 and out.geometry.is_valid.all()
