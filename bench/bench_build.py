"""Bench: build a synthetic England store and compare with a bare DuckDB read_csv of the same files.

Prints the build time, the ratio to the bare read (target <= 2.0) and the build's peak memory (target < 2 GiB).
Not a test: this machine is shared, so the figures are printed, not asserted. Synthetic files are cached in
bench/out/ (git-ignored); pass --schools N for a smaller run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bare_read(files: list[Path]) -> float:
    import duckdb

    con = duckdb.connect()
    t = time.perf_counter()
    for i, f in enumerate(files):
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?, all_varchar=true, header=true, "
                    "null_padding=true)", [str(f)])
    took = time.perf_counter() - t
    con.close()  # free the tables before the build runs beside this process
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=20000)
    ap.add_argument("--years", type=int, nargs="+", default=[2016, 2017, 2018, 2019, 2023, 2024])
    args = ap.parse_args()
    from gapdata.synth import write_synthetic

    out = ROOT / "bench" / "out" / f"synth_{args.schools}"
    raw = out / "raw"
    if not (raw / "SYNTHETIC.md").exists():
        t = time.perf_counter()
        write_synthetic(raw, schools=args.schools, years=args.years, seed=0)
        print(f"wrote synthetic files in {time.perf_counter() - t:.1f} s")
    files = sorted(p for p in raw.rglob("*final.csv"))
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"{len(files)} performance-table files, {size:.0f} MiB, {args.schools} schools x {len(args.years)} years")
    bare = bare_read(files)
    store = out / "store.duckdb"
    code = (f"import sys, time, json; sys.path.insert(0, {str(ROOT)!r}); from gapdata.build import build_store; "
            f"t = time.perf_counter(); r = build_store({str(raw)!r}, {str(store)!r}); "
            "peak = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')][0] / 2**20; "
            "import resource; workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20; "
            "print(json.dumps({'s': time.perf_counter() - t, 'rows': r.counts, 'peak': peak, 'workers': workers}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    info = json.loads(res.stdout.strip().splitlines()[-1])
    # The build process's own peak resident memory (VmHWM, KiB -> GiB), read inside it: getrusage's maxrss
    # carries over the pre-exec image (a fork of this process, which held the bare read's tables).
    peak = info["peak"]
    print(f"bare DuckDB read_csv of the same files: {bare:.1f} s")
    print(f"gapdata build:                          {info['s']:.1f} s  (ratio {info['s'] / bare:.2f}, target <= 2.0)")
    import os

    n = int(os.environ.get("GAPDATA_BUILD_WORKERS", min(os.cpu_count() or 1, 4)))
    print(f"build peak memory:                      {peak:.2f} GiB in the build process; largest reader process "
          f"{info['workers']:.2f} GiB x {n} readers; together at most {peak + n * info['workers']:.2f} GiB "
          "(target < 2 GiB)")
    print(f"rows: {info['rows']}")


if __name__ == "__main__":
    main()
