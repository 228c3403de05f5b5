"""Time consequence_distances on 1,000,000 holdings and zone_polygons on 100,000 sites."""

import time

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.zones import consequence_distances, zone_polygons

rng = np.random.default_rng(0)
n, n_sites = 1_000_000, 100_000
keys = np.array(["chlorine", "ammonia", "propane", "gasoline", "diesel", "methanol", "", "lpg"])
cats = np.array(["H2;P4;E1", "H2;P2;E1", "P2", "P5a;E2", "P5c;E2", "H2;H3;P5a", "H2;P2", "P2"])
pick = rng.integers(0, len(keys), n)
holdings = pd.DataFrame(
    {
        "site_id": np.char.add("S", rng.integers(0, n_sites, n).astype(str)),
        "substance_key": keys[pick],
        "categories": cats[pick],
        "quantity_t": rng.lognormal(2.0, 2.0, n),
    }
)
t0 = time.perf_counter()
dist = consequence_distances(holdings)
t1 = time.perf_counter()
print(f"consequence_distances: {n:,} holdings -> {len(dist):,} rows in {t1 - t0:.2f} s")

sites = gpd.GeoDataFrame(
    {"site_id": [f"S{i}" for i in range(n_sites)]},
    geometry=gpd.points_from_xy(rng.uniform(50, 90, n_sites), rng.uniform(35, 55, n_sites)),
    crs="EPSG:4326",
)
one = dist.drop_duplicates("site_id")
t0 = time.perf_counter()
z = zone_polygons(sites, one)
t1 = time.perf_counter()
print(f"zone_polygons: {len(z):,} circles x 72 vertices in {t1 - t0:.2f} s")
t0 = time.perf_counter()
z = zone_polygons(sites, one, wind_from=270.0)
t1 = time.perf_counter()
print(f"zone_polygons: {len(z):,} sectors in {t1 - t0:.2f} s")
