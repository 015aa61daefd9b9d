"""Timing of partner matching on synthetic data (seeded): 20,000 schools spread over an England-sized box.

Run: .venv/bin/python bench/bench_partners.py
Targets: one school's partners < 50 ms (median of 50 calls); a 2,000-school region's assignment < 2 s.
Prints the figures; no assertions on time (machines differ).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapdata.partners import assign_partners, partners_for  # noqa: E402


def synthetic(n: int = 20_000, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    urn = np.arange(100_000, 100_000 + n)
    phase = rng.choice(["Primary", "Secondary", "All-through", "Special", "Other"], size=n,
                       p=[0.75, 0.17, 0.02, 0.05, 0.01])
    la = rng.integers(0, 150, size=n)
    # LAs as clusters: centre per LA, schools within ~15 km of it.
    centres = rng.uniform([150_000, 50_000], [650_000, 650_000], size=(150, 2))
    xy = centres[la] + rng.normal(0, 8_000, size=(n, 2))
    xy[rng.random(n) < 0.01] = np.nan  # a few unlocated
    schools = pd.DataFrame({
        "urn": urn, "name": [f"School {u}" for u in urn], "phase": phase, "la_code": 800 + la,
        "easting": xy[:, 0], "northing": xy[:, 1], "town": "Town",
        "ofsted": rng.choice(["Outstanding", "Good", "Requires improvement", "Inadequate", None], size=n),
        "subregion": [f"S{v // 10}" for v in la], "group": [f"G{v}-{g}" for v, g in zip(la, rng.integers(0, 8, n))]})
    cohort = rng.integers(15, 240, size=n).astype(float)
    pct = rng.uniform(5, 70, size=n)
    dis, oth = rng.uniform(20, 80, size=n), rng.uniform(40, 90, size=n)
    summary = pd.DataFrame({
        "urn": urn, "dis": dis.round(), "oth": oth.round(), "gap": (oth - dis).round(),
        "dis_n": (cohort * pct / 100).round(), "pct_dis": pct, "cohort": cohort,
        "best_practice": rng.random(n) < 0.15, "best_practice_reason": "at or above other pupils nationally",
        "targeted": rng.random(n) < 0.10, "targeted_reason": "gap in the worst fifth",
        "measure_label": "RWM expected standard (%)", "unit": "pp"})
    return schools, summary


def main() -> None:
    schools, summary = synthetic()
    rng = np.random.default_rng(1)
    located = schools.loc[schools["easting"].notna(), "urn"].to_numpy()
    picks = rng.choice(located, size=50, replace=False)
    times, found = [], 0
    for u in picks:
        t0 = time.perf_counter()
        out = partners_for(int(u), schools, summary)
        times.append(time.perf_counter() - t0)
        found += len(out)
    print(f"partners_for over {len(schools):,} schools: median {1000 * statistics.median(times):.1f} ms, "
          f"max {1000 * max(times):.1f} ms over 50 calls ({found / 50:.1f} partners on average); target < 50 ms")

    # A 2,000-school region: the 2,000 located schools nearest one point (about a dozen LAs).
    here = schools.loc[schools["urn"] == located[0], ["easting", "northing"]].to_numpy(float)[0]
    d = np.hypot(schools["easting"] - here[0], schools["northing"] - here[1])
    region = schools.loc[d.nsmallest(2000).index, "urn"]
    rs = summary[summary["urn"].isin(region)]
    targeted = rs.loc[rs["targeted"], "urn"].tolist()
    champions = rs.loc[rs["best_practice"], "urn"].tolist()
    reg_schools = schools[schools["urn"].isin(region)]
    for label, sch, summ in (("region frames", reg_schools, rs), ("national frames", schools, summary)):
        t0 = time.perf_counter()
        a, un = assign_partners(targeted, champions, sch, summ, capacity=2, max_km=25.0)
        dt = time.perf_counter() - t0
        print(f"assign_partners, 2,000-school region ({label}): {len(targeted)} targeted, {len(champions)} "
              f"champions -> {len(a)} matched, {len(un)} unmatched, total {a['distance_km'].sum():.1f} km "
              f"in {dt:.2f} s; target < 2 s")


if __name__ == "__main__":
    main()
