"""Benchmark the static PNG maps of the dossiers: 20,000 activity-Party pairs.

Run:  python benchmarks/bench_static_maps.py [--pairs 20000] [--workers 2] [--borders PATH]
      [--sample 24] [--out DIR]

Synthetic screening over Central Asia: ``--pairs / 2`` sites spread over Kazakhstan,
Kyrgyzstan, Tajikistan, Turkmenistan and Uzbekistan (real DCW borders when present, see
``bench_map.py``; else a synthetic grid of countries), each notifying its two nearest
neighbours among them (so ``--pairs`` activity-Party pairs), with a toxic zone (1-30 km) and
a fire zone (0.2-2 km) per site and a 120-vertex river trace for every fourth site. The
maps of every dossier are planned and drawn as :func:`hazid.write_notifications` does
(``hazid.output.dossier_maps._draw_maps``: one batch, nearby activities of a pair on one map,
``--workers`` processes). Prints the time, activity-Party pairs per second and the maps
drawn, then the cost of ``--sample`` maps of one activity each (the former one map per
activity-Party pair) extrapolated to every pair.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from hazid.maps import static_maps
from hazid.output import dossier_maps

GEOD = pyproj.Geod(ellps="WGS84")
ISO = ["KAZ", "KGZ", "TJK", "TKM", "UZB"]


def circles(lon: np.ndarray, lat: np.ndarray, radius_km: np.ndarray, n: int = 64) -> np.ndarray:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(
        np.repeat(lon, n), np.repeat(lat, n), np.tile(az, len(lon)), np.repeat(radius_km * 1e3, n)
    )
    ring = np.stack([x.reshape(-1, n), y.reshape(-1, n)], axis=-1)
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def load_borders(arg: str | None) -> gpd.GeoDataFrame:
    """The five countries from the DCW borders of the shared geodata, else a synthetic grid."""
    paths = [Path(arg)] if arg else []
    if os.environ.get("HAZID_SHARED_DATA"):
        paths.append(Path(os.environ["HAZID_SHARED_DATA"]) / "countries_dcw.gpkg")
    paths.append(Path(__file__).resolve().parents[2] / "shared" / "data" / "countries_dcw.gpkg")
    for p in paths:
        if p.exists():
            b = gpd.read_file(p)
            return b[b["iso_a3"].isin(ISO)].reset_index(drop=True)
    cells = [shapely.box(52 + 5.6 * i, 37 + 2.6 * i, 57.6 + 5.6 * i, 50.0) for i in range(5)]
    return gpd.GeoDataFrame({"iso_a3": ISO, "name": ISO}, geometry=cells, crs=4326)


def synthetic(n_sites: int, borders: gpd.GeoDataFrame, seed: int = 1) -> SimpleNamespace:
    """Sites inside the five countries, their zones, traces and the activity-Party pairs."""
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = borders.total_bounds
    lon, lat, country = [], [], []
    while len(lon) < n_sites:
        x, y = rng.uniform(lon0, lon1, 4 * n_sites), rng.uniform(lat0, lat1, 4 * n_sites)
        pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs=4326)
        hit = gpd.sjoin(pts, borders[["iso_a3", "geometry"]], predicate="within")
        hit = hit[~hit.index.duplicated()]
        lon += list(x[hit.index])
        lat += list(y[hit.index])
        country += list(hit["iso_a3"])
    lon, lat = np.array(lon[:n_sites]), np.array(lat[:n_sites])
    country = np.array(country[:n_sites])
    ids = np.array([f"S{i:05d}" for i in range(n_sites)])
    sites = pd.DataFrame(
        {"site_id": ids, "site_name": [f"Plant {i}" for i in range(n_sites)], "lon": lon,
         "lat": lat, "site_country": country}
    )  # fmt: skip
    # the two nearest other countries (distances in the Equal Earth projection, metres)
    metric = borders.set_index("iso_a3").to_crs(8857).geometry
    pts = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(8857)
    dist = np.column_stack([pts.distance(metric[c]).to_numpy() for c in ISO])
    dist[np.arange(n_sites), [ISO.index(c) for c in country]] = np.inf
    near = np.argsort(dist, axis=1)[:, :2]
    active = pd.DataFrame(
        {"origin": np.repeat(country, 2), "affected": np.array(ISO)[near.ravel()],
         "site_id": np.repeat(ids, 2), "site_name": np.repeat(sites["site_name"], 2)}
    ).sort_values(["origin", "affected", "site_id"], kind="stable")  # fmt: skip
    tox, fire = rng.uniform(1, 30, n_sites), rng.uniform(0.2, 2, n_sites)
    zones = gpd.GeoDataFrame(
        {"site_id": np.concatenate([ids, ids]), "hazard": ["toxic"] * n_sites + ["fire"] * n_sites},
        geometry=np.concatenate([circles(lon, lat, tox), circles(lon, lat, fire)]),
        crs=4326,
    )
    t = np.arange(0, n_sites, 4)
    steps = rng.normal(0, 0.02, (len(t), 120, 2)) + np.array([0.02, 0.01])
    lines = np.cumsum(steps, axis=1) + np.column_stack([lon[t], lat[t]])[:, None, :]
    paths = gpd.GeoDataFrame({"site_id": ids[t]}, geometry=shapely.linestrings(lines), crs=4326)
    return SimpleNamespace(sites=sites, active=active, zones=zones, river_paths=paths)


def cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class FakeDossiers:
    """The part of :class:`hazid.notify.dossier.DossierSet` that the maps read."""

    def __init__(self, data: SimpleNamespace, borders: gpd.GeoDataFrame) -> None:
        self.sites, self.zones, self.river_paths = data.sites, data.zones, data.river_paths
        self.borders = borders
        self.version = "bench"
        self.meta = {"data_sources": {"borders": "DCW", "rivers": "synthetic"}}
        self._at = data.active.groupby(["origin", "affected"], sort=True).indices
        self._active = data.active.reset_index(drop=True)

    def pairs(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._at), columns=["origin", "affected"])

    def activities(self, origin: str, affected: str) -> pd.DataFrame:
        return self._active.iloc[self._at[(origin, affected)]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--borders", default=None)
    ap.add_argument("--sample", type=int, default=24, help="maps of one activity to time")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    borders = load_borders(args.borders)
    t0 = time.perf_counter()
    data = synthetic(args.pairs // 2, borders)
    ds = FakeDossiers(data, borders)
    pairs = list(ds.pairs().itertuples(index=False))
    print(
        f"data: {len(data.sites)} sites, {len(data.active)} activity-Party pairs in "
        f"{len(pairs)} Party pairs, {len(data.zones)} zones, {len(data.river_paths)} traces "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        t0, c0 = time.perf_counter(), cpu_s()
        files = dossier_maps._draw_maps(
            out, ds, pairs, ["en"], size_px=(1200, 900), dpi=150, workers=args.workers
        )
        dt, cpu = time.perf_counter() - t0, cpu_s() - c0
        n_maps = len({f for m in files.values() for f in m.values()})
        n_pairs = sum(len(m) for m in files.values())
        print(
            f"dossier maps: {n_pairs} activity-Party pairs, {n_maps} PNG maps, "
            f"{args.workers} workers: {dt:.1f} s, {n_pairs / dt:.0f} pairs/s "
            f"(CPU {cpu:.1f} s, {cpu / n_maps:.2f} s per map; "
            f"load average {os.getloadavg()[0]:.1f})"
        )
        if args.sample:
            jobs = [
                {"site_id": r.site_id, "path": out / f"one_{i}.png", "origin": r.origin,
                 "affected": r.affected}
                for i, r in enumerate(data.active.iloc[:: max(1, len(data.active) // args.sample)]
                                      .head(args.sample).itertuples())
            ]  # fmt: skip
            t0 = time.perf_counter()
            static_maps(
                data.sites, jobs, zones=data.zones, river_paths=data.river_paths,
                borders=borders, workers=args.workers,
            )  # fmt: skip
            per = (time.perf_counter() - t0) / len(jobs)
            print(
                f"one map per activity-Party pair: {per:.3f} s per map with {args.workers} "
                f"workers, {per * len(data.active):.0f} s for all {len(data.active)} pairs"
            )


if __name__ == "__main__":
    main()
