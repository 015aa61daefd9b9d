"""Existing school-improvement networks (hubs, research schools, clusters) from a user's CSV.

Columns (by name, case-insensitive; order free): `name`, `kind`, and a lead given by `lead_urn`, or
`lead_postcode`, or `lead_easting` + `lead_northing` (BNG metres); `member_urns` = URNs separated by ';'.
See config/networks.example.csv and docs/geo.md. Every problem is listed with file, line and column.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import pandas as pd

from gapdata.sources.base import Reject, SourceError, read_csv_rows

KINDS = ("Pupil Premium hub", "Research School", "English hub", "Maths hub", "Teaching School Hub",
         "Excellence-for-Everyone cluster", "Other")
COLUMNS = ["name", "kind", "lead_urn", "lead_postcode", "lead_easting", "lead_northing", "member_urns", "line"]
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")
_BNG = (0.0, 700_000.0, 0.0, 1_300_000.0)  # Great Britain's extent on the National Grid


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def read_networks(path: Path, schools: pd.DataFrame | None = None,
                  postcodes: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Reject]]:
    """DataFrame[name, kind, lead_urn, lead_postcode, lead_easting, lead_northing, member_urns (list), line]
    and the problems found.

    With `schools` (urn, easting, northing) URNs are checked and a lead URN gets its school's coordinates;
    with `postcodes` (postcode_key, easting, northing, as from gapdata.sources.codepoint) a lead postcode is
    located. A row without a name, with an unknown kind or without a usable lead is not loaded; a bad member
    URN is left out of its row. Both are listed as problems.
    """
    path = Path(path)
    header, rows = read_csv_rows(path)
    low = [h.lower() for h in header]
    col = {c: (low.index(c) if c in low else None) for c in COLUMNS[:-1]}
    missing = [c for c in ("name", "kind", "member_urns") if col[c] is None]
    if missing:
        raise SourceError(path, f"missing column(s) {', '.join(missing)} (found: {', '.join(header)})")
    if all(col[c] is None for c in ("lead_urn", "lead_postcode", "lead_easting")):
        raise SourceError(path, "needs a lead column: lead_urn, lead_postcode or lead_easting/lead_northing")
    known: dict[int, tuple[float | None, float | None]] | None = None
    if schools is not None:
        known = {int(u): (e if pd.notna(e) else None, n if pd.notna(n) else None) for u, e, n in
                 zip(schools["urn"], pd.to_numeric(schools.get("easting"), errors="coerce"),
                     pd.to_numeric(schools.get("northing"), errors="coerce"))}
    pc = None
    if postcodes is not None and not postcodes.empty:
        pc = postcodes.drop_duplicates("postcode_key").set_index("postcode_key")[["easting", "northing"]]
    kinds = {k.lower(): k for k in KINDS}
    problems: list[Reject] = []
    out, seen = [], {}

    for line, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue
        cell = {c: (row[i].strip() if i is not None and i < len(row) else "") for c, i in col.items()}

        def bad(c: str, reason: str) -> None:
            problems.append(Reject(path.name, line, header[col[c]] if col[c] is not None else c,  # noqa: B023
                                   cell[c] or None, reason))  # noqa: B023

        if not cell["name"]:
            bad("name", "empty network name")
            continue
        if cell["name"].lower() in seen:
            bad("name", f"network name used twice (first on line {seen[cell['name'].lower()]})")
            continue
        kind = kinds.get(cell["kind"].lower())
        if kind is None:
            close = difflib.get_close_matches(cell["kind"], KINDS, n=1, cutoff=0.4)
            bad("kind", f"unknown kind; expected one of: {', '.join(KINDS)}"
                + (f" (did you mean {close[0]!r}?)" if close else ""))
            continue
        lead = _lead(cell, known, pc, bad)
        if lead is None:
            continue
        members: list[int] = []
        for part in [p.strip() for p in cell["member_urns"].split(";")]:
            if not part:
                continue
            if not part.isdigit():
                bad("member_urns", f"member URN {part!r} is not a number; left out")
            elif known is not None and int(part) not in known:
                bad("member_urns", f"member URN {part} is not in the schools register; left out")
            elif int(part) in members:
                bad("member_urns", f"member URN {part} listed twice")
            else:
                members.append(int(part))
        seen[cell["name"].lower()] = line
        out.append({"name": cell["name"], "kind": kind, **lead, "member_urns": members, "line": line})
    df = pd.DataFrame(out, columns=COLUMNS)
    return df.astype({"lead_urn": "Int64", "lead_easting": "Float64", "lead_northing": "Float64"}), problems


def _lead(cell: dict[str, str], known, pc, bad) -> dict | None:
    """The lead's URN/postcode/coordinates, or None (with a problem) when none is usable."""
    lead = {"lead_urn": None, "lead_postcode": None, "lead_easting": None, "lead_northing": None}
    if cell["lead_urn"]:
        if not cell["lead_urn"].isdigit():
            bad("lead_urn", "lead URN is not a number")
            return None
        urn = int(cell["lead_urn"])
        if known is not None and urn not in known:
            bad("lead_urn", "lead URN is not in the schools register")
            return None
        lead["lead_urn"] = urn
        if known is not None:
            lead["lead_easting"], lead["lead_northing"] = known[urn]
    if cell["lead_postcode"]:
        text = re.sub(r"\s+", " ", cell["lead_postcode"].upper())
        if not _POSTCODE.match(text):
            bad("lead_postcode", "not a UK postcode")
            return None
        lead["lead_postcode"] = text
        key = text.replace(" ", "")
        if lead["lead_easting"] is None and pc is not None:
            if key in pc.index:
                lead["lead_easting"], lead["lead_northing"] = (float(v) for v in pc.loc[key])
            else:
                bad("lead_postcode", "postcode not found in the postcode file; the lead has no location")
    if cell["lead_easting"] or cell["lead_northing"]:
        e, n = _num(cell["lead_easting"]), _num(cell["lead_northing"])
        if e is None or n is None:
            bad("lead_easting" if e is None else "lead_northing", "lead easting/northing must both be numbers")
            return None
        if not (_BNG[0] <= e <= _BNG[1] and _BNG[2] <= n <= _BNG[3]):
            bad("lead_easting", f"({e:.0f}, {n:.0f}) is outside Great Britain's National Grid "
                                "(easting 0-700000, northing 0-1300000 metres)")
            return None
        lead["lead_easting"], lead["lead_northing"] = e, n
    if lead["lead_urn"] is None and lead["lead_postcode"] is None and lead["lead_easting"] is None:
        bad("lead_urn", "no lead: give lead_urn, lead_postcode or lead_easting and lead_northing")
        return None
    return lead
