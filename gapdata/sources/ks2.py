"""KS2 school performance tables (`ks2final.csv`), 2015/16 onwards (the 'expected standard' era).

Disadvantaged = FSM6CLA1A (free school meals in the last 6 years, looked after, or adopted from care).
Column names are matched case-insensitively: DfE writes both `NotFSM6CLA1A` and `NOTFSM6CLA1A`.
"""
from __future__ import annotations

from pathlib import Path

from gapdata.sources.base import ReadResult, header_of
from gapdata.sources.performance import Layout, Spec, read_performance, sniff_header

KIND = "ks2final"


def _pair(measure: str, stem: str, diffn: str | None = None, bounds: bool = False, all_col: str | None = None):
    """Disadvantaged, other, all-pupil and vs-national columns of one KS2 measure."""
    out = []
    for grp, suffix in (("dis", "_FSM6CLA1A"), ("oth", "_NOTFSM6CLA1A")):
        v = stem + suffix
        out.append(Spec(measure, grp, v, v + "_LOWER" if bounds else None, v + "_UPPER" if bounds else None))
    a = all_col or stem
    out.append(Spec(measure, "all", a, a + "_LOWER" if bounds else None, a + "_UPPER" if bounds else None))
    if diffn:
        out.append(Spec(measure, "diffn", diffn))
    return out


SPECS = tuple(
    _pair("rwm_exp", "PTRWM_EXP", "DIFFN_RWM_EXP")
    + _pair("rwm_high", "PTRWM_HIGH", "DIFFN_RWM_HIGH")
    + _pair("read_prog", "READPROG", "DIFFN_READPROG", bounds=True)
    + _pair("writ_prog", "WRITPROG", "DIFFN_WRITPROG", bounds=True)
    + _pair("mat_prog", "MATPROG", "DIFFN_MATPROG", bounds=True)
    + _pair("read_avg", "READ_AVERAGE")
    + _pair("mat_avg", "MAT_AVERAGE")
    + _pair("gps_avg", "GPS_AVERAGE")
    + _pair("read_exp", "PTREAD_EXP")
    + _pair("writ_exp", "PTWRITTA_EXP")
    + _pair("mat_exp", "PTMAT_EXP")
    + _pair("gps_exp", "PTGPS_EXP")
)

LAYOUT = Layout(
    ks="ks2",
    school_rectypes=("1", "2"),
    la_rectypes=("3",),
    england_rectypes={"4": "england_all", "5": "england_state"},
    cohorts={"dis": "TFSM6CLA1A", "oth": "TNOTFSM6CLA1A", "all": "TELIG"},
    cohort_pct={"dis": "PTFSM6CLA1A", "oth": "PTNOTFSM6CLA1A"},
    cohort_total="TELIG",
    specs=SPECS,
    phase="Primary",
)


def sniff(path: Path) -> bool:
    """A ks2final file: RECTYPE and URN columns plus KS2 reading/writing/maths columns."""
    return sniff_header(header_of(path), ("PTRWM_EXP", "PTRWM_EXP_FSM6CLA1A", "TELIG"))


def read(path: Path) -> ReadResult:
    """Read one ks2final file (national or LA extract, any year) into the store's tables."""
    return read_performance(Path(path), LAYOUT, KIND)
