"""Benchmark hazid.geography: site country, border distance and DCW decoding.

    python benchmarks/bench_geography.py [--sites 100000] [--borders PATH] [--dcw]

Sites are random points over Central Asia (50-88 E, 36-55 N). Borders: ``--borders``, else
the DCW countries of the shared geodata (env HAZID_SHARED_DATA or ../shared/data), else the
borders hazid resolves by default. ``--dcw`` also times a full decode of
/usr/share/gmt-dcw/dcw-gmt.nc (no cache) and a read from the disk cache.
Accuracy is checked on 200 sites against a brute-force geodesic distance to the
nearest foreign country's boundary densified to 0.0005 degrees.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from hazid import geography

GEOD = Geod(ellps="WGS84")


def brute_km(lon: float, lat: float, geom) -> float:
    if geom.contains(shapely.Point(lon, lat)):
        return 0.0
    pts = shapely.get_coordinates(shapely.segmentize(geom.boundary, 0.0005))
    _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    return float(d.min()) / 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--borders", type=Path)
    ap.add_argument("--dcw", action="store_true")
    args = ap.parse_args()

    shared = Path(
        os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    t = time.perf_counter()
    if args.borders:
        borders = geography.load_borders(args.borders)
    elif (shared / "countries_dcw.gpkg").is_file():
        borders = geography.load_borders(shared / "countries_dcw.gpkg")
    else:
        borders = geography.resolve_borders()
    print(
        f"borders: {borders.attrs.get('source')} ({len(borders)} countries), "
        f"read in {time.perf_counter() - t:.1f} s"
    )

    rng = np.random.default_rng(0)
    n = args.sites
    lon = rng.uniform(50, 88, n)
    lat = rng.uniform(36, 55, n)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    t = time.perf_counter()
    sites = geography.assign_country(sites, borders)
    print(
        f"assign_country: {n} sites in {time.perf_counter() - t:.1f} s "
        f"({int(sites['country_snapped'].sum())} snapped, "
        f"{int((sites['site_country'] == '').sum())} outside every country)"
    )
    t = time.perf_counter()
    sites = geography.border_distance(sites, borders)
    print(
        f"border_distance: {n} sites in {time.perf_counter() - t:.1f} s "
        f"(median {sites['border_km'].median():.1f} km, max {sites['border_km'].max():.1f} km)"
    )

    geoms = borders.set_index("iso_a3").geometry
    sample = sites.sample(min(200, n), random_state=1)
    err = []
    for row in sample.itertuples():
        if not row.nearest_foreign:
            continue
        truth = brute_km(row.geometry.x, row.geometry.y, geoms[row.nearest_foreign])
        err.append(abs(row.border_km - truth))
    print(f"accuracy vs brute force ({len(err)} sites): max |error| {1000 * max(err):.1f} m")

    if args.dcw:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["HAZID_DATA_DIR"] = tmp
            t = time.perf_counter()
            b = geography.read_dcw()
            print(f"read_dcw full decode: {len(b)} countries in {time.perf_counter() - t:.1f} s")
            geography._read_dcw_cached.cache_clear()
            t = time.perf_counter()
            geography.read_dcw()
            print(f"read_dcw from the disk cache: {time.perf_counter() - t:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
