"""Sub-region presets: TOML loading and merging, name resolution across reorganisations, config errors."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo import regions
from geo.regions import ConfigError
from tests.unit.test_geo_boundaries import write_topojson

PRESET = """
[[preset]]
name = "Test"
description = "two sub-regions"
level = "la"

[[preset.subregion]]
name = "North"
members = ["WESSEX", "City of Bristol"]

[[preset.subregion]]
name = "South"
members = ["Bournemouth Christchurch & Poole"]
"""


@pytest.fixture
def topo(tmp_path: Path) -> Path:
    return write_topojson(tmp_path / "areas.topo.json")


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def load(tmp_path: Path, topo: Path, text: str) -> dict[str, regions.Preset]:
    return regions.load_presets(write(tmp_path, text), shipped=None, boundaries_path=topo)


def test_names_resolve_to_the_codes_valid_in_each_year(tmp_path: Path, topo: Path) -> None:
    p = load(tmp_path, topo, PRESET)["Test"]
    r2018 = regions.resolve(p, 2018, topo)
    assert list(r2018.columns) == ["subregion", "member_code", "member_name", "level", "given"]
    # Before BCP existed its name stands for the two unitaries it was formed from.
    assert r2018[["subregion", "member_code"]].values.tolist() == [
        ["North", "E10000901"], ["North", "E06000902"], ["South", "E06000903"], ["South", "E06000904"]]
    r2024 = regions.resolve(p, 2024, topo)
    assert r2024["member_code"].tolist() == ["E06000901", "E06000902", "E06000905"]
    assert r2024["member_name"].tolist() == ["Wessex", "Bristol, City of", "Bournemouth, Christchurch and Poole"]


def test_districts_follow_a_merger_into_the_new_unitary(tmp_path: Path, topo: Path) -> None:
    text = PRESET.replace('level = "la"', 'level = "district"').replace(
        '["WESSEX", "City of Bristol"]', '["Alpha"]').replace('["Bournemouth Christchurch & Poole"]', '["Bristol"]')
    p = load(tmp_path, topo, text)["Test"]
    assert regions.resolve(p, 2022, topo)["member_code"].tolist() == ["E07000901", "E06000902"]
    assert regions.resolve(p, 2023, topo)["member_code"].tolist() == ["E06000901", "E06000902"]


def test_gss_and_dfe_codes_are_members_too(tmp_path: Path, topo: Path) -> None:
    lc = pd.DataFrame({"la_code": [933, 933, 801], "gss": ["E10000901", "E06000901", "E06000902"],
                       "name": ["Wessex", "Wessex", "Bristol"], "valid_from": [None, 2023, None],
                       "valid_to": [2022, None, None]}).astype({"valid_from": "Int64", "valid_to": "Int64"})
    text = PRESET.replace('["WESSEX", "City of Bristol"]', '["933", "E06000902"]')
    p = regions.load_presets(write(tmp_path, text), shipped=None, boundaries_path=topo, check_names=False)["Test"]
    assert regions.resolve(p, 2019, topo, la_codes=lc)["member_code"].tolist()[:2] == ["E10000901", "E06000902"]
    assert regions.resolve(p, 2023, topo, la_codes=lc)["member_code"].tolist()[:2] == ["E06000901", "E06000902"]


def test_normalise_ignores_case_ampersand_commas_and_city_of() -> None:
    assert regions.normalise("Bristol, City of") == regions.normalise("city of BRISTOL") == "bristol"
    assert regions.normalise("Bournemouth, Christchurch & Poole") == "bournemouth christchurch and poole"
    assert regions.normalise("Herefordshire, County of") == "herefordshire"


def test_user_file_replaces_a_shipped_preset_of_the_same_name(tmp_path: Path, topo: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = write(tmp_path, PRESET + PRESET.replace('name = "Test"', 'name = "Other"'), "shipped.toml")
    mine = write(tmp_path, PRESET.replace('members = ["WESSEX", "City of Bristol"]', 'members = ["Bristol"]'))
    monkeypatch.setenv(regions.ENV_VAR, str(mine))
    presets = regions.load_presets(shipped=shipped, boundaries_path=topo)
    assert list(presets) == ["Test", "Other"]
    assert presets["Test"].subregions[0].members == ("Bristol",)
    assert presets["Test"].source == mine
    assert presets["Other"].subregions[0].members == ("WESSEX", "City of Bristol")


def error(tmp_path: Path, topo: Path, text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, topo, text)
    return str(exc.value)


def test_unknown_name_names_file_entry_and_closest_names(tmp_path: Path, topo: Path) -> None:
    msg = error(tmp_path, topo, PRESET.replace('"City of Bristol"', '"Bristoll"'))
    assert msg == (f"{tmp_path / 'mine.toml'}: preset 'Test', sub-region 'North': unknown LA 'Bristoll'. "
                   "Did you mean: 'Bristol, City of'?")


def test_an_area_in_two_subregions(tmp_path: Path, topo: Path) -> None:
    msg = error(tmp_path, topo, PRESET.replace('["Bournemouth Christchurch & Poole"]', '["Bristol"]'))
    assert msg == (f"{tmp_path / 'mine.toml'}: preset 'Test', sub-region 'South': 'Bristol' is the same area as "
                   "'City of Bristol': listed in sub-regions 'North' and 'South'")


def test_empty_subregion_and_preset_without_subregions(tmp_path: Path, topo: Path) -> None:
    msg = error(tmp_path, topo, PRESET.replace('["Bournemouth Christchurch & Poole"]', "[]"))
    assert msg == f"{tmp_path / 'mine.toml'}: preset 'Test', sub-region 'South': is empty (members = [])"
    msg = error(tmp_path, topo, '[[preset]]\nname = "Bare"\n')
    assert msg == (f"{tmp_path / 'mine.toml'}: preset 'Bare': has no sub-regions "
                   "(add [[preset.subregion]] tables)")


def test_bad_level_suggests_and_bad_toml_names_the_file(tmp_path: Path, topo: Path) -> None:
    msg = error(tmp_path, topo, PRESET.replace('level = "la"', 'level = "distric"'))
    assert "preset 'Test': level 'distric' is not one of la, district. Did you mean: 'district'?" in msg
    msg = error(tmp_path, topo, "[[preset]\nname=")
    assert msg.startswith(f"{tmp_path / 'mine.toml'}: not valid TOML")
    with pytest.raises(ConfigError, match="missing.toml: file not found"):
        regions.load_presets(tmp_path / "missing.toml", shipped=None, boundaries_path=topo)


def test_outlines_dissolve_members(tmp_path: Path, topo: Path) -> None:
    p = load(tmp_path, topo, PRESET)["Test"]
    out = regions.outlines(p, 2018, topo)
    assert out["subregion"].tolist() == ["North", "South"]
    assert out.crs.to_epsg() == 4326
    assert out.geometry.iloc[0].bounds == pytest.approx((0.0, 51.0, 2.0, 52.0))
    assert out.geometry.iloc[1].area == pytest.approx(1.0)  # Bournemouth + Poole = the later BCP square
    assert out.geometry.iloc[1].geom_type == "Polygon"


def test_shipped_presets_parse_without_boundaries() -> None:
    presets = regions.load_presets(paths=[], check_names=False)
    assert {"South West", "Buckinghamshire", "Hampshire and Surrey"} <= set(presets)
    sw = {s.name: s.members for s in presets["South West"].subregions}
    assert sw["B"] == ("Gloucestershire", "Swindon", "Wiltshire")
    hs = [m for s in presets["Hampshire and Surrey"].subregions for m in s.members]
    assert len(hs) == len(set(hs)) == 22


def test_districts_merged_later_cannot_sit_in_two_subregions(tmp_path: Path, topo: Path) -> None:
    text = PRESET.replace('level = "la"', 'level = "district"').replace(
        '["WESSEX", "City of Bristol"]', '["Alpha"]').replace('["Bournemouth Christchurch & Poole"]', '["Beta"]')
    p = load(tmp_path, topo, text)["Test"]
    assert regions.resolve(p, 2022, topo)["member_code"].tolist() == ["E07000901", "E07000902"]
    with pytest.raises(ConfigError) as exc:
        regions.resolve(p, 2023, topo)
    assert str(exc.value) == (f"{tmp_path / 'mine.toml'}: preset 'Test', sub-region 'South': in 2023 'Alpha', "
                              "'Beta' are all E06000901 (Wessex), which cannot be in sub-regions 'North' and "
                              "'South' at once")
