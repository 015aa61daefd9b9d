"""Bench: every measure's gaps, trends and classifications on a synthetic England store (20,000 schools).

Issue target: all measures, trends and classifications in under 5 s. Prints, per KS2/KS4 measure, the time of
`analytics.analyse` (panel, standard errors, two-year classification, multi-year trend, best practice and
targeted flags) for the latest two years with data, then `analytics.areas` by LA, and the totals.
Not a test: the machine is shared, so figures are printed, never asserted. The store is built once under
bench/out/ (git-ignored) from seeded synthetic files.

Run: .venv/bin/python bench/bench_analytics.py [--schools N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from gapdata import analytics  # noqa: E402
from gapdata.build import build_store  # noqa: E402
from gapdata.measures import MEASURES  # noqa: E402
from gapdata.panel import years_available  # noqa: E402

OUT = REPO / "bench" / "out"


def synthetic_store(schools: int) -> Path:
    store = OUT / f"synth_{schools}.duckdb"
    if store.exists():
        return store
    from gapdata.synth import write_synthetic

    raw = OUT / f"synth_raw_{schools}"
    if not raw.exists():
        write_synthetic(raw, schools=schools, seed=0)
    build_store(raw, store)
    return store


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schools", type=int, default=20_000)
    args = ap.parse_args()
    store = synthetic_store(args.schools)
    con = duckdb.connect(str(store), read_only=True)
    n_schools = con.execute("SELECT count(*) FROM schools").fetchone()[0]
    print(f"store {store.name}: {n_schools} schools")
    print(f"{'measure':<14} {'years':<11} {'schools':>8} {'analyse s':>10} {'areas s':>8}")
    total_a = total_r = 0.0
    for key, m in MEASURES.items():
        if m.ks not in ("ks2", "ks4"):
            continue
        years = years_available(con, m.ks)
        if len(years) < 2:
            continue
        t = time.perf_counter()
        a = analytics.analyse(con, m.ks, key, years[-2], years[-1])
        ta = time.perf_counter() - t
        t = time.perf_counter()
        analytics.areas(a, None, "la_code")
        tr = time.perf_counter() - t
        total_a, total_r = total_a + ta, total_r + tr
        print(f"{key:<14} {years[-2]}-{years[-1]:<6} {len(a.schools):>8} {ta:>10.2f} {tr:>8.2f}")
    print(f"all measures: analyse {total_a:.1f} s + areas {total_r:.1f} s = {total_a + total_r:.1f} s "
          "(target < 5 s for all measures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
