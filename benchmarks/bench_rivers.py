"""Benchmark of the river pathway: 1,000,000-reach network, 100,000 sites.

Builds a synthetic HydroRIVERS-like forest (200 basins of 5,000 reaches,
~2.5 km reaches, long main stems), a grid of 2 x 2 degree "countries", and
100,000 sites within 2 km of a river; then times

* building the reach table (``build_network``: schema, cycle check),
* ``trace_water`` for all sites in one pass (reach countries, site snapping,
  pointer jumping, Jobson transport, path lines),

and compares with a per-site networkx walk on a sample, extrapolated.

Run: ``python benchmarks/bench_rivers.py [--reaches N] [--sites N] [--no-geometry]``
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid import rivers as rv


def synthetic_network(n_reaches: int, n_basins: int, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    per = n_reaches // n_basins
    n = per * n_basins
    local = np.tile(np.arange(per), n_basins)
    base = np.repeat(np.arange(n_basins) * per, per)
    r1, r2 = rng.random(n), rng.random(n)
    parent_local = np.where(r1 < 0.97, local - 1, np.floor(r2 * local).astype(np.int64))
    parent = np.where(local == 0, -1, base + parent_local)
    # basin outlets on a grid, rivers running north-east with noise
    nx_b = int(np.ceil(np.sqrt(n_basins * 2)))
    b = np.arange(n_basins)
    out_x = 50.0 + (b % nx_b) * 1.6
    out_y = 36.0 + (b // nx_b) * 1.6
    step = np.column_stack(
        [rng.normal(0.012, 0.015, n), rng.normal(0.012, 0.015, n)]
    )  # ~2.5 km per reach
    # positions = outlet + sum of steps to the root (pointer doubling)
    jump = np.where(parent < 0, n, parent)
    jump = np.r_[jump, n]
    acc = np.vstack([step, [0.0, 0.0]])
    while not (jump[:n] == n).all():
        acc = acc + acc[jump]
        jump = jump[jump]
    pos = acc[:n] + np.column_stack([np.repeat(out_x, per), np.repeat(out_y, per)])
    down = np.where(
        parent[:, None] >= 0,
        pos[np.maximum(parent, 0)],
        np.column_stack([np.repeat(out_x, per), np.repeat(out_y, per)]),
    )
    coords = np.empty((2 * n, 2))
    coords[0::2] = pos
    coords[1::2] = down
    geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(n), 2))
    length = rv._haversine_m(pos[:, 0], pos[:, 1], down[:, 0], down[:, 1]) / 1000.0
    # upland area: 2.5 km2 per reach, accumulated level by level from the sources
    depth = np.zeros(n, dtype=np.int64)
    jump = np.r_[np.where(parent < 0, n, parent), n]
    ones = np.r_[np.ones(n, dtype=np.int64), 0]
    while not (jump[:n] == n).all():
        ones = ones + ones[jump]
        jump = jump[jump]
    depth = ones[:n]
    order = np.argsort(-depth, kind="stable")
    up = np.full(n, 2.5)
    bounds = np.r_[0, np.flatnonzero(np.diff(depth[order])) + 1, n]
    for lo, hi in itertools.pairwise(bounds):
        lvl = order[lo:hi]
        has = parent[lvl] >= 0
        np.add.at(up, parent[lvl][has], up[lvl][has])
    ids = np.arange(1, n + 1, dtype=np.int64) + 10_000_000
    return gpd.GeoDataFrame(
        {
            "HYRIV_ID": ids,
            "NEXT_DOWN": np.where(parent >= 0, ids[np.maximum(parent, 0)], 0),
            "LENGTH_KM": length,
            "UPLAND_SKM": up,
            "DIS_AV_CMS": up * 0.005,
            "ORD_STRA": 1,
            "MAIN_RIV": ids[base],
        },
        geometry=geoms,
        crs=4326,
    ), depth


def grid_countries(bounds: np.ndarray, size: float = 2.0) -> gpd.GeoDataFrame:
    xs = np.arange(np.floor(bounds[0]) - 1, np.ceil(bounds[2]) + 1, size)
    ys = np.arange(np.floor(bounds[1]) - 1, np.ceil(bounds[3]) + 1, size)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    return gpd.GeoDataFrame(
        {"iso_a3": [f"C{i:03d}" for i in range(len(gx))]},
        geometry=shapely.box(gx, gy, gx + size, gy + size),
        crs=4326,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reaches", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--basins", type=int, default=200)
    ap.add_argument("--sample", type=int, default=300)
    ap.add_argument("--no-geometry", action="store_true")
    args = ap.parse_args()

    t = time.perf_counter()
    raw, depth = synthetic_network(args.reaches, args.basins)
    b = raw.total_bounds
    borders = grid_countries(b)
    rng = np.random.default_rng(1)
    pick = rng.choice(len(raw), args.sites, replace=False)
    mid = shapely.line_interpolate_point(raw.geometry.to_numpy()[pick], 0.5, normalized=True)
    sx = shapely.get_x(mid) + rng.uniform(-0.015, 0.015, args.sites)
    sy = shapely.get_y(mid) + rng.uniform(-0.015, 0.015, args.sites)
    sites = gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(args.sites)], "water_mass_kg": 1e4},
        geometry=shapely.points(sx, sy),
        crs=4326,
    )
    cell = borders.sindex.query(sites.geometry, predicate="intersects")
    own = np.full(args.sites, "", dtype=object)
    own[cell[0]] = borders.iso_a3.to_numpy()[cell[1]]
    sites["site_country"] = own
    print(
        f"synthetic data: {len(raw):,} reaches in {args.basins} basins "
        f"(max depth {depth.max():,} reaches, mean {depth.mean():.0f}), "
        f"{len(borders)} countries, {args.sites:,} sites; "
        f"generated in {time.perf_counter() - t:.1f} s"
    )

    t0 = time.perf_counter()
    net = rv.build_network(raw)
    t1 = time.perf_counter()
    aff, paths = rv.trace_water(sites, net, borders, path_geometry=not args.no_geometry)
    t2 = time.perf_counter()
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"build_network: {t1 - t0:.1f} s")
    print(
        f"trace_water ({'with' if not args.no_geometry else 'without'} path lines): "
        f"{t2 - t1:.1f} s -> {len(aff):,} (site, country) rows, "
        f"{int(paths.geometry.notna().sum()):,} paths, "
        f"mean traced length {paths.length_km.mean():.0f} km"
    )
    print(f"build + trace: {t2 - t0:.1f} s; peak RSS of the process {peak_gb:.2f} GB")

    # parts of trace_water that a per-site walk needs as well
    t5 = time.perf_counter()
    countries = rv.reach_countries(net, borders)
    t6 = time.perf_counter()
    rv.connect_sites(sites, net)
    t7 = time.perf_counter()
    print(f"  of which reach_countries {t6 - t5:.1f} s, connect_sites {t7 - t6:.1f} s")

    # per-site networkx walk on a sample
    t3 = time.perf_counter()
    g = rv.network_graph(net)
    t_graph = time.perf_counter() - t3
    ctry = dict(
        zip(
            net.reach_id.to_numpy().tolist(),
            countries.to_numpy().tolist(),
            strict=True,
        )
    )
    conn = rv.connect_sites(sites.iloc[: args.sample], net)
    v = rv.jobson_velocity(
        net.dis_av_cms, net.dis_av_cms, net.upland_skm * 1e6, kind="max_probable"
    )
    hours = dict(
        zip(net.reach_id.tolist(), (net.length_km * 1000 / v / 3600).tolist(), strict=True)
    )
    horizon = 30 * 24 / 0.89
    t4 = time.perf_counter()
    rows = 0
    for rid in conn.reach_id.to_numpy().tolist():
        if not rid:
            continue
        node, km, h, seen = rid, 0.0, 0.0, set()
        while h <= horizon:
            for c in ctry[node].split(";"):
                if c not in seen:
                    seen.add(c)
                    rows += 1
            km += g.nodes[node]["length_km"]
            h += hours[node]
            nxt = next(iter(g.successors(node)), None)
            if nxt is None:
                break
            node = nxt
    t_walk = (time.perf_counter() - t4) / args.sample * args.sites
    ours = t2 - t1
    core = ours - (t6 - t5) - (t7 - t6)
    print(
        f"networkx per-site walk: graph {t_graph:.1f} s + {t_walk:.1f} s extrapolated "
        f"from {args.sample} sites = {t_graph + t_walk:.1f} s "
        f"(reach countries and site snapping computed beforehand, no transport, no lines)"
    )
    print(
        f"speed ratio, tracing only (networkx graph + walks / trace_water less countries "
        f"and snapping, {core:.1f} s): {(t_graph + t_walk) / core:.1f}x"
    )
    print(
        f"speed ratio, whole (networkx + countries + snapping / trace_water): "
        f"{(t_graph + t_walk + (t6 - t5) + (t7 - t6)) / ours:.1f}x"
    )
    print(pd.Series(paths.end).value_counts().to_string())


if __name__ == "__main__":
    main()
