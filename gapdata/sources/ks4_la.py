"""KS4 results by local authority and pupil characteristics (EES tidy data), disadvantaged vs other pupils.

Two official layouts, both read by column name:

* the published file (e.g. `201819_LA_characteristics_data_including_sen_description.xlsx`): filters
  `breakdown`, `gender`, `disadvantage` (Disadvantaged / Disadvantaged all other), `free_school_meals` … and
  published averages `avg_att8`, `avg_p8score`, `pt_l2basics_94/95`, `avg_ebaccaps`;
* the EES upload with totals only (e.g. `KS4_2018_LA_Char_Testdata.zip`, a zip of the data CSV and its
  `.meta.csv`): filters `characteristic_*`, and totals `t_att8`, `t_p8score`, `t_pupils`, `t_inp8calc`,
  `t_l2basics_94/95`, `t_ebaccaps`. Averages are total / `t_pupils` (Progress 8: / `t_inp8calc`).

Where both an average and its totals are present the published average wins (it is the official figure).
Rows used: gender Total and every other filter Total except the disadvantage one (grp dis/oth) or the FSM
one (grp fsm/notfsm); all filters Total gives grp `all`.
"""
from __future__ import annotations

from pathlib import Path

from gapdata.sources.base import ReadResult, SourceError
from gapdata.sources.eyfsp import AreaRows, Table, academic_year, columns_of, ees_area, load_table
from gapdata.values import parse_value

KIND = "ks4_la"

# measure -> (published average column, total column, denominator column, scale)
_MEASURES = {
    "att8": ("avg_att8", "t_att8", "t_pupils", 1.0),
    "p8": ("avg_p8score", "t_p8score", "t_inp8calc", 1.0),
    "em94": ("pt_l2basics_94", "t_l2basics_94", "t_pupils", 100.0),
    "em95": ("pt_l2basics_95", "t_l2basics_95", "t_pupils", 100.0),
    "ebacc_aps": ("avg_ebaccaps", "t_ebaccaps", "t_pupils", 1.0),
}
_DIS_COLS = ("characteristic_disadvantage", "disadvantage")
_FSM_COLS = ("characteristic_free_school_meals", "free_school_meals")
_GENDER_COLS = ("characteristic_gender", "gender")
# Columns that are neither filters nor measures.
_NOT_FILTERS = {"time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                "region_code", "region_name", "old_la_code", "new_la_code", "la_name", "lad_code", "lad_name",
                "version", "school_characteristic", "breakdown", "school_type"}
_MEASURE_PREFIXES = ("t_", "avg_", "pt_", "p8score_", "num_", "pct_")
TEST_DATA_NOTE = ("the publisher (DfE ees-test-data) calls this file \"test data based on already published "
                  "data\": check figures against the published release before relying on them")


def _layout_ok(cols: set[str]) -> bool:
    return ({"geographic_level", "time_period"} <= cols and bool(set(_DIS_COLS) & cols)
            and bool({"avg_att8", "t_att8"} & cols))


def sniff(path: Path) -> bool:
    """An LA-by-characteristics KS4 table (CSV, XLSX or EES zip) with a disadvantage filter and A8 columns."""
    if Path(path).suffix.lower() not in (".csv", ".xlsx", ".xlsm", ".zip"):
        return False
    return _layout_ok(columns_of(path))


def _group(value: str, kind: str) -> str | None:
    """Filter value -> grp. 'Disadvantaged' -> dis; 'Disadvantaged all other' / 'disadvantaged_Total_other' /
    'Not disadvantaged' -> oth; 'FSM' -> fsm; 'FSM all other' / 'not FSM' -> notfsm; 'Total' -> 'total'."""
    t = value.strip().lower().replace("_", " ")
    if t == "total":
        return "total"
    other = "other" in t or t.startswith(("not ", "non"))
    if kind == "dis" and "disadvantaged" in t:
        return "oth" if other else "dis"
    if kind == "fsm" and ("fsm" in t or "free school meal" in t):
        return "notfsm" if other else "fsm"
    return None


def _filters(t: Table) -> list[str]:
    """The filter columns of the table other than disadvantage, FSM and gender (must be Total in a used row)."""
    skip = set(_DIS_COLS) | set(_FSM_COLS) | set(_GENDER_COLS) | _NOT_FILTERS
    return [c for c in t.pos if c and c not in skip and not c.startswith(_MEASURE_PREFIXES)]


