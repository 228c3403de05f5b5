"""Benchmark: consequence zones and the air-pathway overlay for a national-scale inventory.

100,000 random sites over Central Asia (50-88 E, 36-55 N), each of one of eight kinds of activity
(water works, chlor-alkali, fertiliser, refinery, fuel depot, LPG station, gas processing,
chemicals) with its typical holdings: consequence distances, geodesic zone polygons, then the site
country, border distance and the country overlay (STRtree) against real borders (DCW of
../shared/data, or ``--borders PATH``). Prints each stage's time and the peak memory.

    python benchmarks/bench_zones.py [--sites 100000] [--borders PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid import geography
from hazid.zones import consequence_distances, zone_polygons

CATS = {
    "chlorine": "H2;P4;E1",
    "ammonia": "H2;P2;E1",
    "lpg": "P2",
    "gasoline": "P5a;E2",
    "diesel": "P5c;E2",
    "methanol": "H2;H3;P5c",
    "natural_gas": "P2",
    "": "H2;E1",
}
#: kind of activity -> (substance key, median tonnes)
KINDS = [
    [("chlorine", 10.0)],
    [("chlorine", 60.0), ("hydrogen_chloride", 20.0)],
    [("ammonia", 500.0), ("natural_gas", 50.0)],
    [("gasoline", 20000.0), ("diesel", 15000.0), ("lpg", 500.0)],
    [("gasoline", 3000.0), ("diesel", 5000.0)],
    [("lpg", 60.0)],
    [("natural_gas", 150.0), ("lpg", 300.0)],
    [("methanol", 2000.0), ("", 100.0)],
]
CATS["hydrogen_chloride"] = "H2"


def synthetic(n_sites: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Sites of random kinds with their typical holdings (quantities spread log-normally)."""
    rng = np.random.default_rng(seed)
    site_ids = np.char.add("S", np.arange(n_sites).astype(str))
    kind = rng.integers(0, len(KINDS), n_sites)
    rows = [(sid, key, q) for sid, k in zip(site_ids, kind, strict=True) for key, q in KINDS[k]]
    holdings = pd.DataFrame(rows, columns=["site_id", "substance_key", "quantity_t"])
    holdings["categories"] = holdings["substance_key"].map(CATS)
    holdings["quantity_t"] *= rng.lognormal(0.0, 0.7, len(holdings))
    sites = gpd.GeoDataFrame(
        {"site_id": site_ids},
        geometry=gpd.points_from_xy(rng.uniform(50, 88, n_sites), rng.uniform(36, 55, n_sites)),
        crs="EPSG:4326",
    )
    return sites, holdings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--borders", type=Path)
    args = ap.parse_args()
    shared = Path(
        os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    borders_path = args.borders or shared / "countries_dcw.gpkg"
    borders = geography.load_borders(borders_path)
    sites, holdings = synthetic(args.sites)
    times = {}
    t = time.perf_counter()
    dist = consequence_distances(holdings)
    times[f"consequence distances ({len(holdings):,} holdings)"] = time.perf_counter() - t
    t = time.perf_counter()
    zones = zone_polygons(sites, dist)
    times[f"zone polygons ({len(zones):,})"] = time.perf_counter() - t
    t = time.perf_counter()
    located = geography.assign_country(sites, borders)
    times["site country"] = time.perf_counter() - t
    t = time.perf_counter()
    located = geography.border_distance(located, borders)
    times["border distance"] = time.perf_counter() - t
    t = time.perf_counter()
    air = geography.affected_by_air(located, zones, borders)
    times[f"country overlay -> {len(air):,} affected rows"] = time.perf_counter() - t
    print(f"sites: {args.sites:,}  borders: {borders_path.name} ({len(borders)} countries)")
    for label, sec in times.items():
        print(f"  {label:45s} {sec:6.1f} s")
    print(f"  {'total':45s} {sum(times.values()):6.1f} s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
