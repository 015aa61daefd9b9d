"""KS2/KS4 performance-table readers on small files written in the official layout."""
from __future__ import annotations

import pandas as pd
import pytest

from gapdata.sources import ks2, ks4
from gapdata.sources.base import SourceError
from gapdata.values import parse_value
from tests.unit.ks_fixtures import KS2_HEADER, ks2_row, write_ks2, write_rows


def _cell(res, urn, year, measure, grp):
    df = res.tables["school_results"]
    hit = df[(df.urn == urn) & (df.year == year) & (df.measure == measure) & (df.grp == grp)]
    assert len(hit) == 1, f"expected one row for {urn} {year} {measure} {grp}, got {len(hit)}"
    return hit.iloc[0]


@pytest.mark.parametrize("raw, expected", [
    ("71%", (71.0, None)), ("-0.4", (-0.4, None)), (" 12 ", (12.0, None)), ("1,234", (1234.0, None)),
    ("SUPP", (None, "SUPP")), ("NE", (None, "NE")), ("LOWCOV", (None, "LOWCOV")), ("z", (None, "z")),
    (".", (None, ".")), ("", (None, "EMPTY")), (None, (None, "EMPTY")), ("x", (None, "x")),
])
def test_parse_value_keeps_codes_and_never_makes_zero(raw, expected):
    assert parse_value(raw) == expected


def test_ks2_reads_groups_percentages_and_cohorts(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv"))
    d = _cell(res, 100001, 2019, "rwm_exp", "dis")
    assert (d.value, d.cohort) == (50.0, 10) and pd.isna(d.status)
    o = _cell(res, 100001, 2019, "rwm_exp", "oth")
    assert (o.value, o.cohort) == (77.0, 30)
    p = _cell(res, 100001, 2019, "read_prog", "dis")
    assert (p.value, p.lower, p.upper) == (-1.0, -3.0, 1.0)
    assert _cell(res, 100001, 2019, "rwm_exp", "diffn").value == -21.0


def test_ks2_suppressed_value_is_missing_with_code_not_zero(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv"))
    d = _cell(res, 100002, 2019, "rwm_exp", "dis")
    assert d.status == "SUPP"
    assert d.value != d.value  # NaN: missing, never 0
    assert d.cohort == 4


def test_prior_year_columns_become_their_own_year_with_estimated_cohort(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv"))
    assert res.years == [2018, 2019]
    d = _cell(res, 100001, 2018, "rwm_exp", "dis")
    assert d.value == 40.0
    assert d.cohort == 10 and bool(d.cohort_estimated)  # 20% of TELIG_18 = 50


def test_la_and_england_rows_are_official_comparators_not_schools(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv"))
    assert set(res.tables["school_results"].urn) == {100001, 100002}
    area = res.tables["area_results"]
    la = area[(area.level == "la") & (area.year == 2019) & (area.measure == "rwm_exp") & (area.grp == "dis")]
    assert la.value.tolist() == [48.0] and la.area_name.tolist() == ["Testshire"]
    eng = area[(area.level == "england") & (area.year == 2019) & (area.measure == "rwm_exp") & (area.grp == "oth")]
    assert eng.value.tolist() == [71.0] and eng.kind.tolist() == ["england_state"]


def test_columns_matched_by_name_case_insensitively_in_any_order(tmp_path):
    header = [h.upper() for h in KS2_HEADER]
    order = list(reversed(range(len(header))))
    row = ks2_row()
    write_rows(tmp_path / "2018-2019_850_ks2final.csv", [header[i] for i in order], [[row[i] for i in order]])
    res = ks2.read(tmp_path / "2018-2019_850_ks2final.csv")
    assert _cell(res, 100001, 2019, "rwm_exp", "oth").value == 77.0


def test_truncated_new_row_registers_school_and_is_kept_as_reject(tmp_path):
    rows = [ks2_row(), ["1", "850", "100009", "New Academy", "Townham", "SO1 1AB", "AC", "NEW"]]
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv", rows))
    assert 100009 in set(res.tables["schools"].urn)
    assert 100009 not in set(res.tables["school_results"].urn)
    rej = [r for r in res.rejects if r.line == 3]
    assert rej and "no results published" in rej[0].reason
    assert res.rows_read == 2 and res.rows_loaded == 1


def test_duplicate_urn_keeps_first_and_rejects_second_with_line(tmp_path):
    rows = [ks2_row(), ks2_row(rwm_d="10%")]
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv", rows))
    assert _cell(res, 100001, 2019, "rwm_exp", "dis").value == 50.0
    assert [(r.line, r.column) for r in res.rejects] == [(3, "URN")]


def test_unparseable_value_is_rejected_by_line_and_column_and_row_kept(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "2018-2019_850_ks2final.csv", [ks2_row(rwm_d="5O%")]))
    bad = [r for r in res.rejects if r.column == "PTRWM_EXP_FSM6CLA1A"]
    assert bad and bad[0].line == 2 and bad[0].value == "5O%"
    assert _cell(res, 100001, 2019, "rwm_exp", "dis").status == "INVALID"
    assert _cell(res, 100001, 2019, "rwm_exp", "oth").value == 77.0


def test_year_from_suffixes_when_file_is_renamed(tmp_path):
    res = ks2.read(write_ks2(tmp_path / "my_download.csv"))
    assert max(res.years) == 2019


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"\xef\xbb\xbfRECTYPE,URN,SCHNAME\r\n1,1,A\r\n", "LEA"),
    (b"RECTYPE,LEA,URN,PTRWM_EXP\r\n1,850,1,\xff\xfe\r\n", "UTF-8"),
])
def test_bad_files_raise_source_error_naming_file(tmp_path, content, words):
    p = tmp_path / "2018-2019_850_ks2final.csv"
    p.write_bytes(content)
    with pytest.raises(SourceError) as exc:
        ks2.read(p)
    assert words in str(exc.value) and p.name in str(exc.value)


def test_ks4_uses_nfsm_columns_and_ignores_grade_suffixes_as_years(tmp_path):
    header = ["RECTYPE", "LEA", "URN", "SCHNAME", "TPUP", "TFSM6CLA1A", "TNOTFSM6CLA1A", "ATT8SCR_FSM6CLA1A",
              "ATT8SCR_NFSM6CLA1A", "P8MEA_FSM6CLA1A", "P8CILOW_FSM6CLA1A", "P8CIUPP_FSM6CLA1A", "P8PUP_FSM6CLA1A",
              "PTFSM6CLA1ABASICS_94", "PTNOTFSM6CLA1ABASICS_94", "ATT8SCR_FSM6CLA1A_17"]
    rows = [["1", "936", "200001", "Gamma School", "150", "30", "120", "35.5", "52.0", "-0.45", "-0.8", "-0.1",
             "28", "48%", "NE", "33.0"]]
    p = write_rows(tmp_path / "2017-2018_936_ks4final.csv", header, rows)
    assert ks4.sniff(p) and not ks2.sniff(p)
    res = ks4.read(p)
    assert res.years == [2017, 2018]
    assert _cell(res, 200001, 2018, "att8", "oth").value == 52.0
    p8 = _cell(res, 200001, 2018, "p8", "dis")
    assert (p8.value, p8.lower, p8.upper, p8.cohort) == (-0.45, -0.8, -0.1, 28)
    assert _cell(res, 200001, 2018, "em94", "oth").status == "NE"
    assert _cell(res, 200001, 2017, "att8", "dis").value == 33.0
