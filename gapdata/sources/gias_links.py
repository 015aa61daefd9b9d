"""GIAS establishment links (`links_edubasealldata*.csv`): predecessor/successor URNs.

Academy conversions, mergers and splits give a school a new URN; these links let its results be followed
across the change. Columns (matched case-insensitively): URN, LinkURN, LinkName, LinkType,
LinkEstablishedDate (dd-mm-yyyy, often blank -> NULL). GIAS writes the file in Windows-1252.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from gapdata.sources.base import ReadResult, Reject, SourceError, header_of
from gapdata.sources.gias import read_gias_csv

KIND = "gias_links"
COLUMNS = ["urn", "link_urn", "link_name", "link_type", "link_date"]


def sniff(path: Path) -> bool:
    """A CSV whose header has URN, LinkURN and LinkType."""
    if Path(path).suffix.lower() != ".csv":
        return False
    return {"URN", "LINKURN", "LINKTYPE"} <= set(header_of(path))


def parse_date(text: str) -> date | None:
    """'31-08-2021' (GIAS dd-mm-yyyy, or with '/') -> date; blank -> None; anything else: ValueError."""
    t = text.strip()
    if not t:
        return None
    parts = t.replace("/", "-").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        raise ValueError(f"not a dd-mm-yyyy date: {text!r}")
    return date(int(parts[2]), int(parts[1]), int(parts[0]))


def read(path: Path) -> ReadResult:
    """A GIAS links file -> table `school_links` (urn, link_urn, link_name, link_type, link_date)."""
    path = Path(path)
    header, rows, encoding = read_gias_csv(path)
    pos: dict[str, int] = {}
    for i, h in enumerate(header):
        pos.setdefault(h.replace(" ", "").lower(), i)
    need = {"urn": "URN", "linkurn": "LinkURN"}
    missing = [v for k, v in need.items() if k not in pos]
    if missing:
        raise SourceError(path, f"not a GIAS links file: no {' or '.join(missing)} column")
    i_name, i_type = pos.get("linkname"), pos.get("linktype")
    i_date = pos.get("linkestablisheddate")
    res = ReadResult(kind=KIND, path=path)
    out = []

    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        res.rows_read += 1
        urn, link = cell(row, pos["urn"]), cell(row, pos["linkurn"])
        if not urn.isdigit() or not link.isdigit():
            bad_col, bad = ("URN", urn) if not urn.isdigit() else ("LinkURN", link)
            res.rejects.append(Reject(path.name, line, bad_col, bad, f"{bad_col} is not a number"))
            continue
        try:
            when = parse_date(cell(row, i_date))
        except ValueError as exc:
            res.rejects.append(Reject(path.name, line, "LinkEstablishedDate", cell(row, i_date), str(exc)))
            continue
        out.append({"urn": int(urn), "link_urn": int(link), "link_name": cell(row, i_name) or None,
                    "link_type": cell(row, i_type) or None, "link_date": when})
    df = pd.DataFrame.from_records(out, columns=COLUMNS)
    df["urn"] = df["urn"].astype("Int64")
    df["link_urn"] = df["link_urn"].astype("Int64")
    df["link_date"] = pd.to_datetime(df["link_date"]).astype("datetime64[s]")
    res.tables["school_links"] = df
    res.rows_loaded = len(df)
    if encoding != "utf-8":
        res.notes.append(f"read as {encoding} (not UTF-8)")
    return res
