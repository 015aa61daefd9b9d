"""Parse cell values from DfE files: numbers, percentages and the codes that stand for missing.

A code such as SUPP or NE is *missing with a reason*: the value is None and the code is kept.
It is never turned into 0.
"""
from __future__ import annotations

import re

# DfE performance tables, EES and older statistical releases. Any other non-numeric token is also
# treated as missing (its text kept as the code), so a new code can never become a number.
KNOWN_CODES: dict[str, str] = {
    "SUPP": "Suppressed: usually 5 or fewer pupils covered by the measure",
    "SUPP*": "Delay in including some exam results",
    "NE": "No entries",
    "NA": "Not applicable / not available for the year",
    "NP": "Not published (e.g. independent schools' disadvantaged breakdowns)",
    "LOWCOV": "Low coverage: under 50% of pupils in a progress measure",
    "NEW": "New institution: no results yet",
    "SP": "Small percentage: between 0% and 0.5%",
    "RE": "Redacted",
    "LOW": "Low numbers",
    "DNS": "Did not sit",
    "NR": "Not reported",
    "z": "Not applicable (EES symbol)",
    "x": "Not available (EES symbol)",
    "c": "Confidential / suppressed (EES symbol)",
    "u": "Low reliability (EES symbol)",
    ".": "Not available or suppressed (older releases)",
    "..": "Not available",
    ":": "Not available",
    "EMPTY": "Blank in the file: not applicable or not computed",
}

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_value(raw: object) -> tuple[float | None, str | None]:
    """Return (number, None) for a numeric cell, or (None, code) for anything else.

    '71%' -> (71.0, None); '-0.4' -> (-0.4, None); 'SUPP' -> (None, 'SUPP'); '' -> (None, 'EMPTY').
    Percent signs, thousands separators and surrounding spaces are stripped.
    """
    if raw is None:
        return None, "EMPTY"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw != raw:  # NaN
            return None, "EMPTY"
        return float(raw), None
    text = str(raw).strip()
    if text == "":
        return None, "EMPTY"
    cleaned = text.rstrip("%").replace(",", "").strip()
    if _NUM.match(cleaned):
        return float(cleaned), None
    return None, text


def code_meaning(code: str | None) -> str:
    """Plain-English meaning of a status code (unknown codes are described as such)."""
    if code is None:
        return ""
    return KNOWN_CODES.get(code, KNOWN_CODES.get(code.upper(), f"Non-numeric value '{code}' in the file"))
