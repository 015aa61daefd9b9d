"""The `python -m gapdata` commands. Each prints a readable table, or JSON with --json."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gapdata import paths


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


def cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gapdata.build import BuildError, build_store

    raw, store = paths.raw_dir(args.raw), paths.store_path(args.store)
    files = [p for p in Path(raw).rglob("*") if p.is_file()] if Path(raw).is_dir() else []
    bar = tqdm(total=len(files), unit="file", desc="reading", disable=args.quiet or not files, file=sys.stderr)

    def tick(path: Path) -> None:
        bar.set_postfix_str(path.name[:40])
        bar.update(1)

    try:
        report = build_store(raw, store, strict=args.strict, progress=tick)
    except BuildError as exc:
        bar.close()
        print(f"build failed: {exc}\nThe previous store (if any) at {store} is unchanged.", file=sys.stderr)
        return 2
    bar.close()
    if args.json:
        _print_json({"store": str(report.store), "seconds": report.seconds, "counts": report.counts,
                     "files": [f.__dict__ for f in report.files]})
        return 0
    w = max((len(f.file) for f in report.files), default=10)
    print(f"{'file':<{w}}  {'kind':<14} {'years':<20} {'read':>7} {'loaded':>7} {'rejected':>8}  status")
    for f in report.files:
        if f.status == "ignored" and not args.verbose:
            continue
        years = ",".join(str(y) for y in f.years)
        print(f"{f.file:<{w}}  {f.kind:<14} {years:<20} {f.rows_read:>7} {f.rows_loaded:>7} {f.rows_rejected:>8}  "
              f"{f.status}{': ' + f.message if f.message else ''}")
    ignored = sum(f.status == "ignored" for f in report.files)
    skipped = sum(f.status == "skipped" for f in report.files)
    print(f"\n{len(report.files) - ignored - skipped} files loaded, {skipped} skipped with a reason, {ignored} not "
          f"data (field guides, docs; --verbose lists them). Store: {report.store} ({report.seconds:.1f} s)")
    print("Rows: " + ", ".join(f"{k} {v}" for k, v in report.counts.items() if k != "build_info"))
    return 0


def cmd_school(args: argparse.Namespace) -> int:
    from gapdata import queries
    from gapdata.store import connect

    con = connect(args.store)
    info = queries.school_profile(con, args.urn)
    if info is None:
        print(f"URN {args.urn} is not in the store", file=sys.stderr)
        return 1
    if args.json:
        _print_json(info)
        return 0
    s = info["school"]
    print(f"{s['name']} (URN {s['urn']})  {s.get('la_name') or ''} [{s.get('la_code')}]  phase: {s.get('phase')}")
    loc = (f"{s['lat']:.5f}, {s['lon']:.5f} (by {s['located_by']})" if s.get("lat") is not None
           else "not located")
    print(f"Location: {loc}   postcode {s.get('postcode') or '-'}   Ofsted: {s.get('ofsted') or 'not known'}")
    print(f"\n{'year':<8}{'ks':<5}{'measure':<11}{'disadv.':>9}{'n':>6}{'other':>9}{'n':>6}{'gap':>8}{'vs nat.':>9}")
    for r in info["results"]:
        def f(v, st):
            return f"{v:.1f}" if v is not None else (st or "-")
        gap = f"{r['gap']:+.1f}" if r["gap"] is not None else "-"
        print(f"{r['year_label']:<8}{r['ks']:<5}{r['measure']:<11}{f(r['dis'], r['dis_status']):>9}"
              f"{r['dis_n'] if r['dis_n'] is not None else '-':>6}{f(r['oth'], r['oth_status']):>9}"
              f"{r['oth_n'] if r['oth_n'] is not None else '-':>6}{gap:>8}"
              f"{f(r['diffn'], None) if r['diffn'] is not None else '-':>9}")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from gapdata import queries
    from gapdata.store import connect

    con = connect(args.store)
    cov = queries.coverage(con)
    if args.json:
        _print_json(cov)
        return 0
    print("School-level results (schools with a disadvantaged figure):")
    for r in cov["school_level"]:
        print(f"  {r['la_name'] or r['la_code']:<28} {r['ks']:<4} {r['year_label']:<8} {r['schools']:>5} schools")
    print("\nLA-level and national sources:")
    for r in cov["area_level"]:
        print(f"  {r['kind']:<16} {r['ks']:<5} {r['measure']:<14} {r['years']:<30} {r['areas']:>4} areas")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from gapdata.synth import write_synthetic

    summary = write_synthetic(Path(args.out), schools=args.schools, years=args.years, seed=args.seed,
                               las=args.las)
    _print_json(summary) if args.json else print(summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gapdata", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the store from a folder of official files")
    b.add_argument("--raw", help=f"raw-data folder (default $GAPDATA_RAW or {paths.DEFAULT_RAW_DIR})")
    b.add_argument("--store", help="store file (default $GAPDATA_STORE or data/gapdata.duckdb)")
    b.add_argument("--strict", action="store_true", help="stop at the first file that cannot be read")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--verbose", action="store_true", help="also list files that are not data")
    b.add_argument("--json", action="store_true")
    b.set_defaults(fn=cmd_build)
    s = sub.add_parser("school", help="what the store knows of one school")
    s.add_argument("urn", type=int)
    s.add_argument("--store")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_school)
    c = sub.add_parser("coverage", help="which LAs x years x key stages have results")
    c.add_argument("--store")
    c.add_argument("--json", action="store_true")
    c.set_defaults(fn=cmd_coverage)
    y = sub.add_parser("synth", help="write SYNTHETIC files in the official formats (tests and benchmarks)")
    y.add_argument("--out", required=True)
    y.add_argument("--schools", type=int, default=20000)
    y.add_argument("--years", type=int, nargs="+", default=[2016, 2017, 2018, 2019, 2023, 2024])
    y.add_argument("--seed", type=int, default=0)
    y.add_argument("--las", type=int, help="number of local authorities (default: one per 133 schools, at most 150)")
    y.add_argument("--json", action="store_true")
    y.set_defaults(fn=cmd_synth)
    try:
        import importlib

        importlib.import_module("gapdata.cli_analytics").add_commands(sub)
    except ModuleNotFoundError as exc:
        if exc.name != "gapdata.cli_analytics":
            raise
    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
