"""LA-level readers (EYFSP, KS4 by LA and characteristics, SMC indicators) on tiny files in the official layouts."""
from __future__ import annotations

import csv
import zipfile

import openpyxl
import pandas as pd
import pytest

from gapdata.sources import eyfsp, ks2, ks4, ks4_la, smc
from gapdata.sources.base import SourceError
from gapdata.sources.eyfsp import AREA_COLUMNS, academic_year


def _write_csv(path, header, rows, bom=False):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _one(df, **where):
    hit = df
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, f"expected one row for {where}, got {len(hit)}"
    return hit.iloc[0]


# --- EYFSP headline (EES tidy CSV) ------------------------------------------------------------------------
EYFSP_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
                "region_name", "old_la_code", "new_la_code", "la_name", "lad_code", "lad_name", "characteristic",
                "characteristic_type", "gender", "children_number", "average_elgs", "elg_number", "elg_percentage",
                "comm_lang_lit_number", "comm_lang_lit_percentage", "gld_number", "gld_percentage"]
_NAT = ["202122", "Academic year", "National", "E92000001", "England", "", "", "", "", "", "", ""]
_LA = ["202122", "Academic year", "Local authority", "E92000001", "England", "E12000008", "South East", "825",
       "E06000060", "Buckinghamshire", "", ""]
_LAD = ["202122", "Academic year", "Local authority district", "E92000001", "England", "E12000009", "South West",
        "908", "E06000052", "Cornwall", "E06000053", "Isles of Scilly"]
_FSM, _NOT = "Known to be eligible for free school meals", "Not known to be eligible for free school meals"


def _eyfsp_rows():
    return [
        _NAT + ["Total", "Total", "Total", "1000", "14.1", "634", "63.4", "671", "67.1", "652", "65.2"],
        _NAT + ["Total", "Total", "Girls", "490", "14.8", "346", "70.6", "361", "73.6", "352", "71.9"],
        _NAT + ["Free school meal eligibility", _FSM, "Total", "200", "12.0", "90", "45.0", "100", "50.0",
                "98", "49.0"],
        _NAT + ["Free school meal eligibility", _NOT, "Total", "800", "14.4", "536", "67.0", "566", "70.7",
                "550", "68.8"],
        _NAT + ["Ethnic group: major", "White", "Total", "700", "14.3", "454", "64.8", "478", "68.3", "464",
                "66.3"],
        _LA + ["Free school meal eligibility", _FSM, "Total", "724", "12.1", "276", "38.1", "303", "41.9", "284",
               "39.2"],
        _LA + ["Free school meal eligibility", _NOT, "Total", "5442", "14.6", "3600", "66.2", "3794", "69.7",
               "3668", "67.4"],
        _LAD + ["Free school meal eligibility", _FSM, "Total", "3", "z", "z", "z", "z", "z", "z", "z"],
    ]


def test_eyfsp_headline_reads_fsm_groups_years_and_levels(tmp_path):
    path = _write_csv(tmp_path / "1_eyfsp_headline_measures_2022.csv", EYFSP_HEADER, _eyfsp_rows(), bom=True)
    assert eyfsp.sniff(path) and not ks4_la.sniff(path) and not smc.sniff(path)
    res = eyfsp.read(path)
    area = res.tables["area_results"]
    assert list(area.columns) == AREA_COLUMNS
    assert res.years == [2022]  # 202122 is the year ending 2022
    fsm = _one(area, level="england", measure="gld", grp="fsm")
    assert (fsm.value, fsm.cohort, fsm.area_code, fsm.ks) == (49.0, 200, "E92000001", "eyfs")
    assert _one(area, level="england", measure="gld", grp="notfsm").value == 68.8
    assert _one(area, level="england", measure="gld", grp="all").value == 65.2
    assert _one(area, level="england", measure="comm_lang_lit", grp="fsm").value == 50.0
    assert _one(area, level="england", measure="elg_all", grp="notfsm").value == 67.0
    la = _one(area, level="la", measure="gld", grp="fsm")
    assert (la.area_code, la.la_code, la.area_name, la.value, la.cohort) == ("E06000060", 825, "Buckinghamshire",
                                                                              39.2, 724)
    # Girls and ethnicity rows are not part of the gap: never mixed into the totals.
    assert len(area[(area.level == "england") & (area.measure == "gld")]) == 3


