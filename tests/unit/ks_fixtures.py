"""Tiny performance-table files in the official layout (BOM, CRLF, '%' strings, codes), written by tests."""
from __future__ import annotations

from pathlib import Path

KS2_HEADER = ["RECTYPE", "LEA", "URN", "SCHNAME", "TOWN", "PCODE", "NFTYPE", "TELIG", "TFSM6CLA1A", "PTFSM6CLA1A",
              "TNotFSM6CLA1A", "PTNotFSM6CLA1A", "PTRWM_EXP", "PTRWM_EXP_FSM6CLA1A", "PTRWM_EXP_NotFSM6CLA1A",
              "DIFFN_RWM_EXP", "READPROG_FSM6CLA1A", "READPROG_FSM6CLA1A_LOWER", "READPROG_FSM6CLA1A_UPPER",
              "READPROG_NotFSM6CLA1A", "READPROG_NotFSM6CLA1A_LOWER", "READPROG_NotFSM6CLA1A_UPPER",
              "TELIG_18", "PTFSM6CLA1A_18", "PTNOTFSM6CLA1A_18", "PTRWM_EXP_FSM6CLA1A_18",
              "PTRWM_EXP_NotFSM6CLA1A_18"]


def ks2_row(rectype="1", lea="850", urn="100001", name="Alpha Primary", telig="40", tfsm="10", pfsm="25%",
            tnot="30", pnot="75%", rwm="70%", rwm_d="50%", rwm_o="77%", diffn="-21", rp_d="-1.0", rp_dl="-3.0",
            rp_du="1.0", rp_o="0.5", rp_ol="-0.5", rp_ou="1.5", telig18="50", pfsm18="20%", pnot18="80%",
            rwm_d18="40%", rwm_o18="75%"):
    return [rectype, lea, urn, name, "Townham", "SO1 1AA", "CY", telig, tfsm, pfsm, tnot, pnot, rwm, rwm_d, rwm_o,
            diffn, rp_d, rp_dl, rp_du, rp_o, rp_ol, rp_ou, telig18, pfsm18, pnot18, rwm_d18, rwm_o18]


def _cell(v: str) -> str:
    return f'"{v}"' if ("," in v or '"' in v) else v


def write_rows(path: Path, header: list[str], rows: list[list[str]], bom: bool = True, crlf: bool = True) -> Path:
    nl = "\r\n" if crlf else "\n"
    text = nl.join(",".join(_cell(c) for c in r) for r in [header] + rows) + nl
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def write_ks2(path: Path, rows: list[list[str]] | None = None, header: list[str] | None = None) -> Path:
    if rows is None:
        rows = [ks2_row(), ks2_row(urn="100002", name="Beta Primary", tfsm="4", rwm_d="SUPP", diffn="SUPP",
                                   rp_d="SUPP", rp_dl="SUPP", rp_du="SUPP"),
                ks2_row(rectype="3", urn="", name="Testshire", telig="90", tfsm="20", tnot="70", rwm_d="48%",
                        rwm_o="76%"),
                ks2_row(rectype="5", lea="", urn="", name="", rwm_d="51%", rwm_o="71%")]
    return write_rows(path, header or KS2_HEADER, rows)
