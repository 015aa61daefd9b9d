"""Early Years Foundation Stage Profile (EYFSP) results by area: England, region, LA and district.

Three official layouts (EES / statistical-release tidy data), recognised by their column names:

* headline measures (e.g. `1_eyfsp_headline_measures_2022.csv`): one row per area × `characteristic` ×
  `characteristic_type` × `gender`; the free-school-meal split is `characteristic = "Free school meal
  eligibility"`. Measures: GLD %, % at expected level in all ELGs, communication/language/literacy %, average
  number of ELGs at expected level. Eligibility is *current* FSM (grp `fsm` / `notfsm`), not FSM6CLA1A.
* areas of learning (`EYFSP_LA_2_com_lit_maths_additional_tables_…xlsx`): `fsm` = FSM / All other pupils /
  Total and `area_of_learning`, with `at_least_expected_percent` (`.` = suppressed).
* all-pupil series by gender (`APS_GLD_ELG_EXP_…csv`): GLD / ELG / comm-lang-lit % and average point score,
  grp `all` only (the file has no FSM split).

The first half of this module holds small helpers for EES tidy files (years, areas, reading CSV / XLSX / zip
tables by column name) that `ks4_la` and `smc` use too.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, header_of, read_text
from gapdata.values import parse_value

KIND = "eyfsp"

AREA_COLUMNS = ["source", "kind", "level", "area_code", "area_name", "la_code", "year", "ks", "measure", "grp",
                "value", "status", "cohort"]

# ---------------------------------------------------------------------------------------------------------
# Helpers for EES-style tidy tables (shared with ks4_la and smc)
# ---------------------------------------------------------------------------------------------------------

_YEAR_PAIR = re.compile(r"^\s*(\d{4})\s*[-/]?\s*(\d{2}|\d{4})\s*$")
_YEAR_ONE = re.compile(r"^\s*(\d{4})(\.0+)?\s*$")


def academic_year(raw: object) -> int | None:
    """The END year of an academic year: 202122, '2021-2022', '2021/22' -> 2022; '2024' -> 2024.

    A bare four-digit year is already an end year (SMC files write 2023/24 as "2024"). None when unreadable.
    """
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    m = _YEAR_PAIR.match(text)
    if m and len(text.replace("-", "").replace("/", "").replace(" ", "")) in (6, 8):
        start, end = int(m.group(1)), m.group(2)
        end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
        if end_year == start + 1:
            return end_year
        return None
    m = _YEAR_ONE.match(text)
    if m and 1990 < int(m.group(1)) < 2100:
        return int(m.group(1))
    return None


@dataclass
class Table:
    """A data table read from a CSV, an XLSX sheet or a CSV inside a zip, with its header's positions."""

    path: Path
    header: list[str]
    rows: list[list[object]]
    lines: list[int]  # line (CSV) or sheet row number of each data row, for rejects
    where: str  # file name, "file.zip!member.csv" or "file.xlsx!Sheet1"
    pos: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, h in enumerate(self.header):
            self.pos.setdefault(str(h).strip().lower(), i)

    def has(self, *names: str) -> bool:
        return all(n.lower() in self.pos for n in names)

    def first(self, *names: str) -> str | None:
        """The first of these column names that the table has (lower case), or None."""
        return next((n.lower() for n in names if n.lower() in self.pos), None)

    def cell(self, row: list[object], name: str | None) -> object:
        """The cell of a column (None when the column is absent or the row is short)."""
        if name is None:
            return None
        i = self.pos.get(name.lower())
        return row[i] if i is not None and i < len(row) else None

    def text(self, row: list[object], name: str | None) -> str:
        """A cell as stripped text ('' for empty / absent); integral floats lose their '.0'."""
        v = self.cell(row, name)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()


