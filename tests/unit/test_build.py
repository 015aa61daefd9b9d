"""Store build: atomic replacement, per-file summary, rejects kept, the file's own year winning."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from gapdata.build import BuildError, build_store
from gapdata.cli import main
from tests.unit.ks_fixtures import ks2_row, write_ks2


@pytest.fixture
def raw(tmp_path):
    d = tmp_path / "raw"
    d.mkdir()
    write_ks2(d / "2018-2019_850_ks2final.csv")
    (d / "README.md").write_text("notes")
    return d


def test_build_writes_store_and_summary(raw, tmp_path):
    store = tmp_path / "s.duckdb"
    rep = build_store(raw, store)
    files = {f.file: f for f in rep.files}
    f = files["2018-2019_850_ks2final.csv"]
    assert (f.kind, f.rows_read, f.rows_loaded, f.rows_rejected, f.status) == ("ks2final", 4, 4, 0, "loaded")
    assert files["README.md"].status == "ignored"
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(DISTINCT urn) FROM school_results").fetchone()[0] == 2
    src = con.execute("SELECT sha256, rows_read FROM sources WHERE kind = 'ks2final'").fetchone()
    assert len(src[0]) == 64 and src[1] == 4


def test_failed_strict_build_leaves_previous_store_readable(raw, tmp_path):
    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    before = store.read_bytes()
    (raw / "2017-2018_850_ks2final.csv").write_bytes(b"RECTYPE,LEA,URN,PTRWM_EXP\r\n1,850,1,\xff\r\n")
    with pytest.raises(BuildError, match="2017-2018_850_ks2final.csv"):
        build_store(raw, store, strict=True)
    assert store.read_bytes() == before
    assert not list(tmp_path.glob("s.duckdb.building*"))
    con = duckdb.connect(str(store), read_only=True)
    assert con.execute("SELECT count(*) FROM schools").fetchone()[0] == 2


def test_bad_file_is_skipped_with_reason_and_rest_loads(raw, tmp_path):
    (raw / "2017-2018_850_ks2final.csv").write_bytes(b"RECTYPE,LEA,URN,PTRWM_EXP\r\n1,850,1,\xff\r\n")
    rep = build_store(raw, tmp_path / "s.duckdb")
    bad = next(f for f in rep.files if f.file == "2017-2018_850_ks2final.csv")
    assert bad.status == "skipped" and "UTF-8" in bad.message and "line 2" in bad.message


def test_rejected_rows_are_kept_with_reason(raw, tmp_path):
    write_ks2(raw / "2018-2019_850_ks2final.csv", [ks2_row(), ks2_row()])
    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    con = duckdb.connect(str(store), read_only=True)
    rows = con.execute('SELECT file, line, "column", reason FROM rejects').fetchall()
    assert rows == [("2018-2019_850_ks2final.csv", 3, "URN", rows[0][3])] and "duplicate" in rows[0][3]


def test_the_file_whose_own_year_it_is_wins(raw, tmp_path):
    # The 2018/19 file says 40% for 2017/18 (prior-year column); the 2017/18 file itself says 44%.
    write_ks2(raw / "2017-2018_850_ks2final.csv", [ks2_row(rwm_d="44%")])
    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    con = duckdb.connect(str(store), read_only=True)
    v = con.execute("SELECT value, source FROM school_results WHERE urn = 100001 AND year = 2018 "
                    "AND measure = 'rwm_exp' AND grp = 'dis'").fetchall()
    assert v == [(44.0, "2017-2018_850_ks2final.csv")]


def test_empty_raw_dir_is_an_error(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(BuildError, match="no recognised data files"):
        build_store(tmp_path / "raw", tmp_path / "s.duckdb")


def test_cli_school_and_coverage(raw, tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    assert main(["build", "--raw", str(raw), "--store", str(store), "--quiet"]) == 0
    assert main(["school", "100001", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Alpha Primary" in out and "rwm_exp" in out and "+27.0" in out  # 77 - 50
    assert main(["coverage", "--store", str(store), "--json"]) == 0
    assert '"schools": 2' in capsys.readouterr().out
    assert main(["school", "999", "--store", str(store)]) == 1


def test_school_without_a_district_code_gets_its_postcodes_district(tmp_path):
    """GIAS extracts before 2023 name the district only; district presets match on the code."""
    raw = tmp_path / "raw"
    (raw / "gias").mkdir(parents=True)
    (raw / "codepoint").mkdir()
    header = ("URN,LA (code),LA (name),EstablishmentName,PhaseOfEducation (name),Postcode,"
              "DistrictAdministrative (name),Easting,Northing")
    (raw / "gias" / "edubasealldata20220420.csv").write_text(
        header + "\n115850,850,Hampshire,Alton Infant School,Primary,GU34 1DH,East Hampshire,472080,139716\n"
        "115851,850,Hampshire,No Postcode School,Primary,,East Hampshire,472000,139700\n")
    (raw / "codepoint" / "gu.csv").write_text('"GU341DH",10,472080,139716,"E92000001","","","E10000014",'
                                              '"E07000085","E05004459"\n')
    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    con = duckdb.connect(str(store), read_only=True)
    got = dict(con.execute("SELECT urn, district_code FROM schools ORDER BY urn").fetchall())
    assert got == {115850: "E07000085", 115851: None}


def test_school_gaps_filter_before_the_pivot_gives_the_same_rows(raw, tmp_path):
    from gapdata.measures import SCHOOL_GAPS_SQL, school_gaps_sql
    from gapdata.queries import school_gaps

    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    con = duckdb.connect(str(store), read_only=True)
    urn = con.execute("SELECT min(urn) FROM school_results").fetchone()[0]
    after = con.execute(f"SELECT * FROM ({SCHOOL_GAPS_SQL}) g WHERE urn = ? ORDER BY ks, measure, year",
                        [urn]).fetchall()
    before = con.execute(f"SELECT * FROM ({school_gaps_sql('urn = ?')}) g ORDER BY ks, measure, year",
                         [urn]).fetchall()
    assert before == after and len(after) > 0
    assert len(school_gaps(con, [urn])) == len(after)


def test_school_gaps_table_is_the_pivot_of_school_results(raw, tmp_path):
    """The panel reads the stored pivot; it must hold exactly what pivoting school_results gives."""
    from gapdata.measures import SCHOOL_GAPS_SQL
    from gapdata.panel import school_panel

    store = tmp_path / "s.duckdb"
    build_store(raw, store)
    con = duckdb.connect(str(store), read_only=True)
    cols = ("urn, la_code, year, ks, measure, dis, dis_status::VARCHAR, dis_n, oth, oth_status::VARCHAR, oth_n, "
            "diffn, gap")
    stored = con.execute(f"SELECT {cols} FROM school_gaps ORDER BY ks, measure, urn, year").fetchall()
    pivot = con.execute(f"SELECT {cols} FROM ({SCHOOL_GAPS_SQL}) g ORDER BY ks, measure, urn, year").fetchall()
    assert stored == pivot and len(stored) > 0
    assert any(r[6] == "SUPP" for r in stored)  # suppression codes survive as codes, not zeros
    ks, measure = stored[0][3], stored[0][4]
    panel = school_panel(con, ks, measure)
    # A store built before the table existed is pivoted on the fly, with the same result.
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as w:
        w.execute(f"ATTACH '{store}' AS new (READ_ONLY)")
        w.execute("CREATE TABLE school_results AS SELECT * FROM new.school_results")
        w.execute("CREATE TABLE schools AS SELECT * FROM new.schools")
    legacy = school_panel(duckdb.connect(str(old), read_only=True), ks, measure)
    assert len(panel) > 0
    pd.testing.assert_frame_equal(panel.astype({"dis_status": object, "oth_status": object}),
                                  legacy.astype({"dis_status": object, "oth_status": object}))


def test_parallel_readers_build_the_same_store_as_one_reader(tmp_path, monkeypatch):
    """Large builds read files in worker processes; the store (and its file order) must not change."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(34):  # enough files for the parallel path
        la = str(800 + i)
        write_ks2(raw / f"2018-2019_{la}_ks2final.csv",
                  [ks2_row(lea=la, urn=str(200000 + 2 * i)), ks2_row(lea=la, urn=str(200001 + 2 * i), rwm_d="SUPP")])
    (raw / "broken_ks2final.csv").write_text("RECTYPE,URN\n1,1\n")  # skipped with its reason, in file order
    stores = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("GAPDATA_BUILD_WORKERS", workers)
        stores[workers] = tmp_path / f"s{workers}.duckdb"
        rep = build_store(raw, stores[workers])
        assert [f.status for f in rep.files].count("loaded") == 34
    one, two = (duckdb.connect(str(stores[w]), read_only=True) for w in ("1", "2"))
    for table in ("school_results", "area_results", "schools", "sources", "rejects"):
        q = f"SELECT * FROM {table} ORDER BY ALL"
        assert one.execute(q).fetchall() == two.execute(q).fetchall(), table
    assert one.execute("SELECT file FROM sources").fetchall() == two.execute("SELECT file FROM sources").fetchall()
