"""The store built from ../shared/data agrees with the files and with DfE's own LA and England rows."""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from gapdata import analytics, areas
from gapdata.build import build_store
from gapdata.paths import DEFAULT_RAW_DIR

pytestmark = pytest.mark.acceptance
RESULTS = DEFAULT_RAW_DIR / "outcomes"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    if not (RESULTS / "ks2_school_level").is_dir():
        pytest.skip(f"the shared open-data bundle is not at {DEFAULT_RAW_DIR}")
    path = tmp_path_factory.mktemp("bundle") / "bundle.duckdb"
    build_store(DEFAULT_RAW_DIR, path)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _school_rows_with_results(path: Path) -> set[int]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    head = [h.upper() for h in rows[0]]
    i_rt, i_urn = head.index("RECTYPE"), head.index("URN")
    first = min(i for i, h in enumerate(head) if h.startswith(("PTRWM", "ATT8", "TFSM6")))
    return {int(r[i_urn]) for r in rows[1:] if r[i_rt] in ("1", "2") and len(r) > first}


@pytest.mark.parametrize("ks", ["ks2", "ks4"])
def test_every_school_row_of_each_file_is_loaded_for_its_own_year(store, ks):
    files = sorted((RESULTS / f"{ks}_school_level").glob("*.csv"))
    assert files
    for f in files:
        year = int(f.name[5:9])
        la = int(f.name.split("_")[1])
        expected = _school_rows_with_results(f)
        got = {r[0] for r in store.execute(
            "SELECT DISTINCT urn FROM school_results WHERE ks = ? AND year = ? AND la_code = ? AND file_year = year",
            [ks, year, la]).fetchall()}
        assert got == expected, f"{f.name}: {len(expected - got)} missing, {len(got - expected)} extra"


def test_sources_table_accounts_for_every_row(store):
    for file, read, loaded, rejected in store.execute(
            "SELECT file, rows_read, rows_loaded, rows_rejected FROM sources WHERE status = 'loaded'").fetchall():
        assert read == loaded + rejected, file
        n_rej = store.execute("SELECT count(DISTINCT coalesce(line, -1)) FROM rejects WHERE file = ?",
                              [file]).fetchone()[0]
        assert n_rej >= rejected, f"{file}: {rejected} rows rejected but only {n_rej} kept in rejects"


@pytest.mark.parametrize("la, year, dis, oth", [(850, 2017, 47, 71), (850, 2019, 49, 73), (936, 2017, 43, 72),
                                                (936, 2019, 46, 75)])
def test_official_la_rows_match_provenance(store, la, year, dis, oth):
    got = dict(store.execute(
        "SELECT grp, value FROM area_results WHERE level = 'la' AND la_code = ? AND year = ? AND ks = 'ks2' "
        "AND measure = 'rwm_exp' AND grp IN ('dis', 'oth') AND file_year = year", [la, year]).fetchall())
    assert got == {"dis": dis, "oth": oth}


@pytest.mark.parametrize("ks, measure, years, tol", [("ks2", "rwm_exp", (2017, 2018, 2019), 1.5),
                                                      ("ks4", "att8", (2017, 2018), 1.5)])
def test_pupil_weighted_aggregates_agree_with_official_la_rows(store, ks, measure, years, tol):
    """Within `tol` (pp or points): the aggregate leaves out suppressed schools (≤5 pupils), DfE's row does not."""
    a = analytics.analyse(store, ks, measure, years[0], years[-1])
    cmp = areas.compare_official(areas.aggregate(a.panel, "la_code"), a.official)
    cmp = cmp[cmp["year"].isin(years) & cmp["official_dis"].notna() & cmp["dis"].notna()]
    assert len(cmp) >= len(years)
    worst = cmp[["diff_dis", "diff_oth"]].abs().max().max()
    assert worst <= tol, cmp[["la_code", "year", "dis", "official_dis", "oth", "official_oth"]].to_string()


def test_england_comparator_rows_present_for_each_year(store):
    years = {r[0] for r in store.execute(
        "SELECT DISTINCT year FROM area_results WHERE level = 'england' AND ks = 'ks2' AND measure = 'rwm_exp' "
        "AND grp = 'dis' AND value IS NOT NULL").fetchall()}
    assert {2017, 2018, 2019} <= years
    # Provenance: KS2 2018/19 England state-funded, disadvantaged 51% vs others 71%.
    assert store.execute("SELECT value FROM area_results WHERE level = 'england' AND kind = 'england_state' AND "
                         "year = 2019 AND ks = 'ks2' AND measure = 'rwm_exp' AND grp = 'oth'").fetchone()[0] == 71


def test_suppressed_values_are_missing_never_zero(store):
    n_zero_supp = store.execute("SELECT count(*) FROM school_results WHERE status = 'SUPP' AND value IS NOT NULL"
                                ).fetchone()[0]
    n_supp = store.execute("SELECT count(*) FROM school_results WHERE status = 'SUPP'").fetchone()[0]
    assert n_supp > 100 and n_zero_supp == 0
