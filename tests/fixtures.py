"""Small SYNTHETIC KS2/KS4 performance-table files in the official layout, for dashboard tests.

Names, URNs and figures are invented. Two LAs: 850 (KS2 2017–2019 and KS4 2019) and 936 (KS2 2019 only), so a
test can pick a selection that has no results. Used until `gapdata.synth.write_synthetic` exists.
"""
from __future__ import annotations

from pathlib import Path

KS2_HEADER = ["RECTYPE", "LEA", "URN", "SCHNAME", "TOWN", "PCODE", "NFTYPE", "TELIG", "TFSM6CLA1A",
              "TNotFSM6CLA1A", "PTRWM_EXP", "PTRWM_EXP_FSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A", "DIFFN_RWM_EXP",
              "READPROG", "READPROG_FSM6CLA1A", "READPROG_NotFSM6CLA1A"]
KS4_HEADER = ["RECTYPE", "LEA", "URN", "SCHNAME", "TOWN", "PCODE", "NFTYPE", "TPUP", "TFSM6CLA1A",
              "TNOTFSM6CLA1A", "ATT8SCR", "ATT8SCR_FSM6CLA1A", "ATT8SCR_NFSM6CLA1A", "P8MEA", "P8MEA_FSM6CLA1A",
              "P8MEA_NFSM6CLA1A"]

# (urn, name, town, postcode, la)
KS2_SCHOOLS = [
    (900001, "Alderbrook Primary School", "Northam", "NN1 1AA", 850),
    (900002, "Beechwood Junior School", "Northam", "NN1 2BB", 850),
    (900003, "Cedar Lane Primary", "Southby", "SB2 3CC", 850),
    (900004, "Damson Church of England Primary School", "Southby", "SB2 4DD", 850),
    (900005, "Elmstead Infant and Junior School", "Westwick", "WW3 5EE", 850),
    (900006, "Fernhill Primary Academy", "Westwick", "WW3 6FF", 850),
    (900011, "Gorse Hill Primary School", "Eastleigh Vale", "EV9 1GG", 936),
    (900012, "Hawthorn Primary School", "Eastleigh Vale", "EV9 2HH", 936),
]
KS4_SCHOOLS = [
    (900101, "Ivybridge Academy", "Northam", "NN1 9II", 850),
    (900102, "Juniper High School", "Southby", "SB2 9JJ", 850),
]
LA_NAMES = {850: "Testshire", 936: "Sampleton"}


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    text = "\r\n".join(",".join(str(c) for c in r) for r in [header] + rows) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def ks2_values(i: int, year: int) -> tuple[int, int, int, int]:
    """(disadvantaged pupils, other pupils, % dis at expected, % other at expected) for school i in a year."""
    n_dis = 12 + 3 * i
    n_oth = 30 + 2 * i
    dis = 40 + 3 * i + (year - 2017) * 2
    oth = 70 + i - (year - 2017)
    return n_dis, n_oth, dis, oth


def write_ks2(path: Path, year: int, la: int) -> Path:
    rows: list[list[object]] = []
    for i, (urn, name, town, pc, s_la) in enumerate(KS2_SCHOOLS):
        if s_la != la:
            continue
        n_d, n_o, d, o = ks2_values(i, year)
        supp = i == 5  # one school's disadvantaged figures are suppressed every year
        rows.append(["1", la, urn, name, town, pc, "CY", n_d + n_o, n_d, n_o, round((d * n_d + o * n_o) / (n_d + n_o)),
                     "SUPP" if supp else f"{d}%", f"{o}%", "SUPP" if supp else d - 65,
                     "0.1", "SUPP" if supp else "-1.2", "0.6"])
    rows.append(["3", la, "", LA_NAMES[la], "", "", "", 900, 250, 650, "64%", "50%", "70%", -15, "0", "-0.9", "0.4"])
    rows.append(["5", "", "", "", "", "", "", 600000, 180000, 420000, "65%", "51%", "71%", -20, "0", "-0.7",
                 "0.3"])
    return _csv(path, KS2_HEADER, rows)


def write_ks4(path: Path, year: int, la: int) -> Path:
    rows: list[list[object]] = []
    for i, (urn, name, town, pc, s_la) in enumerate(KS4_SCHOOLS):
        if s_la != la:
            continue
        rows.append(["1", la, urn, name, town, pc, "AC", 150, 40 + i, 110 - i, 46.0, 35.5 + i, 50.5, "0.1",
                     "-0.5", "0.3"])
    rows.append(["4", la, "", LA_NAMES[la], "", "", "", 9000, 2500, 6500, 46.2, 35.0, 50.0, "0", "-0.5", "0.2"])
    rows.append(["7", "", "", "", "", "", "", 500000, 130000, 370000, 46.7, 36.7, 50.3, "0", "-0.4", "0.1"])
    return _csv(path, KS4_HEADER, rows)


def write_small_bundle(out: Path) -> Path:
    """Write the synthetic files under `out` (a raw-data folder `build_store` can read)."""
    out = Path(out)
    (out / "ks2").mkdir(parents=True, exist_ok=True)
    (out / "ks4").mkdir(parents=True, exist_ok=True)
    for year in (2017, 2018, 2019):
        write_ks2(out / "ks2" / f"{year - 1}-{year}_850_ks2final.csv", year, 850)
    write_ks2(out / "ks2" / "2018-2019_936_ks2final.csv", 2019, 936)
    write_ks4(out / "ks4" / "2018-2019_850_ks4final.csv", 2019, 850)
    return out
