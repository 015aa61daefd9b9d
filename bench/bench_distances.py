"""Benchmark: all school pairs within 10 km, cKDTree (geo.distance) vs brute force in chunked numpy.

20,000 synthetic schools uniformly spread over an England-sized box of the National Grid (seeded), so the
pair count is in the same range as the real register. Prints timings and the ratio; checks both methods find
the same pairs. Run: `.venv/bin/python bench/bench_distances.py [--n 20000] [--km 10]`.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from geo.distance import SchoolIndex  # noqa: E402

BOX = (130_000.0, 660_000.0, 10_000.0, 660_000.0)  # easting / northing extent of England, metres


def brute_force_pairs(xy: np.ndarray, r: float, chunk: int = 1000) -> int:
    """Pairs (i < j) within r metres, by full distance matrices a chunk of rows at a time."""
    count = 0
    r2 = r * r
    for start in range(0, len(xy), chunk):
        block = xy[start:start + chunk]
        d2 = ((block[:, None, :] - xy[None, start:, :]) ** 2).sum(axis=2)
        i, j = np.nonzero(d2 <= r2)
        count += int((j > i).sum())  # j is offset by `start`, as is i: keep the upper triangle
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--km", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    xy = np.column_stack([rng.uniform(BOX[0], BOX[1], args.n), rng.uniform(BOX[2], BOX[3], args.n)])
    schools = pd.DataFrame({"urn": np.arange(100_000, 100_000 + args.n), "easting": xy[:, 0], "northing": xy[:, 1]})

    t0 = time.perf_counter()
    index = SchoolIndex(schools)
    pairs = index.pairs_within(args.km)
    t_tree = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_brute = brute_force_pairs(xy, args.km * 1000.0)
    t_brute = time.perf_counter() - t0

    print(f"{args.n} schools, pairs within {args.km:g} km")
    print(f"cKDTree (build + query_pairs): {t_tree * 1000:9.1f} ms  {len(pairs):,} pairs")
    print(f"brute force (chunked numpy):   {t_brute * 1000:9.1f} ms  {n_brute:,} pairs")
    print(f"speed-up: {t_brute / t_tree:.1f}x   same pair count: {len(pairs) == n_brute}")


if __name__ == "__main__":
    main()
