"""KS4 school performance tables (`ks4final.csv`), 2015/16 onwards (Attainment 8 / Progress 8 era).

KS4 names the other group `NFSM6CLA1A` (not `NotFSM6CLA1A`). `_94`/`_95` are grade thresholds (9-4, 9-5),
not years. Columns are matched by name: their order differs between years.
"""
from __future__ import annotations

from pathlib import Path

from gapdata.sources.base import ReadResult, header_of
from gapdata.sources.performance import Layout, Spec, read_performance, sniff_header

KIND = "ks4final"

SPECS = (
    Spec("att8", "dis", "ATT8SCR_FSM6CLA1A"),
    Spec("att8", "oth", "ATT8SCR_NFSM6CLA1A"),
    Spec("att8", "all", "ATT8SCR"),
    Spec("att8", "diffn", "DIFFN_ATT8"),
    Spec("p8", "dis", "P8MEA_FSM6CLA1A", "P8CILOW_FSM6CLA1A", "P8CIUPP_FSM6CLA1A", "P8PUP_FSM6CLA1A"),
    Spec("p8", "oth", "P8MEA_NFSM6CLA1A", "P8CILOW_NFSM6CLA1A", "P8CIUPP_NFSM6CLA1A", "P8PUP_NFSM6CLA1A"),
    Spec("p8", "all", "P8MEA", "P8CILOW", "P8CIUPP", "P8PUP"),
    Spec("p8", "diffn", "DIFFN_P8MEA"),
    Spec("em94", "dis", "PTFSM6CLA1ABASICS_94"),
    Spec("em94", "oth", "PTNOTFSM6CLA1ABASICS_94"),
    Spec("em94", "all", "PTL2BASICS_94"),
    Spec("em95", "dis", "PTFSM6CLA1ABASICS_95"),
    Spec("em95", "oth", "PTNOTFSM6CLA1ABASICS_95"),
    Spec("em95", "all", "PTL2BASICS_95"),
    Spec("ebacc_aps", "dis", "EBACCAPS_FSM6CLA1A"),
    Spec("ebacc_aps", "oth", "EBACCAPS_NFSM6CLA1A"),
    Spec("ebacc_aps", "all", "EBACCAPS"),
)

LAYOUT = Layout(
    ks="ks4",
    school_rectypes=("1", "2"),
    la_rectypes=("4",),
    england_rectypes={"5": "england_all", "7": "england_state"},
    cohorts={"dis": "TFSM6CLA1A", "oth": "TNOTFSM6CLA1A", "all": "TPUP"},
    cohort_pct={"dis": "PTFSM6CLA1A", "oth": "PTNOTFSM6CLA1A"},
    cohort_total="TPUP",
    specs=SPECS,
    phase="Secondary",
)


def sniff(path: Path) -> bool:
    """A ks4final file: RECTYPE and URN columns plus Attainment 8 / Progress 8 columns."""
    return sniff_header(header_of(path), ("ATT8SCR", "P8MEA", "ATT8SCR_FSM6CLA1A"))


def read(path: Path) -> ReadResult:
    """Read one ks4final file (national or LA extract, any year) into the store's tables."""
    return read_performance(Path(path), LAYOUT, KIND)