def _kind(t: Table, row: list[object]) -> str:
    """`ks4_la` for state-funded LA figures; other school types keep their label so they never mix."""
    sc = t.text(row, "school_characteristic")
    return KIND if not sc or sc.lower().startswith("state-funded") else f"{KIND}: {sc}"


def _value(t: Table, row: list[object], avg: str, total: str, denom: str, scale: float):
    """(value, status, column) for one measure: the published average, else total / denominator."""
    if t.has(avg):
        v, s = parse_value(t.cell(row, avg))
        return v, s, avg
    if not (t.has(total) and t.has(denom)):
        return None, None, None
    num, s_num = parse_value(t.cell(row, total))
    den, s_den = parse_value(t.cell(row, denom))
    if s_num or s_den:
        return None, s_num or s_den, total if s_num else denom
    if den == 0:
        return None, "z", denom
    return scale * num / den, None, total


def read(path: Path) -> ReadResult:
    """KS4 area_results (ks 'ks4'; att8, p8, em94, em95, ebacc_aps) for dis/oth, fsm/notfsm and all pupils."""
    path = Path(path)
    cols = columns_of(path)
    if not _layout_ok(cols):
        raise SourceError(path, "not a KS4 LA-characteristics table (needs geographic_level, time_period, a "
                                "disadvantage filter and avg_att8 or t_att8)")
    dis_col = next(c for c in _DIS_COLS if c in cols)
    t = load_table(path, ("geographic_level", "time_period", dis_col))
    fsm_col = t.first(*_FSM_COLS)
    gender_col = t.first(*_GENDER_COLS)
    cohort_col = t.first("t_pupils")
    filters = _filters(t)
    out = AreaRows(path.name, KIND, t.where)
    measures = {m: spec for m, spec in _MEASURES.items() if t.has(spec[0]) or t.has(spec[1], spec[2])}
    if not measures:
        raise SourceError(path, "no KS4 measure columns (avg_att8 / t_att8 + t_pupils …)")
    skipped = 0
    for row, line in zip(t.rows, t.lines):
        if gender_col and t.text(row, gender_col).lower() != "total":
            skipped += 1
            continue
        if any(t.text(row, f).lower() not in ("total", "") for f in filters):
            skipped += 1
            continue
        dis_raw, fsm_raw = t.text(row, dis_col), t.text(row, fsm_col) if fsm_col else "Total"
        dis, fsm = _group(dis_raw, "dis"), _group(fsm_raw, "fsm")
        if dis is None:
            out.reject_row(line, dis_col, dis_raw, "unknown disadvantage group")
            continue
        if fsm is None:
            out.reject_row(line, fsm_col, fsm_raw, "unknown free-school-meal group")
            continue
        if dis != "total" and fsm != "total":
            skipped += 1
            continue
        grp = dis if dis != "total" else fsm if fsm != "total" else "all"
        year = academic_year(t.text(row, "time_period"))
        if year is None:
            out.reject_row(line, "time_period", t.text(row, "time_period"), "not an academic year (e.g. 201819)")
            continue
        try:
            level, code, name, la = ees_area(t, row)
        except ValueError as exc:
            out.reject_row(line, "geographic_level", t.text(row, "geographic_level"), str(exc))
            continue
        kind = _kind(t, row)
        for measure, (avg, total, denom, scale) in measures.items():
            value, status, col = _value(t, row, avg, total, denom, scale)
            cohort = t.cell(row, "t_inp8calc") if measure == "p8" and t.has("t_inp8calc") else t.cell(row, cohort_col)
            out.add(line, level=level, area_code=code, area_name=name, la_code=la, year=year, ks="ks4",
                    measure=measure, grp=grp, raw=None, value=value, status=status, cohort=cohort, column=col,
                    kind=kind)
    computed = [m for m, spec in measures.items() if not t.has(spec[0])]
    notes = [f"{len(out.records)} values (gender Total; disadvantaged vs other, FSM vs not, all pupils)"]
    if computed:
        notes.append("averages computed from totals: " + ", ".join(
            f"{m} = {'100 × ' if _MEASURES[m][3] == 100 else ''}{_MEASURES[m][1]} / {_MEASURES[m][2]}"
            for m in computed))
    if skipped:
        notes.append(f"{skipped} rows for other characteristics or by gender are not part of the gap and "
                     f"were not used")
    versions = sorted({t.text(r, "version") for r in t.rows} - {""})
    if versions:
        notes.append("data version: " + ", ".join(versions))
    if "testdata" in path.name.lower().replace("_", "").replace("-", ""):
        notes.append(TEST_DATA_NOTE)
    return out.result(KIND, path, len(t.rows), notes)
