"""`python -m gapdata partners URN` and `python -m gapdata areas --preset NAME --level la|subregion|liaison`."""
from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from gapdata import analytics, membership
from gapdata.measures import MEASURES, headline, year_label
from gapdata.panel import years_available
from gapdata.store import connect


def _years(con, ks: str, args) -> tuple[int, int]:
    ys = years_available(con, ks)
    if not ys:
        raise SystemExit(f"no {ks} school-level results in the store")
    y_to = args.year_to or ys[-1]
    y_from = args.year_from or next((y for y in reversed(ys) if y <= y_to - 2), ys[0])
    return y_from, y_to


def _school_frame(con, a: analytics.Analysis, groups: pd.DataFrame | None = None,
                  subregions: pd.DataFrame | None = None) -> pd.DataFrame:
    s = con.execute("SELECT urn, name, phase, la_code, easting, northing, town, ofsted FROM schools").fetchdf()
    s = s[s["urn"].isin(a.schools["urn"])]
    s["subregion"] = s["urn"].map(subregions.set_index("urn")["subregion"]) if subregions is not None else None
    s["group"] = s["urn"].map(groups.set_index("urn")["group"]) if groups is not None else None
    return s


def _out(df: pd.DataFrame, as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(json.loads(df.to_json(orient="records")), indent=2))
    else:
        print(title)
        print(df.to_string(index=False) if len(df) else "(none)")


def cmd_partners(args: argparse.Namespace) -> int:
    from gapdata import partners

    con = connect(args.store)
    row = con.execute("SELECT ks FROM school_results WHERE urn = ? GROUP BY ks ORDER BY count(*) DESC LIMIT 1",
                      [args.urn]).fetchone()
    if row is None:
        print(f"URN {args.urn} has no results in the store", file=sys.stderr)
        return 1
    ks = args.ks or row[0]
    measure = args.measure or headline(ks)
    y_from, y_to = _years(con, ks, args)
    a = analytics.analyse(con, ks, measure, y_from, y_to)
    found = partners.partners_for(args.urn, _school_frame(con, a), analytics.partner_summary(a), max_km=args.km,
                                  n=args.n)
    msg = found.attrs.get("message", "")
    title = (f"Potential partners for URN {args.urn} — {MEASURES[measure].label}, {year_label(y_to)}"
             + (f"\n{msg}" if msg else ""))
    _out(found, args.json, title)
    return 0


def cmd_areas(args: argparse.Namespace) -> int:
    con = connect(args.store)
    ks = args.ks
    measure = args.measure or headline(ks)
    y_from, y_to = _years(con, ks, args)
    la_codes = None
    members = None
    if args.preset:
        from geo import regions

        presets = regions.load_presets()
        if args.preset not in presets:
            print(f"unknown preset {args.preset!r}; presets: {', '.join(presets)}", file=sys.stderr)
            return 2
        members = membership.subregion_membership(con, regions.resolve(presets[args.preset], y_to), y_to)
        rows = con.execute("SELECT DISTINCT la_code FROM schools WHERE urn IN (SELECT unnest(?))",
                           [members["urn"].tolist()]).fetchall()
        la_codes = sorted({int(r[0]) for r in rows if r[0] is not None}) or [-1]
    a = analytics.analyse(con, ks, measure, y_from, y_to, la_codes=la_codes)
    if args.level == "la":
        out = analytics.areas(a, None, "la_code")
        names = membership.la_gss(con, y_to).set_index("la_code")["name"]
        out.insert(1, "la_name", out["la_code"].map(names))
    elif args.level == "subregion":
        if members is None:
            print("--level subregion needs --preset NAME", file=sys.stderr)
            return 2
        out = analytics.areas(a, members, "subregion")
    else:
        from geo import liaison

        sch = con.execute("SELECT urn, name, la_code, phase, easting, northing, lon, lat, district_code, town "
                          "FROM schools WHERE easting IS NOT NULL AND urn IN (SELECT unnest(?))",
                          [a.schools["urn"].tolist()]).fetchdf()
        groups = liaison.derive_groups_each_la(sch, n=args.groups)
        out = analytics.areas(a, groups, "group")
        out.insert(1, "derived", True)
    keep = [c for c in out.columns if c in (
        "la_code", "la_name", "subregion", "group", "derived", "dis_to", "oth_to", "gap_from", "gap_to", "change",
        "classification", "reason", "schools", "schools_with_data", "suppressed_schools", "trend")]
    title = (f"{MEASURES[measure].label}: gap (other − disadvantaged) {year_label(y_from)} → {year_label(y_to)}"
             + (f", preset {args.preset}" if args.preset else ""))
    _out(out[keep].round(2), args.json, title)
    return 0


def add_commands(sub) -> None:
    """Register the analytics commands on the main parser."""
    for name, fn, help_ in (("partners", cmd_partners, "best-practice partner schools near one school"),
                            ("areas", cmd_areas, "area gaps and their change for a preset")):
        p = sub.add_parser(name, help=help_)
        if name == "partners":
            p.add_argument("urn", type=int)
            p.add_argument("--ks", choices=["ks2", "ks4"])
            p.add_argument("--km", type=float, default=10.0)
            p.add_argument("-n", type=int, default=5)
        else:
            p.add_argument("--preset")
            p.add_argument("--level", choices=["la", "subregion", "liaison"], default="la")
            p.add_argument("--ks", choices=["ks2", "ks4"], default="ks2")
            p.add_argument("--groups", type=int, default=18, help="derived liaison groups per LA")
        p.add_argument("--measure")
        p.add_argument("--year-from", type=int, dest="year_from")
        p.add_argument("--year-to", type=int, dest="year_to")
        p.add_argument("--store")
        p.add_argument("--json", action="store_true")
        p.set_defaults(fn=fn)