def test_eyfsp_suppressed_z_is_missing_with_code_not_zero(tmp_path):
    path = _write_csv(tmp_path / "h.csv", EYFSP_HEADER, _eyfsp_rows())
    area = eyfsp.read(path).tables["area_results"]
    d = _one(area, level="district", measure="gld", grp="fsm")
    assert d.area_code == "E06000053" and d.la_code == 908
    assert pd.isna(d.value) and d.status == "z"
    assert d.cohort == 3


def test_eyfsp_every_row_is_counted_loaded_or_rejected(tmp_path):
    rows = _eyfsp_rows()
    rows.append(_LA + ["Free school meal eligibility", "Unknown", "Total", "5", "1", "1", "1", "1", "1", "1", "1"])
    rows.append(["2021-2023"] + _LA[1:] + ["Total", "Total", "Total", "5", "1", "1", "1", "1", "1", "1", "1"])
    res = eyfsp.read(_write_csv(tmp_path / "h.csv", EYFSP_HEADER, rows))
    assert res.rows_read == len(rows)
    bad_lines = {r.line for r in res.rejects}
    assert bad_lines == {len(rows), len(rows) + 1}  # CSV lines of the two bad rows (header is line 1)
    assert res.rows_loaded + len(bad_lines) == res.rows_read


def test_eyfsp_missing_column_is_a_source_error(tmp_path):
    path = _write_csv(tmp_path / "h.csv", ["time_period", "geographic_level", "gld_percentage", "characteristic"],
                      [["202122", "National", "65", "Total"]])
    with pytest.raises(SourceError):
        eyfsp.read(path)


# --- EYFSP areas of learning (xlsx) -----------------------------------------------------------------------
AOL_HEADER = ["time_identifier", "time_period", "geographic_level", "country_code", "country_name", "region_code",
              "region_name", "old_la_code", "new_la_code", "la_name", "fsm", "area_of_learning",
              "number_of_pupils", "at_least_expected_number", "at_least_expected_percent"]


def _write_xlsx(path, header, rows, title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_eyfsp_areas_of_learning_xlsx(tmp_path):
    la = ["Academic year", 201819, "Local Authority", "E92000001", "England", "E12000008", "South East", "825",
          "E10000002", "Buckinghamshire"]
    nat = ["Academic year", 201819, "National", "E92000001", "England", " ", " ", " ", " ", " "]
    rows = [nat + ["FSM", "Literacy", 89742, 56000, 62],
            la + ["FSM", "Communication and Language", 400, 280, 70],
            la + ["All other pupils", "Communication and Language", 5800, 5000, 86],
            la + ["Total", "Mathematics", 6200, 5200, 84],
            la + ["FSM", "Mathematics", 4, ".", "."]]
    path = _write_xlsx(tmp_path / "EYFSP_LA_2_com_lit_maths_additional_tables_2013_2019.xlsx", AOL_HEADER, rows)
    assert eyfsp.sniff(path) and not ks4_la.sniff(path)
    res = eyfsp.read(path)
    area = res.tables["area_results"]
    assert res.years == [2019] and res.rows_read == 5 and res.rows_loaded == 5
    d = _one(area, level="la", measure="al_comm_lang", grp="fsm")
    assert (d.value, d.cohort, d.area_code, d.la_code) == (70.0, 400, "E10000002", 825)
    assert _one(area, level="la", measure="al_comm_lang", grp="notfsm").value == 86.0
    assert _one(area, level="la", measure="al_maths", grp="all").value == 84.0
    assert pd.isna(_one(area, level="england", measure="al_literacy", grp="fsm").la_code)
    s = _one(area, level="la", measure="al_maths", grp="fsm")
    assert pd.isna(s.value) and s.status == "."


# --- KS4 by LA and characteristics: EES zip of totals ---------------------------------------------------------
KS4Z_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
               "region_name", "old_la_code", "new_la_code", "la_name", "version", "school_characteristic",
               "breakdown", "characteristic_gender", "characteristic_free_school_meals",
               "characteristic_disadvantage", "characteristic_first_language", "characteristic_sen_status",
               "characteristic_ethnic_major", "t_inp8calc", "t_p8score", "t_pupils", "t_ebacc_e_ptq_ee",
               "t_l2basics_95", "t_l2basics_94", "t_att8", "t_ebaccaps", "t_ebacc_95", "t_ebacc_94"]
