"""Social Mobility Commission "State of the Nation" attainment indicators (derived from DfE data, not DfE format).

IN11 "Level of development at age 5" = EYFSP good level of development (ks `eyfs`, measure `gld`);
IN12 "Attainment at age 11" = KS2 % at the expected standard in reading, writing and maths (`ks2`, `rwm_exp`);
IN13 "Attainment at age 16" = KS4 % with grade 5 or above in English and maths (`ks4`, `em95`). The files
only say "Attainment at age 16" (unit Percentage); their England figures equal DfE's E&M grade 5+ (v2.0,
2018/19: 43.4 all pupils, 24.8 disadvantaged, 50.1 others = DfE revised `pt_l2basics_95`), so em95 it is.

Two layouts, matched by column name: v1.0/v2.0 (`Ind_code, Area_type, Area_code, Area_name, Time_period, SEB,
Sex, Category_type, Category, Value, Unit …`) and v3.0 (`measure_code, area_type, area_code, area_name,
primary/secondary/tertiary/fourth_split_type/_value, time_period, value, unit`). Rows used: sex Total, no
ethnicity/IDACI/category split, a percentage unit (not the gap index), and a socio-economic group (SEB).
Some ITL2 blocks give proportions (0.47) under unit "Percentage": a block whose values all lie in 0..1 is
scaled to per cent, with a note. `Sample_size` is not used as cohort: in v1.0 it counts pupils reaching the
standard, not pupils in the group.
"""
from __future__ import annotations

import csv
from pathlib import Path

from gapdata.sources.base import ReadResult, SourceError
from gapdata.sources.eyfsp import AreaRows, Table, academic_year, load_table
from gapdata.values import parse_value

KIND = "smc"

INDICATORS = {
    "IN11": ("eyfs", "gld", "EYFSP good level of development (%)"),
    "IN12": ("ks2", "rwm_exp", "KS2 reading, writing and maths at the expected standard (%)"),
    "IN13": ("ks4", "em95", "KS4 English and maths grade 5 or above (%)"),
}
_LEVELS = {"local authority": "la", "itl2": "itl2", "national": "england", "country": "england"}
_V1 = ("ind_code", "area_type", "area_code", "seb", "value")
_V3 = ("measure_code", "area_type", "primary_split_type", "primary_split_value", "value")
_SPLITS = ("primary", "secondary", "tertiary", "fourth")
_HARMLESS_SPLITS = {"", "na", "time_period", "area_name", "quintile", "seb", "sex"}
_EMPTY = {"", "na", "total"}


def _first_rows(path: Path, n: int = 2) -> list[list[str]]:
    with open(path, "rb") as fh:
        head = fh.read(65536).decode("utf-8-sig", errors="replace")
    return [[c.strip() for c in r] for r in csv.reader(head.splitlines()[:n])]


def sniff(path: Path) -> bool:
    """An SMC full-dataset CSV (either layout) whose first row is one of the attainment indicators IN11–IN13."""
    if Path(path).suffix.lower() != ".csv":
        return False
    try:
        rows = _first_rows(Path(path))
    except OSError:
        return False
    if len(rows) < 2:
        return False
    cols = [c.lower() for c in rows[0]]
    for layout, code_col in ((_V1, "ind_code"), (_V3, "measure_code")):
        if all(c in cols for c in layout):
            i = cols.index(code_col)
            return i < len(rows[1]) and rows[1][i].upper() in INDICATORS
    return False


def grp_of(seb: str) -> str | None:
    """SMC socio-economic group -> grp: Disadvantaged / Not known to be disadvantaged -> dis / oth;
    FSM, FSM eligible, Eligible for free school meals -> fsm; Not (known to be) FSM eligible, Not eligible…,
    All other pupils (EYFSP's complement of FSM) -> notfsm; Total -> all. None for anything else."""
    t = seb.strip().lower()
    if t == "total":
        return "all"
    neg = t.startswith(("not ", "non")) or "other" in t
    if "disadvantaged" in t:
        return "oth" if neg else "dis"
    if "fsm" in t or "free school meal" in t:
        return "notfsm" if neg else "fsm"
    if t == "all other pupils":
        return "notfsm"
    return None


def _fields(t: Table, row: list[object], v3: bool) -> dict[str, str] | None:
    """The row's indicator, area, period, SEB and sex; None when it carries any other split (ethnicity …)."""
    f = {"ind": t.text(row, "measure_code" if v3 else "ind_code").upper(),
         "area_type": t.text(row, "area_type"), "area_code": t.text(row, "area_code"),
         "area_name": t.text(row, "area_name"), "time_period": t.text(row, "time_period"),
         "unit": t.text(row, "unit"), "seb": "", "sex": "Total"}
    if v3:
        for s in _SPLITS:
            typ, val = t.text(row, f"{s}_split_type").lower(), t.text(row, f"{s}_split_value")
            if typ not in _HARMLESS_SPLITS:
                return None
            if typ in ("seb", "sex"):
                f[typ] = val
        return f
    f["seb"], f["sex"] = t.text(row, "seb"), t.text(row, "sex") or "Total"
    for typ_col, val_col in (("category_type", "category"), ("category_type2", "category2")):
        # A category type (e.g. Ethnicity) marks a chart block even where the category says "Total".
        if t.text(row, typ_col).lower() not in _EMPTY or t.text(row, val_col).lower() not in _EMPTY:
            return None
    return f


