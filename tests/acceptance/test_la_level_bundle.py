"""LA-level readers against the real files in ../shared/data: published figures, file agreement, row accounting."""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gapdata.paths import DEFAULT_RAW_DIR
from gapdata.sources import eyfsp, ks4_la, registry, smc

pytestmark = pytest.mark.acceptance
OUT = DEFAULT_RAW_DIR / "outcomes"
EYFSP_DIR = OUT / "la_level" / "eyfsp"
KS4_DIR = OUT / "la_level" / "ks4"
SMC_DIR = OUT / "derived_indicators" / "smc_state_of_the_nation"
SMC_LA_FILE = (DEFAULT_RAW_DIR / "schools"
               / "smc_IN12-attainment-at-age-11--by-local-authority-and-disadvantage_v1.0.csv")
HEADLINE = EYFSP_DIR / "1_eyfsp_headline_measures_2022.csv"
KS4_1819 = KS4_DIR / "201819_LA_characteristics_data_including_sen_description.xlsx"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not in the shared open-data bundle at {DEFAULT_RAW_DIR}")
    return path


def _la_level_files() -> list[Path]:
    files = [p for d in (EYFSP_DIR, KS4_DIR, SMC_DIR) if d.is_dir() for p in sorted(d.iterdir())]
    return files + ([SMC_LA_FILE] if SMC_LA_FILE.exists() else [])


def _data_rows(path: Path) -> int:
    """Non-blank data rows under the header, counted without the readers' code."""
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        n = sum(1 for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True) if any(v is not None for v in r))
        wb.close()
        return n
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".csv") and not n.endswith(".meta.csv"))
            text = zf.read(name).decode("utf-8-sig")
    else:
        text = path.read_text(encoding="utf-8-sig")
    return sum(1 for r in list(csv.reader(io.StringIO(text, newline="")))[1:] if any(c.strip() for c in r))


def _one(df: pd.DataFrame, **where) -> pd.Series:
    hit = df
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, f"expected one row for {where}, got {len(hit)}"
    return hit.iloc[0]


def test_every_la_level_file_is_recognised_and_every_row_accounted_for():
    files = _la_level_files()
    if not files:
        pytest.skip(f"no LA-level files in the shared open-data bundle at {DEFAULT_RAW_DIR}")
    mine = {eyfsp, ks4_la, smc}
    readers = {f.name: registry.recognise(f) for f in files}
    wanted = [f for f in files if f.suffix in (".csv", ".xlsx", ".zip")]
    assert all(readers[f.name] in mine for f in wanted), {n: getattr(m, "__name__", None) for n, m in readers.items()}
    for f in wanted:
        res = readers[f.name].read(f)
        assert res.rows_read == _data_rows(f), f.name
        bad_lines = {r.line for r in res.rejects}
        assert res.rows_loaded + len(bad_lines) == res.rows_read, f.name
        assert len(res.tables["area_results"]) > 0, f.name


def test_buckinghamshire_ks4_2018_19_attainment8_disadvantaged_vs_other():
    area = ks4_la.read(_need(KS4_1819)).tables["area_results"]
    bucks = area[(area.level == "la") & (area.la_code == 825) & (area.year == 2019) & (area.measure == "att8")]
    assert _one(bucks, grp="dis").value == 37.6
    assert _one(bucks, grp="oth").value == 57.9
    assert set(bucks.area_code) == {"E10000002"}  # the GSS code valid in 2018/19


def test_smc_ks2_buckinghamshire_2021_22_and_isles_of_scilly_suppressed():
    for path in (SMC_LA_FILE, SMC_DIR / "IN12-attainment-at-age-11--full-dataset.csv"):
        area = smc.read(_need(path)).tables["area_results"]
        la = area[(area.level == "la") & (area.year == 2022) & (area.ks == "ks2") & (area.measure == "rwm_exp")]
        assert _one(la, area_code="E06000060", grp="dis").value == 35.0
        assert _one(la, area_code="E06000060", grp="oth").value == 66.0
        scilly = la[la.area_code == "E06000053"]
        assert len(scilly) == 2 and scilly.value.isna().all() and set(scilly.status) == {"NA"}


def _national_headline_gld() -> dict[str, float]:
    """England 2021/22 GLD % by FSM status straight from the headline file's National rows."""
    with open(HEADLINE, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for r in rows:
        if (r["geographic_level"] == "National" and r["gender"] == "Total"
                and r["characteristic"] == "Free school meal eligibility"):
            out[r["characteristic_type"]] = float(r["gld_percentage"])
    return out


def test_england_eyfsp_2021_22_gld_by_fsm_equals_the_national_rows():
    area = eyfsp.read(_need(HEADLINE)).tables["area_results"]
    national = _national_headline_gld()
    eng = area[(area.level == "england") & (area.year == 2022) & (area.measure == "gld")]
    assert _one(eng, grp="fsm").value == national["Known to be eligible for free school meals"]
    assert _one(eng, grp="notfsm").value == national["Not known to be eligible for free school meals"]
    # The SMC v1.0 IN11 England row for 2021/22 (FSM vs all other pupils) is the same DfE figure.
    s = smc.read(_need(SMC_DIR / "IN11-level-of-development-at-age-5--full-dataset.csv")).tables["area_results"]
    s_eng = s[(s.level == "england") & (s.year == 2022)]
    assert _one(s_eng, grp="fsm").value == _one(eng, grp="fsm").value
    assert _one(s_eng, grp="notfsm").value == _one(eng, grp="notfsm").value


def test_smc_in13_is_english_and_maths_grade_5_as_in_the_dfe_file():
    dfe = ks4_la.read(_need(KS4_1819)).tables["area_results"]
    s = smc.read(_need(SMC_DIR / "IN13-2.0-attainment-at-age-16--full-dataset.csv")).tables["area_results"]
    for grp in ("dis", "oth", "fsm", "notfsm", "all"):
        ours = _one(s, level="england", year=2019, grp=grp)
        assert (ours.ks, ours.measure) == ("ks4", "em95")
        assert ours.value == _one(dfe, level="england", year=2019, measure="em95", grp=grp).value


def test_smc_itl2_proportions_come_out_as_percentages():
    s = smc.read(_need(SMC_DIR / "IN11-2.0-level-of-development-at-age-5--full-dataset.csv")).tables["area_results"]
    itl2 = s[s.level == "itl2"]
    assert len(itl2) > 0 and itl2.value.min() > 20 and itl2.value.max() < 100
