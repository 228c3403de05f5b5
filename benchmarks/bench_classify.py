"""Benchmark: Annex I classification of a national-scale inventory.

Synthetic inventory of N sites x 10 holdings (default 100,000 x 10 = 1,000,000 holdings) with a
realistic mix of named substances and category-only holdings. Prints the time to validate the
table (read_inventory on an in-memory table) and to classify it, and the peak memory.

    python benchmarks/bench_classify.py [--sites 100000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from hazid.annex import classify
from hazid.inventory import read_inventory

SUBSTANCES = [
    ("chlorine", ""), ("ammonia", ""), ("LPG", ""), ("diesel", ""), ("gasoline", ""),
    ("methanol", ""), ("hydrogen", ""), ("sodium cyanide", ""), ("oxygen", ""),
    ("solvent mix", "P5c;E2"), ("toxic intermediate", "H2"), ("reactive salt", "O1"),
    ("pesticide", "H1;E1"), ("sulphur dioxide", ""),
]  # fmt: skip


def synthetic(n_sites: int, per_site: int = 10, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_sites * per_site
    site = np.repeat(np.arange(n_sites), per_site)
    pick = rng.integers(0, len(SUBSTANCES), n)
    names = np.array([s for s, _ in SUBSTANCES], dtype=object)[pick]
    cats = np.array([c for _, c in SUBSTANCES], dtype=object)[pick]
    lon = rng.uniform(50, 85, n_sites)[site]
    lat = rng.uniform(37, 55, n_sites)[site]
    return pd.DataFrame(
        {
            "site_id": np.char.add("S", site.astype(str)),
            "lon": lon.round(5).astype(str),
            "lat": lat.round(5).astype(str),
            "substance": names,
            "category": cats,
            "quantity": rng.lognormal(2.0, 1.5, n).round(3).astype(str),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    args = parser.parse_args()
    table = synthetic(args.sites)
    t0 = time.perf_counter()
    holdings = read_inventory(table, allow_duplicates=True)  # chance repeats are added up
    t1 = time.perf_counter()
    result = classify(holdings)
    t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"sites: {args.sites:,}  holdings: {len(holdings):,}")
    print(f"validate (read_inventory): {t1 - t0:.2f} s")
    print(f"classify:                  {t2 - t1:.2f} s")
    print(f"hazardous: {int(result.sites['hazardous'].sum()):,}")
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