def _csv_table(path: Path, text: str, where: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise SourceError(path, f"{where} is empty") from None
    rows, lines = [], []
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV in {where}: {exc}", line=reader.line_num) from None
    return Table(path, header, rows, lines, where)


def _zip_data_member(path: Path, zf: zipfile.ZipFile) -> str | None:
    """The data CSV in an EES zip: the .csv member that is not a `.meta.csv` field guide."""
    names = [n for n in zf.namelist() if n.lower().endswith(".csv") and not n.lower().endswith(".meta.csv")
             and not n.startswith("__MACOSX")]
    return names[0] if len(names) == 1 else None


def _xlsx_rows(path: Path):
    """(sheet name, iterator of row tuples) for each sheet of a workbook, read-only."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise SourceError(path, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    return wb, [(ws.title, ws) for ws in wb.worksheets]


def load_table(path: Path, required: tuple[str, ...]) -> Table:
    """Read the table that has all `required` columns from a CSV, an XLSX (any sheet, header in the first
    10 rows) or an EES zip (its one data CSV). SourceError naming what is missing when there is none."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                member = _zip_data_member(path, zf)
                if member is None:
                    raise SourceError(path, f"expected one data .csv in the zip, found {zf.namelist()}")
                raw = zf.read(member)
        except zipfile.BadZipFile as exc:
            raise SourceError(path, f"not a readable zip: {exc}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(path, f"{member} is not UTF-8 text (offset {exc.start})") from None
        table = _csv_table(path, text, f"{path.name}!{member}")
    elif suffix in (".xlsx", ".xlsm"):
        table = None
        wb, sheets = _xlsx_rows(path)
        try:
            for title, ws in sheets:
                header, rows, lines = None, [], []
                for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
                    if header is None:
                        names = {str(v).strip().lower() for v in values if v is not None}
                        if all(r.lower() in names for r in required):
                            header = ["" if v is None else str(v).strip() for v in values]
                        elif n >= 10:
                            break
                        continue
                    if any(v is not None and str(v).strip() != "" for v in values):
                        rows.append(list(values))
                        lines.append(n)
                if header is not None:
                    table = Table(path, header, rows, lines, f"{path.name}!{title}")
                    break
        finally:
            wb.close()
        if table is None:
            raise SourceError(path, f"no sheet has the columns {', '.join(required)}")
        return table
    else:
        table = _csv_table(path, read_text(path), path.name)
    missing = [r for r in required if not table.has(r)]
    if missing:
        raise SourceError(path, f"missing column(s) {', '.join(missing)}", column=missing[0])
    return table


def columns_of(path: Path) -> set[str]:
    """Lower-case column names of a file's data table (CSV header, first row of each XLSX sheet, or the
    data CSV of a zip), for sniffing. Empty when unreadable; never raises."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return {h.lower() for h in header_of(path)}
        if suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                member = _zip_data_member(path, zf)
                if member is None:
                    return set()
                with zf.open(member) as fh:
                    first = fh.readline(65536).decode("utf-8-sig", errors="replace")
            return {c.strip().lower() for c in next(csv.reader([first]))}
        if suffix in (".xlsx", ".xlsm"):
            wb, sheets = _xlsx_rows(path)
            try:
                out: set[str] = set()
                for _title, ws in sheets:
                    for values in ws.iter_rows(min_row=1, max_row=1, values_only=True):
                        out |= {str(v).strip().lower() for v in values if v is not None}
                return out
            finally:
                wb.close()
    except (OSError, SourceError, zipfile.BadZipFile, StopIteration, UnicodeDecodeError, ValueError):
        return set()
    return set()


_LEVELS = {"national": "england", "country": "england", "regional": "region", "local authority": "la",
           "local authority district": "district"}
# Inner and Outer London are ONS statistical sub-regions; some DfE files give them the London code.
_LONDON_PARTS = {"inner london": "E13000001", "outer london": "E13000002"}


def ees_area(t: Table, row: list[object]) -> tuple[str, str | None, str | None, int | None]:
    """(level, area_code, area_name, la_code) of an EES row, from `geographic_level` and its code columns.

    Raises ValueError naming the problem (unknown level, LA row without a code) so the caller can reject.
    """
    raw_level = t.text(row, "geographic_level")
    level = _LEVELS.get(raw_level.lower())
    if level is None:
        raise ValueError(f"unknown geographic_level '{raw_level}'")
    la_code = None
    old = t.text(row, "old_la_code")
    if old.isdigit():
        la_code = int(old)
    if level == "england":
        return level, t.text(row, "country_code") or "E92000001", t.text(row, "country_name") or "England", None
    if level == "region":
        name = t.text(row, "region_name")
        code = _LONDON_PARTS.get(name.lower()) or t.text(row, "region_code")
        if not code:
            raise ValueError("regional row without region_code")
        return level, code, name or None, None
    if level == "la":
        code = t.text(row, "new_la_code") or old
        if not code:
            raise ValueError("local-authority row without new_la_code or old_la_code")
        return level, code, t.text(row, "la_name") or None, la_code
    code = t.text(row, "lad_code")
    if not code:
        raise ValueError("district row without lad_code")
    return level, code, t.text(row, "lad_name") or None, la_code


def is_unknown_area(code: str | None) -> bool:
    """EES writes 'z' (or 'x') for the code of 'Outside of England and unknown': not a mappable area."""
    return code is None or code.lower() in ("z", "x", ":")


class AreaRows:
    """Collects area_results records from one file; flags a second row for the same area/year/measure/group.

    `reject_row` records a bad row once per line; `rows_loaded` = data rows minus rejected rows.
    """

    def __init__(self, source: str, kind: str, where: str):
        self.source, self.kind, self.where = source, kind, where
        self.records: list[dict] = []
        self.rejects: list[Reject] = []
        self.rejected_lines: set[int] = set()
        self._seen: dict[tuple, int] = {}

    def reject_row(self, line: int, column: str | None, value: object, reason: str) -> None:
        self.rejects.append(Reject(self.where, line, column, None if value is None else str(value), reason))
        self.rejected_lines.add(line)

    def add(self, line: int, *, level: str, area_code: str | None, area_name: str | None, la_code: int | None,
            year: int, ks: str, measure: str, grp: str, raw: object, cohort: object = None,
            column: str | None = None, value: float | None = None, status: str | None = None,
            kind: str | None = None) -> None:
        """Add one value. Pass `raw` (parsed: number or kept code) or an already computed value/status."""
        if raw is not None or (value is None and status is None):
            value, status = parse_value(raw)
        key = (kind or self.kind, level, area_code, area_name if not area_code else "", year, ks, measure, grp)
        if key in self._seen:
            self.rejects.append(Reject(self.where, line, column, None if raw is None else str(raw),
                                       f"second row for {level} {area_code or area_name} {year} {measure} {grp} "
                                       f"(first at line {self._seen[key]}): first kept"))
            self.rejected_lines.add(line)
            return
        self._seen[key] = line
        c, _ = parse_value(cohort)
        self.records.append({
            "source": self.source, "kind": kind or self.kind, "level": level, "area_code": area_code,
            "area_name": area_name, "la_code": la_code, "year": year, "ks": ks, "measure": measure, "grp": grp,
            "value": value, "status": status, "cohort": int(c) if c is not None else None})

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.records, columns=AREA_COLUMNS)
        for col in ("la_code", "year", "cohort"):
            df[col] = df[col].astype("Int64")
        df["value"] = df["value"].astype("float64")
        return df

    def result(self, kind: str, path: Path, n_rows: int, notes: list[str]) -> ReadResult:
        df = self.frame()
        return ReadResult(kind=kind, path=path, tables={"area_results": df}, rows_read=n_rows,
                          rows_loaded=n_rows - len(self.rejected_lines), rejects=self.rejects,
                          years=sorted({int(y) for y in df["year"].dropna()}), notes=notes)


# ---------------------------------------------------------------------------------------------------------
# EYFSP
# ---------------------------------------------------------------------------------------------------------

# measure -> candidate columns, in the headline file (2022 on) and the older all-pupil series.
_HEADLINE_MEASURES = {
    "gld": ("gld_percentage", "gld_percent"),
    "elg_all": ("elg_percentage", "elg_percent"),
    "comm_lang_lit": ("comm_lang_lit_percentage", "comm_lang_lit_percent"),
    "avg_elgs": ("average_elgs",),
    "aps": ("average_point_score",),
}
_COHORT = ("children_number", "number_of_children")
_AREAS_OF_LEARNING = {"communication and language": "al_comm_lang", "literacy": "al_literacy",
                      "mathematics": "al_maths"}


def _fsm_group(text: str) -> str | None:
    """'Known to be eligible for free school meals' / 'FSM' -> fsm; 'Not known to be eligible…' /
    'All other pupils' -> notfsm; 'Total' -> all; anything else None."""
    t = text.strip().lower()
    if t == "total":
        return "all"
    if t.startswith("not ") or "other" in t or t.startswith("non"):
        return "notfsm"
    if t in ("fsm", "eligible", "fsm eligible") or ("eligible" in t and "free school meal" in t):
        return "fsm"
    return None


def _layout(cols: set[str]) -> str | None:
    if not {"geographic_level", "time_period"} <= cols:
        return None
    if {"area_of_learning", "at_least_expected_percent", "fsm"} <= cols:
        return "areas"
    has_gld = bool({"gld_percentage", "gld_percent"} & cols)
    if has_gld and {"characteristic", "characteristic_type"} <= cols:
        return "headline"
    if has_gld and "gender" in cols and bool(set(_COHORT) & cols):
        return "series"
    return None


def sniff(path: Path) -> bool:
    """An EYFSP area table: EES columns plus GLD % (headline / all-pupil series) or areas of learning by FSM."""
    if Path(path).suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        return False
    return _layout(columns_of(path)) is not None


def read(path: Path) -> ReadResult:
    """EYFSP rows for `area_results` (ks 'eyfs'); gender Total only, FSM groups where the file has them."""
    path = Path(path)
    layout = _layout(columns_of(path))
    if layout is None:
        raise SourceError(path, "not an EYFSP area table (needs geographic_level, time_period and GLD % or "
                                "area_of_learning / at_least_expected_percent / fsm columns)")
    if layout == "areas":
        return _read_areas_of_learning(path)
    return _read_headline(path, layout)


def _read_headline(path: Path, layout: str) -> ReadResult:
    t = load_table(path, ("geographic_level", "time_period"))
    out = AreaRows(path.name, KIND, t.where)
    measures = {m: t.first(*cands) for m, cands in _HEADLINE_MEASURES.items()}
    measures = {m: c for m, c in measures.items() if c}
    cohort_col = t.first(*_COHORT)
    skipped, unknown_area = 0, 0
    for row, line in zip(t.rows, t.lines):
        gender = t.text(row, "gender")
        if gender and gender.lower() != "total":
            skipped += 1
            continue
        if layout == "headline":
            char, ctype = t.text(row, "characteristic").lower(), t.text(row, "characteristic_type")
            if char == "total" and ctype.lower() == "total":
                grp = "all"
            elif "free school meal" in char:
                grp = _fsm_group(ctype)
                if grp is None or grp == "all":
                    out.reject_row(line, "characteristic_type", ctype, "unknown free-school-meal group")
                    continue
            else:
                skipped += 1
                continue
        else:
            grp = "all"
        year = academic_year(t.text(row, "time_period"))
        if year is None:
            out.reject_row(line, "time_period", t.text(row, "time_period"), "not an academic year (e.g. 202122)")
            continue
        try:
            level, code, name, la = ees_area(t, row)
        except ValueError as exc:
            out.reject_row(line, "geographic_level", t.text(row, "geographic_level"), str(exc))
            continue
        if is_unknown_area(code):
            unknown_area += 1
            continue
        for measure, col in measures.items():
            out.add(line, level=level, area_code=code, area_name=name, la_code=la, year=year, ks="eyfs",
                    measure=measure, grp=grp, raw=t.cell(row, col), cohort=t.cell(row, cohort_col), column=col)
    used = len(t.rows) - skipped - unknown_area - len(out.rejected_lines)
    groups = "all pupils and by free-school-meal eligibility" if layout == "headline" else "all pupils only"
    notes = [f"{len(out.records)} values from {used} rows (gender Total; {groups})"]
    if skipped:
        notes.append(f"{skipped} rows for other pupil characteristics or by gender are not part of the gap "
                     f"and were not used")
    if unknown_area:
        notes.append(f"{unknown_area} rows for 'Outside of England and unknown' have no area and were not used")
    if layout == "headline":
        notes.append("FSM groups are current free-school-meal eligibility (grp fsm/notfsm), not FSM6CLA1A")
    return out.result(KIND, path, len(t.rows), notes)


def _read_areas_of_learning(path: Path) -> ReadResult:
    t = load_table(path, ("geographic_level", "time_period", "fsm", "area_of_learning",
                          "at_least_expected_percent"))
    out = AreaRows(path.name, KIND, t.where)
    cohort_col = t.first("number_of_pupils", "number_of_children")
    for row, line in zip(t.rows, t.lines):
        fsm = t.text(row, "fsm")
        grp = _fsm_group(fsm)
        if grp is None:
            out.reject_row(line, "fsm", fsm, "unknown free-school-meal group")
            continue
        aol = t.text(row, "area_of_learning")
        measure = _AREAS_OF_LEARNING.get(aol.lower()) or "al_" + re.sub(r"[^a-z0-9]+", "_", aol.lower()).strip("_")
        if measure == "al_":
            out.reject_row(line, "area_of_learning", aol, "no area of learning")
            continue
        year = academic_year(t.text(row, "time_period"))
        if year is None:
            out.reject_row(line, "time_period", t.text(row, "time_period"), "not an academic year (e.g. 201819)")
            continue
        try:
            level, code, name, la = ees_area(t, row)
        except ValueError as exc:
            out.reject_row(line, "geographic_level", t.text(row, "geographic_level"), str(exc))
            continue
        out.add(line, level=level, area_code=code, area_name=name, la_code=la, year=year, ks="eyfs",
                measure=measure, grp=grp, raw=t.cell(row, "at_least_expected_percent"),
                cohort=t.cell(row, cohort_col), column="at_least_expected_percent")
    notes = ["% of children at least at the expected level in each area of learning (measure al_*), "
             "by free-school-meal eligibility (FSM / All other pupils / Total)"]
    return out.result(KIND, path, len(t.rows), notes)

