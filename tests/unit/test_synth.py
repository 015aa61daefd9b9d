"""Synthetic files: official formats (names, BOM, CRLF, codes, NEW rows), gaps in the years, LA rows, readers."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from gapdata import synth
from gapdata.paths import DEFAULT_RAW_DIR

YEARS = (2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024)
SCHOOLS, LAS, SEED = 60, 3, 11


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("synth")
    synth.write_synthetic(d, schools=SCHOOLS, years=YEARS, seed=SEED, las=LAS)
    return d


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def _files(out: Path, ks: str) -> list[Path]:
    return sorted((out / f"{ks}_school_level").glob(f"*_{ks}final.csv"))


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d, seed in ((a, 3), (b, 3), (c, 4)):
        synth.write_synthetic(d, schools=40, years=(2018, 2019), seed=seed, las=2)
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "schools" / "synthetic_gias.csv").read_bytes() != (c / "schools" / "synthetic_gias.csv").read_bytes()


def test_summary_counts(tmp_path):
    s = synth.write_synthetic(tmp_path, schools=SCHOOLS, years=(2019, 2021), seed=1, las=LAS)
    assert s["schools"] == 60 and s["las"] == 3
    assert s["secondaries"] == 10 and s["primaries"] == 50  # 17.5% of 60, rounded
    assert s["years"] == {"ks2": [2019], "ks4": [2019]}
    assert s["skipped_years"] == {"ks2": [2021], "ks4": [2021]}
    assert s["rows"]["gias"] == 60
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert s["files"] == len(written)
    assert "NOT REAL" in (tmp_path / "SYNTHETIC.md").read_text()


def test_no_files_for_years_without_school_results(out):
    ks2_years = {int(p.name[5:9]) for p in _files(out, "ks2")}
    ks4_years = {int(p.name[5:9]) for p in _files(out, "ks4")}
    assert ks2_years == {2017, 2018, 2019, 2023, 2024}
    assert ks4_years == {2017, 2018, 2019, 2022, 2023, 2024}
    assert {p.name.split("_")[1] for p in _files(out, "ks2")} == {"601", "602", "603"}


def test_bom_crlf_and_official_names(out):
    path = out / "ks2_school_level" / "2018-2019_601_ks2final.csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") > 3
    header, _ = _rows(path)
    # A 2018/19 file has the 2018/19 download's columns, in its order.
    assert header == synth.KS2_COLUMNS
    assert header[:6] == ["RECTYPE", "ALPHAIND", "LEA", "ESTAB", "URN", "SCHNAME"]
    assert {"TNotFSM6CLA1A", "PTRWM_EXP_FSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A_18", "PTNOTFSM6CLA1A_17"} <= set(header)
    k4, _ = _rows(out / "ks4_school_level" / "2018-2019_601_ks4final.csv")
    assert k4 == synth.KS4_COLUMNS and "ATT8SCR_NFSM6CLA1A" in k4


def test_prior_year_columns_follow_the_file_year(out):
    h24, _ = _rows(out / "ks2_school_level" / "2023-2024_601_ks2final.csv")
    assert "PTRWM_EXP_FSM6CLA1A_23" in h24 and "TELIG_23" in h24
    assert not [c for c in h24 if c.endswith(("_22", "_18", "_17"))]  # no KS2 school results for 2021/22
    h23, _ = _rows(out / "ks2_school_level" / "2022-2023_601_ks2final.csv")
    assert not [c for c in h23 if c.endswith(("_22", "_21"))]
    k23, _ = _rows(out / "ks4_school_level" / "2022-2023_601_ks4final.csv")
    assert "ATT8SCR_FSM6CLA1A_22" in k23 and "P8MEA_FSM6CLA1A_22" in k23
    assert not [c for c in k23 if "_21" in c]


def test_prior_year_values_are_the_schools_own_earlier_values(out):
    for la in ("601", "602", "603"):
        h18, r18 = _rows(out / "ks2_school_level" / f"2017-2018_{la}_ks2final.csv")
        h19, r19 = _rows(out / "ks2_school_level" / f"2018-2019_{la}_ks2final.csv")
        i18 = {c: h18.index(c) for c in ("URN", "RECTYPE", "PTRWM_EXP_FSM6CLA1A", "TELIG")}
        i19 = {c: h19.index(c) for c in ("URN", "RECTYPE", "PTRWM_EXP_FSM6CLA1A_18", "TELIG_18")}
        before = {r[i18["URN"]]: r for r in r18 if r[0] in ("1", "2")}
        checked = 0
        for r in r19:
            if r[0] not in ("1", "2") or r[-1] == "NEW":
                continue
            old = before.get(r[i19["URN"]])
            if old is None or old[-1] == "NEW":
                assert r[i19["PTRWM_EXP_FSM6CLA1A_18"]] == "NA"
            else:
                assert r[i19["PTRWM_EXP_FSM6CLA1A_18"]] == old[i18["PTRWM_EXP_FSM6CLA1A"]]
                assert r[i19["TELIG_18"]] == old[i18["TELIG"]]
                checked += 1
        la18 = next(r for r in r18 if r[0] == "3")
        la19 = next(r for r in r19 if r[0] == "3")
        assert la19[i19["PTRWM_EXP_FSM6CLA1A_18"]] == la18[i18["PTRWM_EXP_FSM6CLA1A"]]
        assert checked > 5


def test_new_schools_are_truncated_rows(out):
    new_rows = 0
    for ks in ("ks2", "ks4"):
        for path in _files(out, ks):
            header, rows = _rows(path)
            for r in rows:
                if "NEW" in r:
                    new_rows += 1
                    assert r[-1] == "NEW" and len(r) == header.index("TOTPUPS") + 1 < len(header)
                    assert r[header.index("URN")].isdigit() and r[header.index("SCHNAME")]
                else:
                    assert len(r) == len(header)
    assert new_rows >= 1


def test_supp_exactly_where_a_group_has_five_or_fewer_pupils(out):
    seen = {"supp": 0, "value": 0}
    for path in _files(out, "ks2"):
        header, rows = _rows(path)
        for count_col, value_col in (("TFSM6CLA1A", "PTRWM_EXP_FSM6CLA1A"),
                                     ("TNotFSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A"),
                                     ("TFSM6CLA1A", "READ_AVERAGE_FSM6CLA1A")):
            ci, vi = header.index(count_col), header.index(value_col)
            for r in rows:
                if r[0] not in ("1", "2") or r[-1] == "NEW":
                    continue
                small = int(r[ci]) <= 5
                assert (r[vi] == "SUPP") == small, (path.name, r[header.index("URN")], r[ci], r[vi])
                seen["supp" if small else "value"] += 1
                if not small and value_col.startswith("PT"):
                    assert r[vi].endswith("%") and 0 <= int(r[vi][:-1]) <= 100
    assert seen["supp"] > 10 and seen["value"] > 10


def test_la_row_is_the_pupil_weighted_mean_of_unrounded_school_values(out):
    sim = synth.simulate(schools=SCHOOLS, years=YEARS, seed=SEED, las=LAS)
    df = sim.table("ks2", 2019)
    df = df[df["state"] == 2]
    for la, g in df.groupby("la_code"):
        n = g["TFSM6CLA1A"].to_numpy(float)
        v = np.nan_to_num(g["PTRWM_EXP_FSM6CLA1A"].to_numpy(float))
        expected = (n * v).sum() / n.sum()
        header, rows = _rows(out / "ks2_school_level" / f"2018-2019_{la}_ks2final.csv")
        la_row = next(r for r in rows if r[0] == "3")
        got = int(la_row[header.index("PTRWM_EXP_FSM6CLA1A")].rstrip("%"))
        assert abs(got - expected) <= 0.5 + 1e-9
        assert int(la_row[header.index("TFSM6CLA1A")]) == int(n.sum())
        assert la_row[header.index("SCHNAME")].startswith("Synthshire")


def test_area_mean_and_supp_by_hand():
    cols = [synth._Col("T", "n"), synth._Col("P", "p", "T")]
    t = {"T": np.array([10, 30, 4]), "P": np.array([50.0, 80.0, 25.0])}
    agg = synth._aggregate(t, cols, np.array([0, 0, 1]), 2)
    assert agg["T"].tolist() == [40, 4]
    assert agg["P"][0] == pytest.approx((10 * 50 + 30 * 80) / 40)  # 72.5
    cells = synth._cells(t, cols, flags=False)
    assert cells["P"].tolist() == ["50%", "80%", "SUPP"]
    assert synth._fmt(np.array([-0.45, 1.0, -0.04, np.nan]), "f1").tolist() == ["-0.4", "1", "0", ""]


def test_england_rows_and_national_gap(out):
    header, rows = _rows(out / "ks2_school_level" / "2018-2019_602_ks2final.csv")
    assert [r[0] for r in rows[-3:]] == ["3", "4", "5"]
    k4, r4 = _rows(out / "ks4_school_level" / "2018-2019_602_ks4final.csv")
    assert [r[0] for r in r4[-3:]] == ["4", "5", "7"]
    big = synth.simulate(schools=4000, years=(2019,), seed=2)
    eng = big.results["ks2"][2019].england
    dis, oth = eng["PTRWM_EXP_FSM6CLA1A"][1], eng["PTRWM_EXP_NotFSM6CLA1A"][1]
    assert 44 < dis < 56 and 64 < oth < 76 and oth - dis > 12


def test_register_is_gias_shaped_and_invented(out):
    path = out / "schools" / "synthetic_gias.csv"
    text = path.read_bytes().decode("utf-8")
    assert text.startswith('"URN","LA (code)","LA (name)"') and text.count("\n") == text.count("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == SCHOOLS
    assert {r["LA (code)"] for r in rows} == {"601", "602", "603"}
    assert all(r["Postcode"].startswith("Q") for r in rows)
    for r in rows:
        assert 150_000 <= int(r["Easting"]) <= 650_000 and 30_000 <= int(r["Northing"]) <= 650_000
    assert 702 not in synth.LA_CODES and all(501 <= c <= 799 for c in synth.LA_CODES)


def test_real_readers_load_the_files(out):
    from gapdata.sources import gias, ks2, ks4

    for ks, mod in (("ks2", ks2), ("ks4", ks4)):
        for path in [p for p in _files(out, ks) if "_601_" in p.name]:  # one LA: each read takes a while
            _, rows = _rows(path)
            n_new = sum(1 for r in rows if r and r[-1] == "NEW")
            res = mod.read(path)
            assert mod.sniff(path)
            assert len(res.rejects) == n_new, [r.reason for r in res.rejects]
            assert all(r.reason.startswith("row has") for r in res.rejects)
            year = int(path.name[5:9])
            assert max(res.years) == year
            assert not set(res.years) & synth.NO_SCHOOL_RESULTS[ks]
            sr = res.tables["school_results"]
            assert (sr["status"] == "INVALID").sum() == 0
    res = ks2.read(out / "ks2_school_level" / "2018-2019_601_ks2final.csv")
    sr = res.tables["school_results"]
    dis = sr[(sr["measure"] == "rwm_exp") & (sr["grp"] == "dis") & (sr["year"] == 2019)]
    assert set(dis["status"].dropna()) <= {"SUPP"} and dis["value"].notna().any()
    g = gias.read(out / "schools" / "synthetic_gias.csv")
    assert not g.rejects
    schools = g.tables["schools"]
    assert len(schools) == SCHOOLS and schools["easting"].notna().all()
    assert set(schools["phase"]) <= {"Primary", "Secondary", "Special", "Other"}


@pytest.mark.acceptance
def test_names_and_codes_match_the_real_downloads():
    raw = DEFAULT_RAW_DIR
    k2 = raw / "outcomes" / "ks2_school_level" / "2018-2019_850_ks2final.csv"
    k4 = raw / "outcomes" / "ks4_school_level" / "2018-2019_936_ks4final.csv"
    lookup = raw / "geo" / "lookup_dfe_las.csv"
    if not (k2.exists() and k4.exists() and lookup.exists()):
        pytest.skip(f"the open-data bundle is not at {raw}")
    assert _rows(k2)[0] == synth.KS2_COLUMNS
    assert _rows(k4)[0] == synth.KS4_COLUMNS
    with open(lookup, encoding="utf-8-sig", newline="") as fh:
        real = {int(r["old_la_code"]) for r in csv.DictReader(fh) if r["old_la_code"].strip().isdigit()}
    assert 850 in real and not real & set(synth.LA_CODES)


def test_cli_synth_writes_one_file_per_la_asked_for(tmp_path, capsys):
    from gapdata.cli import main

    assert main(["synth", "--out", str(tmp_path), "--schools", "40", "--las", "2", "--years", "2019"]) == 0
    names = sorted(p.name for p in (tmp_path / "ks2_school_level").glob("*.csv"))
    assert [n.split("_")[1] for n in names] == ["601", "602"]