_KLA = ["201718", "Academic year", "Local authority", "E92000001", "England", "E12000008", "South East", "825",
        "E10000002", "Buckinghamshire", "Revised", "State-funded schools (LA)"]
_KRG = ["201718", "Academic year", "Regional", "E92000001", "England", "E12000007", "Inner London", "", "", "",
        "Revised", "State-funded schools (LA)"]


def _ks4_zip(tmp_path, rows):
    csv_path = _write_csv(tmp_path / "KS4_2018_LA_Char_Testdata.csv", KS4Z_HEADER, rows)
    meta = tmp_path / "KS4_2018_LA_Char_Testdata.meta.csv"
    meta.write_text("col_name,col_type,label\nt_pupils,Indicator,Total number of pupils\n", encoding="utf-8")
    zpath = tmp_path / "KS4_2018_LA_Char_Testdata.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(meta, meta.name)
        zf.write(csv_path, csv_path.name)
    csv_path.unlink()
    return zpath


def test_ks4_zip_averages_are_totals_over_pupils(tmp_path):
    rows = [
        _KLA + ["Disadvantage", "Total", "Total", "disadvantaged", "Total", "Total", "Total",
                "80", "-40", "100", "20", "30", "50", "3500", "300", "10", "15"],
        _KLA + ["Disadvantage", "Total", "Total", "disadvantaged_Total_other", "Total", "Total", "Total",
                "360", "72", "400", "150", "260", "320", "22000", "2000", "100", "120"],
        _KLA + ["Disadvantage", "Boys", "Total", "disadvantaged", "Total", "Total", "Total",
                "40", "-30", "50", "10", "12", "20", "1500", "150", "5", "7"],
        _KLA + ["Ethnic_major", "Total", "Total", "Total", "Total", "Total", "WHITE",
                "400", "0", "450", "150", "250", "300", "22000", "2000", "100", "120"],
        _KLA + ["Free_school_meals", "Total", "fsm", "Total", "Total", "Total", "Total",
                "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
        _KRG + ["Disadvantage", "Total", "Total", "disadvantaged", "Total", "Total", "Total",
                "90", "-9", "100", "20", "x", "50", "3000", "300", "10", "15"],
    ]
    path = _ks4_zip(tmp_path, rows)
    assert ks4_la.sniff(path) and not eyfsp.sniff(path)
    res = ks4_la.read(path)
    area = res.tables["area_results"]
    assert list(area.columns) == AREA_COLUMNS and res.years == [2018]
    assert res.rows_read == 6 and res.rows_loaded == 6 and not res.rejects
    assert any("test data based on already published data" in n for n in res.notes)
    dis = lambda m: _one(area, level="la", measure=m, grp="dis")  # noqa: E731
    assert dis("att8").value == pytest.approx(35.0)  # 3500 / 100 pupils
    assert dis("att8").cohort == 100
    assert dis("p8").value == pytest.approx(-0.5)  # -40 / 80 pupils in Progress 8
    assert dis("p8").cohort == 80
    assert dis("em94").value == pytest.approx(50.0) and dis("em95").value == pytest.approx(30.0)
    assert dis("ebacc_aps").value == pytest.approx(3.0)
    oth = _one(area, level="la", measure="att8", grp="oth")
    assert (oth.value, oth.area_code, oth.la_code) == (pytest.approx(55.0), "E10000002", 825)
    assert _one(area, level="la", measure="p8", grp="oth").value == pytest.approx(0.2)
    # no pupils: missing, never 0 or a division error
    z = _one(area, level="la", measure="att8", grp="fsm")
    assert pd.isna(z.value) and z.status == "z"
    # a suppressed total keeps its code; Inner London gets its own ONS code, not London's
    r = _one(area, level="region", measure="em95", grp="dis")
    assert pd.isna(r.value) and r.status == "x" and r.area_code == "E13000001"
    # Boys and ethnic-group rows are not part of the gap
    assert len(area[(area.level == "la") & (area.grp == "dis")]) == 5


# --- KS4 by LA and characteristics: published xlsx with averages ------------------------------------------
KS4X_HEADER = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
               "region_name", "old_la_code", "new_la_code", "la_name", "version", "school_characteristic",
               "breakdown", "gender", "ethnic_major", "free_school_meals", "sen_status", "sen_description",
               "disadvantage", "first_language", "t_pupils", "t_att8", "avg_att8", "pt_l2basics_95",
               "pt_l2basics_94", "avg_ebaccaps", "t_inp8calc", "avg_p8score"]