def read(path: Path) -> ReadResult:
    """SMC indicator rows for `area_results` (kind 'smc'): England, ITL2 and LA values by SEB group."""
    path = Path(path)
    rows = _first_rows(path, 1)
    cols = [c.lower() for c in rows[0]] if rows else []
    if all(c in cols for c in _V3):
        v3, required = True, _V3 + ("time_period",)
    elif all(c in cols for c in _V1):
        v3, required = False, _V1 + ("time_period",)
    else:
        raise SourceError(path, "not an SMC indicator file (needs Ind_code, Area_type, Area_code, SEB, Value or "
                                "measure_code, area_type, primary_split_type/_value, value)")
    t = load_table(path, required)
    out = AreaRows(path.name, KIND, t.where)
    pending: list[tuple[int, dict]] = []
    skipped = 0
    for row, line in zip(t.rows, t.lines):
        f = _fields(t, row, v3)
        if (f is None or f["sex"].lower() != "total" or "percent" not in f["unit"].lower()
                or f["seb"].lower() in ("", "na")):
            skipped += 1
            continue
        if f["ind"] not in INDICATORS:
            out.reject_row(line, "ind_code", f["ind"], "not one of the attainment indicators IN11, IN12, IN13")
            continue
        grp = grp_of(f["seb"])
        if grp is None:
            out.reject_row(line, "seb", f["seb"], "unknown socio-economic group")
            continue
        level = _LEVELS.get(f["area_type"].lower())
        if level is None:
            out.reject_row(line, "area_type", f["area_type"], "unknown area type")
            continue
        year = academic_year(f["time_period"])
        if year is None:
            out.reject_row(line, "time_period", f["time_period"], "not an academic year (e.g. 202122 or 2024)")
            continue
        code = f["area_code"] if f["area_code"].lower() not in ("", "na") else None
        if level == "england":
            code, f["area_name"] = code or "E92000001", f["area_name"] or "England"
        if code is None and not f["area_name"]:
            out.reject_row(line, "area_code", "", "row without area code or name")
            continue
        value, status = parse_value(t.cell(row, "value"))
        pending.append((line, {"level": level, "area_code": code, "area_name": f["area_name"] or None,
                               "year": year, "ind": f["ind"], "grp": grp, "value": value, "status": status}))
    notes = _scale_proportions(pending)
    for line, r in pending:
        ks, measure, _label = INDICATORS[r["ind"]]
        out.add(line, level=r["level"], area_code=r["area_code"], area_name=r["area_name"], la_code=None,
                year=r["year"], ks=ks, measure=measure, grp=r["grp"], raw=None, value=r["value"],
                status=r["status"], column="value")
    inds = sorted({r["ind"] for _, r in pending})
    notes.insert(0, "Social Mobility Commission indicator(s), derived from DfE data: " + "; ".join(
        f"{i} = {INDICATORS[i][2]} -> {INDICATORS[i][0]} {INDICATORS[i][1]}" for i in inds))
    if any(r["level"] == "itl2" and r["area_code"] is None for _, r in pending):
        notes.append("ITL2 rows in this file have no area code: they are named only (area_name)")
    if skipped:
        notes.append(f"{skipped} rows by sex, ethnicity, IDACI or as a gap index are not used")
    notes.append("cohort left empty: SMC Sample_size is not the group's pupil count in every version")
    return out.result(KIND, path, len(t.rows), notes)


def _scale_proportions(pending: list[tuple[int, dict]]) -> list[str]:
    """Blocks (indicator, level, year) whose numeric values all lie in 0..1 are proportions: × 100."""
    blocks: dict[tuple, list[dict]] = {}
    for _line, r in pending:
        blocks.setdefault((r["ind"], r["level"], r["year"]), []).append(r)
    notes = []
    for (ind, level, year), recs in sorted(blocks.items()):
        vals = [r["value"] for r in recs if r["value"] is not None]
        if len(vals) >= 2 and all(0 <= v <= 1 for v in vals):
            for r in recs:
                if r["value"] is not None:
                    r["value"] = r["value"] * 100
            notes.append(f"{ind} {level} {year}: values given as proportions (0-1) under unit 'Percentage' "
                         f"were multiplied by 100")
    return notes
