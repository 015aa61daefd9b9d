"""Boundaries by year from a tiny TopoJSON of square areas; also the fixture writer the other geo tests use.

Fixture layout (lon/lat degrees, each area spans latitude 51-52):
  la (utla)  Wessex CC E10000901 [0,1] to 2022, Wessex UA E06000901 [0,1] from 2023 (the Somerset pattern);
             Bristol, City of E06000902 [1,2]; Bournemouth E06000903 [2,2.5] and Poole E06000904 [2.5,3]
             to 2018; Bournemouth, Christchurch and Poole E06000905 [2,3] from 2019.
  district   Alpha E07000901 [0,0.5] and Beta E07000902 [0.5,1] to 2022; Wessex E06000901 [0,1] from 2023;
  (ltla)     Bristol, City of E06000902 [1,2].
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gapdata.sources.base import SourceError
from geo import boundaries as bnd


def square(x0: float, x1: float, y0: float = 51.0, y1: float = 52.0) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


LA = [
    ({"areacd": "E10000901", "areanm": "Wessex", "end": 2022}, square(0, 1)),
    ({"areacd": "E06000901", "areanm": "Wessex", "start": 2023}, square(0, 1)),
    ({"areacd": "E06000902", "areanm": "Bristol, City of"}, square(1, 2)),
    ({"areacd": "E06000903", "areanm": "Bournemouth", "end": 2018}, square(2, 2.5)),
    ({"areacd": "E06000904", "areanm": "Poole", "end": 2018}, square(2.5, 3)),
    ({"areacd": "E06000905", "areanm": "Bournemouth, Christchurch and Poole", "start": 2019}, square(2, 3)),
]
DISTRICT = [
    ({"areacd": "E07000901", "areanm": "Alpha", "end": 2022}, square(0, 0.5)),
    ({"areacd": "E07000902", "areanm": "Beta", "end": 2022}, square(0.5, 1)),
    ({"areacd": "E06000901", "areanm": "Wessex", "start": 2023}, square(0, 1)),
    ({"areacd": "E06000902", "areanm": "Bristol, City of"}, square(1, 2)),
]


def write_topojson(path: Path, layers: dict[str, list] | None = None) -> Path:
    """A TopoJSON (no transform: arcs in absolute lon/lat) with one GeometryCollection per layer."""
    layers = layers or {"utla": LA, "ltla": DISTRICT}
    arcs: list = []
    objects = {}
    for name, feats in layers.items():
        geoms = []
        for props, ring in feats:
            arcs.append(ring)
            geoms.append({"type": "Polygon", "arcs": [[len(arcs) - 1]], "properties": props})
        objects[name] = {"type": "GeometryCollection", "geometries": geoms}
    path.write_text(json.dumps({"type": "Topology", "objects": objects, "arcs": arcs}))
    return path


@pytest.fixture
def topo(tmp_path: Path) -> Path:
    return write_topojson(tmp_path / "areas.topo.json")


def codes(gdf) -> set[str]:
    return set(gdf["code"])


def test_year_filter_uses_inclusive_start_and_end(topo: Path) -> None:
    assert codes(bnd.boundaries("la", 2018, topo)) == {"E10000901", "E06000902", "E06000903", "E06000904"}
    assert codes(bnd.boundaries("la", 2019, topo)) == {"E10000901", "E06000902", "E06000905"}
    assert codes(bnd.boundaries("la", 2022, topo)) == {"E10000901", "E06000902", "E06000905"}
    assert codes(bnd.boundaries("la", 2023, topo)) == {"E06000901", "E06000902", "E06000905"}
    assert codes(bnd.boundaries("district", 2022, topo)) == {"E07000901", "E07000902", "E06000902"}
    assert codes(bnd.boundaries("district", 2024, topo)) == {"E06000901", "E06000902"}


def test_result_is_wgs84_with_the_documented_columns(topo: Path) -> None:
    gdf = bnd.boundaries("la", 2024, topo)
    assert list(gdf.columns) == ["code", "name", "level", "geometry"]
    assert gdf.crs.to_epsg() == 4326
    assert set(gdf["level"]) == {"la"}
    bristol = gdf[gdf["code"] == "E06000902"].geometry.iloc[0]
    assert bristol.bounds == pytest.approx((1.0, 51.0, 2.0, 52.0))
    assert bristol.area == pytest.approx(1.0)  # a square survives simplification


def test_simplification_keeps_shared_edges_shared(tmp_path: Path) -> None:
    # Two areas sharing a wiggly edge: after simplification they must still meet without gap or overlap.
    edge = [[1.0, 51.0 + i / 50] for i in range(51)]
    edge = [[x + (0.004 if i % 2 else 0.0), y] for i, (x, y) in enumerate(edge)]
    left = [[0.0, 51.0]] + edge + [[0.0, 52.0], [0.0, 51.0]]
    right = [[2.0, 51.0], [2.0, 52.0]] + edge[::-1] + [[2.0, 51.0]]
    path = write_topojson(tmp_path / "wiggle.topo.json", {"utla": [
        ({"areacd": "E06000001", "areanm": "Left"}, left), ({"areacd": "E06000002", "areanm": "Right"}, right)]})
    gdf = bnd.boundaries("la", 2020, path, tolerance=0.01)
    a, b = gdf.geometry.iloc[0], gdf.geometry.iloc[1]
    assert shapely.get_num_coordinates(a) < len(left)
    assert a.intersection(b).area == pytest.approx(0.0, abs=1e-12)
    assert a.union(b).area == pytest.approx(2.0, abs=1e-9)


def test_each_file_is_parsed_once_per_process(topo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bnd.clear_cache()
    calls = []
    real = gpd.read_file
    monkeypatch.setattr(gpd, "read_file", lambda *a, **k: calls.append(k.get("layer")) or real(*a, **k))
    for year in (2018, 2019, 2024):
        bnd.boundaries("la", year, topo)
    assert calls == ["utla"]


def test_a_parsed_layer_is_kept_for_the_next_process_until_the_file_changes(
        topo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("GAPWATCH_CACHE_DIR", str(tmp_path / "cache"))
    bnd.clear_cache()
    first = bnd.layer("la", topo)
    assert list((tmp_path / "cache").glob("boundaries-utla-*.parquet"))
    bnd.clear_cache()  # as a new process would start
    calls = []
    real = gpd.read_file
    monkeypatch.setattr(gpd, "read_file", lambda *a, **k: calls.append(k.get("layer")) or real(*a, **k))
    again = bnd.layer("la", topo)
    assert calls == []  # read from the cache, not parsed
    assert again.drop(columns="geometry").equals(first.drop(columns="geometry"))
    assert again.geometry.geom_equals_exact(first.geometry, 0).all() and again.crs == first.crs
    simplified = bnd.boundaries("la", 2019, topo, tolerance=0.01)  # one year's areas, simplified: kept too
    bnd.clear_cache()
    assert bnd.boundaries("la", 2019, topo, tolerance=0.01).geometry.geom_equals_exact(simplified.geometry, 0).all()
    assert codes(bnd.boundaries("la", 2023, topo, tolerance=0.01)) == {"E06000901", "E06000902", "E06000905"}
    st = topo.stat()
    os.utime(topo, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the file is replaced: parse it afresh
    bnd.clear_cache()
    bnd.layer("la", topo)
    assert calls == ["utla"]


def test_unknown_level_and_missing_file(tmp_path: Path, topo: Path) -> None:
    with pytest.raises(ValueError, match="unknown level 'ward'"):
        bnd.boundaries("ward", 2020, topo)
    with pytest.raises(SourceError, match="nope.topo.json"):
        bnd.boundaries("la", 2020, tmp_path / "nope.topo.json")


def test_read_boundary_file_reprojects_bng_geojson(tmp_path: Path) -> None:
    # A 1 km square on the BNG central meridian (easting 400000 = 2°W in OSGB36; WGS84 differs by < 0.002°).
    path = tmp_path / "ctyua.geojson"
    ring = [[399500, 300000], [400500, 300000], [400500, 301000], [399500, 301000], [399500, 300000]]
    path.write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [{"type": "Feature", "properties": {"CTYUA22CD": "E06000999", "CTYUA22NM": "Squareton"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    gdf = bnd.read_boundary_file(path, "ctyua22cd", "CTYUA22NM", level="la")
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["code"]) == ["E06000999"] and list(gdf["name"]) == ["Squareton"]
    c = gdf.geometry.iloc[0].centroid
    assert c.x == pytest.approx(-2.0, abs=0.01)
    with pytest.raises(SourceError, match="no column 'LAD21CD'"):
        bnd.read_boundary_file(path, "LAD21CD", "LAD21NM")


def test_assign_areas_puts_each_school_in_the_polygon_containing_it(topo: Path) -> None:
    from pyproj import Transformer

    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    # Schools at the centres of Alpha (0.25E) and Beta (0.75E), one unlocated, one 50 km out to sea.
    e, n = to_bng.transform([0.25, 0.75, 0.5], [51.5, 51.5, 50.5])
    import pandas as pd

    schools = pd.DataFrame({"urn": [1, 2, 3, 4], "easting": [e[0], e[1], None, e[2]],
                            "northing": [n[0], n[1], None, n[2]]})
    got = bnd.assign_areas(schools, "district", 2020, topo)
    assert got.values.tolist() == [[1, "E07000901", "Alpha"], [2, "E07000902", "Beta"]]
    assert bnd.assign_areas(schools, "district", 2024, topo)["code"].tolist() == ["E06000901", "E06000901"]