def test_ks4_xlsx_uses_published_averages_by_name(tmp_path):
    la = [201819, "Academic year", "Local authority", "E92000001", "England", "E12000008", "South East", "825",
          "E10000002", "Buckinghamshire", "Revised", "State-funded schools (LA)"]
    t = ["Total"] * 3
    rows = [la + ["disadvantage", "Total"] + t + ["Total", "Disadvantaged", "Total", 803, 30193, 37.6, 29.1, 46,
                                                  3.16, 765, -0.48],
            la + ["disadvantage", "Total"] + t + ["Total", "Disadvantaged all other", "Total", 4986, 288881, 57.9,
                                                  64.8, 80.2, 5.2, 4549, 0.27],
            la + ["Total", "Total"] + t + ["Any SEN", "Total", "Total", 753, 26409, 35.1, 20, 30, 2, 700, -0.9],
            la + ["Total", "Total"] + t + ["Total", "Total", "Total", 5789, 319045, 55.1, 59.9, 75.5, 4.92, 5314,
                                           0.16]]
    # Columns in another order than the header above: the reader goes by name.
    order = list(reversed(range(len(KS4X_HEADER))))
    path = _write_xlsx(tmp_path / "201819_LA_characteristics.xlsx", [KS4X_HEADER[i] for i in order],
                       [[r[i] for i in order] for r in rows])
    assert ks4_la.sniff(path)
    area = ks4_la.read(path).tables["area_results"]
    assert _one(area, measure="att8", grp="dis").value == 37.6
    assert _one(area, measure="att8", grp="oth").value == 57.9
    assert _one(area, measure="p8", grp="dis").cohort == 765
    assert _one(area, measure="em95", grp="oth").value == 64.8
    assert _one(area, measure="att8", grp="all").value == 55.1  # the SEN-description row is not "all"
    assert set(area.year) == {2019}


# --- SMC indicators ---------------------------------------------------------------------------------------
SMC_V1 = ["Ind_code", "Ind_name", "Area_type", "Area_code", "Area_name", "Time_period", "SEB", "Age", "Sex",
          "Category_type", "Category", "Value", "Sample_size", "LCI", "UCI", "SE", "Unit", "Value_note"]


