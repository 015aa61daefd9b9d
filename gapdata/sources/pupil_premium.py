"""DfE pupil premium allocations by school (the "Deprivation Pupil Premium" conditions-of-grant table).

Columns are matched by name, case-insensitively, with runs of spaces collapsed and footnote numbers such as
"(7)" ignored (the 2021 file writes "Number of  Secondary pupils on roll (10)" with two spaces). Quirks:

* money cells lost their pound sign upstream: "\ufffd44,385" (U+FFFD) - every non-digit is stripped, and the
  thousands grouping must be well formed, so the truncated last cell of the 2021 file ("\ufffd21,52") is
  rejected (loaded as missing) rather than read as 2,152;
* percentages are strings ("14.50%");
* counts carry thousands separators ("1,029").

Output columns: pupils = pupils on roll; pp_eligible = total pupils eligible; allocation = total allocation
(pounds); pp_pct = the published percentage eligible when the school has pupils in one phase only, else
100 x eligible / on roll (rounded to 1 decimal, like the published figures) for schools with both phases.

Year: an allocation for financial year 2021-22 is counted as academic year 2022 (2021/22, the store's
year-ending convention). It comes from the `year` argument, else the file name: "2021-22" or
"2021_to_2022" -> 2022; a single year (`pupil_premium_2021.csv`) names the allocation's first year -> 2022.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, header_of, read_csv_rows
from gapdata.values import KNOWN_CODES, parse_value

KIND = "pupil_premium"
COLUMNS = ["urn", "la_code", "year", "pupils", "pp_eligible", "pp_pct", "allocation"]
_GROUPED = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _norm(name: str) -> str:
    name = re.sub(r"\(\d+\)", "", name)
    return re.sub(r"\s+", " ", name).strip().lower()


def sniff(path: Path) -> bool:
    """A CSV with URN and a 'number of pupils eligible for the ... pupil premium' column."""
    if Path(path).suffix.lower() != ".csv":
        return False
    cols = [_norm(h) for h in header_of(path)]
    return "urn" in cols and any("eligible" in c and "pupil premium" in c for c in cols)


def year_from_name(name: str) -> int | None:
    """Academic year (named by its end) of an allocation file: '..._2021-22...' / '..._2021.csv' -> 2022."""
    m = re.search(r"(20\d\d)\s*(?:-|_|to|_to_|-to-)\s*(20)?(\d\d)(?!\d)", name)
    if m and int(m[3]) == (int(m[1]) + 1) % 100:
        return int(m[1]) + 1
    m = re.search(r"(?<!\d)(20\d\d)(?!\d)", name)
    return int(m[1]) + 1 if m else None


def parse_amount(text: str) -> float | None:
    """A count or money cell -> number. Non-digits around the number (a lost '£') are dropped.

    Raises ValueError for a malformed number, e.g. a cell truncated inside its thousands grouping.
    """
    t = re.sub(r"[^\d,.\-]", "", text.strip())
    if not t:
        return None
    if not _GROUPED.match(t):
        raise ValueError(f"malformed number {text!r}")
    return float(t.replace(",", ""))


def read(path: Path, year: int | None = None) -> ReadResult:
    """A school-level pupil premium allocations CSV -> table `pupil_premium`."""
    path = Path(path)
    year = year if year is not None else year_from_name(path.name)
    if year is None:
        raise SourceError(path, "cannot tell the allocation year: put it in the file name (e.g. 2021-22) "
                                "or pass year=")
    header, rows = read_csv_rows(path)
    names = [_norm(h) for h in header]

    def find(pred, required: bool = True) -> int | None:
        i = next((k for k, c in enumerate(names) if pred(c)), None)
        if i is None and required:
            raise SourceError(path, "not a pupil premium allocations table: a column is missing "
                                    f"(columns: {', '.join(header)})")
        return i

    i_urn = find(lambda c: c == "urn")
    i_la = find(lambda c: c in ("la", "la code", "lacode", "la (code)"), required=False)
    i_roll = find(lambda c: c.startswith("number of pupils on roll"))
    i_elig = find(lambda c: c.startswith("total number of pupils eligible"))
    i_alloc = find(lambda c: c.startswith("total allocation"))
    phases = {p: (find(lambda c, p=p: c.startswith(f"number of {p} pupils on roll"), required=False),
                  find(lambda c, p=p: c.startswith(f"percentage of {p} pupils eligible"), required=False))
              for p in ("primary", "secondary")}
    res = ReadResult(kind=KIND, path=path, years=[year])
    out: list[dict] = []
    seen: dict[int, int] = {}

    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        res.rows_read += 1

        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        def num(i: int | None, line: int = line) -> float | None:
            raw = cell(i)
            try:
                return parse_amount(raw)
            except ValueError as exc:
                if raw.strip() not in KNOWN_CODES:
                    res.rejects.append(Reject(path.name, line, header[i], raw, f"{exc}: loaded as missing"))
                return None

        urn = cell(i_urn)
        if not urn.isdigit():
            res.rejects.append(Reject(path.name, line, header[i_urn], urn, "URN is not a number"))
            continue
        if int(urn) in seen:
            res.rejects.append(Reject(path.name, line, header[i_urn], urn,
                                      f"duplicate URN: the row at line {seen[int(urn)]} was kept"))
            continue
        seen[int(urn)] = line
        la = cell(i_la)
        pupils, eligible = num(i_roll), num(i_elig)
        on_roll = {p: num(r) for p, (r, _) in phases.items()}
        in_phase = [p for p, n in on_roll.items() if n]
        if len(in_phase) == 1 and phases[in_phase[0]][1] is not None:
            pct = parse_value(cell(phases[in_phase[0]][1]))[0]
        elif pupils and eligible is not None:
            pct = round(100.0 * eligible / pupils, 1)
        else:
            pct = None
        out.append({"urn": int(urn), "la_code": int(la) if la.isdigit() else None, "year": year,
                    "pupils": pupils, "pp_eligible": eligible, "pp_pct": pct, "allocation": num(i_alloc)})
    df = pd.DataFrame.from_records(out, columns=COLUMNS)
    for c in ("urn", "la_code", "year", "pupils", "pp_eligible"):
        df[c] = pd.array([None if v is None or v != v else int(v) for v in df[c]], dtype="Int64")
    for c in ("pp_pct", "allocation"):
        df[c] = df[c].astype(float)
    res.tables["pupil_premium"] = df
    res.rows_loaded = len(df)
    return res