def test_smc_v1_la_rows_with_na_kept_as_code(tmp_path):
    rows = [["IN12", "Attaintment at age 11", "Local authority", "E06000060", "Buckinghamshire", "202122",
             "Disadvantaged", "11", "Total", "NA", "NA", "35", "NA", "NA", "NA", "NA", "Percentage", "NA"],
            ["IN12", "Attaintment at age 11", "Local authority", "E06000060", "Buckinghamshire", "202122",
             "Not known to be disadvantaged", "11", "Total", "NA", "NA", "66", "NA", "NA", "NA", "NA", "Percentage",
             "NA"],
            ["IN12", "Attaintment at age 11", "Local authority", "E06000053", "Isles of Scilly", "202122",
             "Disadvantaged", "11", "Total", "NA", "NA", "NA", "NA", "NA", "NA", "NA", "Percentage", "NA"],
            ["IN12", "Attaintment at age 11", "National", "E92000001", "England", "2022", "NA", "11", "Total",
             "NA", "NA", "3.2276", "NA", "NA", "NA", "NA", "Gap index", "NA"],
            ["IN12", "Attaintment at age 11", "National", "E92000001", "England", "202122", "Disadvantaged", "11",
             "Boys", "NA", "NA", "40", "NA", "NA", "NA", "NA", "Percentage", "NA"]]
    path = _write_csv(tmp_path / "smc_IN12.csv", SMC_V1, rows, bom=True)
    assert smc.sniff(path) and not eyfsp.sniff(path) and not ks4_la.sniff(path)
    assert not ks2.sniff(path) and not ks4.sniff(path)
    res = smc.read(path)
    area = res.tables["area_results"]
    assert list(area.columns) == AREA_COLUMNS and set(area.kind) == {"smc"}
    d = _one(area, area_code="E06000060", grp="dis")
    assert (d.value, d.year, d.ks, d.measure, d.level) == (35.0, 2022, "ks2", "rwm_exp", "la")
    assert _one(area, area_code="E06000060", grp="oth").value == 66.0
    s = _one(area, area_code="E06000053")
    assert pd.isna(s.value) and s.status == "NA"
    assert len(area) == 3  # the gap index and the Boys row are not percentages for the whole group
    assert res.rows_read == 5 and res.rows_loaded == 5


def test_smc_v3_itl2_proportions_scaled_and_four_digit_year(tmp_path):
    header = ["measure_code", "measure_title", "chart_type", "area_code", "area_type", "area_name",
              "primary_split_type", "primary_split_value", "secondary_split_type", "secondary_split_value",
              "tertiary_split_type", "tertiary_split_value", "fourth_split_type", "fourth_split_value",
              "time_period", "value", "lci", "uci", "sample_size", "unit", "value_note"]
    rows = [["in13", "Attainment at age 16", "trend", "E92000001", "Country", "England", "seb", "Disadvantaged",
             "time_period", "2024", "", "", "", "", "2024", "26", "", "", "164599", "Percentage", ""],
            ["in13", "Attainment at age 16", "sex", "E92000001", "Country", "England", "sex", "Girls", "seb",
             "Disadvantaged", "", "", "", "", "2024", "28", "", "", "", "Percentage", ""],
            ["in13", "Attainment at age 16", "geography_map", "", "ITL2", "Devon", "seb", "FSM eligible",
             "area_name", "Devon", "quintile", "2", "", "", "2024", "0.2", "", "", "", "Percent", ""],
            ["in13", "Attainment at age 16", "geography_map", "", "ITL2", "Devon", "seb", "Not FSM eligible",
             "area_name", "Devon", "quintile", "2", "", "", "2024", "0.5", "", "", "", "Percent", ""]]
    path = _write_csv(tmp_path / "IN13-3.0.csv", header, rows)
    assert smc.sniff(path)
    res = smc.read(path)
    area = res.tables["area_results"]
    e = _one(area, level="england", grp="dis")
    assert (e.value, e.year, e.ks, e.measure, e.area_code) == (26.0, 2024, "ks4", "em95", "E92000001")
    assert pd.isna(e.cohort)
    fsm = _one(area, level="itl2", grp="fsm")
    assert fsm.value == pytest.approx(20.0) and fsm.area_name == "Devon" and pd.isna(fsm.area_code)
    assert _one(area, level="itl2", grp="notfsm").value == pytest.approx(50.0)
    assert any("proportions" in n for n in res.notes)


def test_smc_sniff_ignores_other_smc_indicators(tmp_path):
    rows = [["CI1", "Conditions of childhood", "Local authority", "E06000060", "Buckinghamshire", "2024", "Total",
             "NA", "Total", "NA", "NA", "0.3", "NA", "NA", "NA", "NA", "z-score", "NA"]]
    assert not smc.sniff(_write_csv(tmp_path / "CI1.csv", SMC_V1, rows))


@pytest.mark.parametrize("raw, year", [("202122", 2022), (201819, 2019), (201819.0, 2019), ("2021-2022", 2022),
                                       ("2010/11", 2011), ("2024", 2024), ("2019-2021", None), ("", None),
                                       ("Total", None)])
def test_academic_year_is_the_end_year(raw, year):
    assert academic_year(raw) == year
