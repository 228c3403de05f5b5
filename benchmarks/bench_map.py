"""Benchmark hazid.maps: HTML size, build/write time and time to open in a browser.

Run:  python benchmarks/bench_map.py [--sites 5000] [--borders PATH] [--out DIR]
                                     [--open] [--repeat 3] [--screenshots DIR]

Synthetic results over Central Asia: ``--sites`` sites (30 % hazardous, a third of
those notifying), 3 holdings per site, two geodesic consequence zones per
hazardous site (toxic 1-80 km, fire 0.2-2 km), a 120-vertex river trace for
every other notifying site. Borders: the real DCW countries from the shared
geodata when present (``--borders``, env HAZID_SHARED_DATA or ../shared/data),
else a synthetic 5x5 grid of countries. Prints one line per case.

With ``--open`` each map is also opened in headless Chromium (Debian's ``/usr/bin/chromium``
driven by Playwright, offline, 1200 x 800 pixels) and two times are printed, the best of
``--repeat`` openings: ``load`` (the page's load event) and ``drawn`` (every layer added, the
compressed ones inflated, and two animation frames painted after that). ``--screenshots DIR``
saves a PNG of each map as opened.
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

from hazid.maps import screening_map, write_map

GEOD = pyproj.Geod(ellps="WGS84")
BBOX = (52.0, 37.0, 80.0, 50.0)
ISO = ["KAZ", "KGZ", "TJK", "TKM", "UZB"]


def circles(lon: np.ndarray, lat: np.ndarray, radius_km: np.ndarray, n: int = 64) -> np.ndarray:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    lo = np.repeat(lon, n)
    la = np.repeat(lat, n)
    x, y, _ = GEOD.fwd(lo, la, np.tile(az, len(lon)), np.repeat(radius_km * 1000.0, n))
    ring = np.stack([x.reshape(-1, n), y.reshape(-1, n)], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def synthetic_borders() -> gpd.GeoDataFrame:
    xs = np.linspace(BBOX[0] - 5, BBOX[2] + 5, 6)
    ys = np.linspace(BBOX[1] - 5, BBOX[3] + 5, 6)
    geoms, iso = [], []
    for i in range(5):
        for j in range(5):
            # 2,000 vertices per edge, like a detailed national boundary
            g = shapely.segmentize(shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]), 0.003)
            geoms.append(g)
            iso.append(f"C{i}{j}")
    return gpd.GeoDataFrame({"iso_a3": iso, "name": iso}, geometry=geoms, crs=4326)


def find_borders(arg: str | None) -> gpd.GeoDataFrame | None:
    if arg == "synthetic":
        return None
    candidates = [Path(arg)] if arg else []
    env = os.environ.get("HAZID_SHARED_DATA")
    if env:
        candidates.append(Path(env) / "countries_dcw.gpkg")
    here = Path(__file__).resolve()
    # ../shared/data beside the checkout (or beside the folder of worktrees)
    candidates += [d / "shared" / "data" / "countries_dcw.gpkg" for d in here.parents[2:4]]
    for c in candidates:
        if c.exists():
            return gpd.read_file(c)
    return None


def synthetic_results(n: int, borders: gpd.GeoDataFrame, seed: int = 1) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BBOX[0], BBOX[2], n)
    lat = rng.uniform(BBOX[1], BBOX[3], n)
    ids = np.array([f"S{i:05d}" for i in range(n)])
    hazardous = rng.random(n) < 0.3
    notify = hazardous & (rng.random(n) < 1 / 3)
    country = rng.choice(ISO, n)
    sites = gpd.GeoDataFrame(
        {
            "site_id": ids,
            "site_name": [f"Synthetic plant {i}" for i in range(n)],
            "operator": [f"Operator {i % 97}" for i in range(n)],
            "country": country,
            "site_country": country,
            "lon": lon,
            "lat": lat,
            "hazardous": hazardous,
            "reasons": np.where(hazardous, "chlorine 150 t >= 20 t (II-10); aggregation 1.4", ""),
        },
        geometry=shapely.points(lon, lat),
        crs=4326,
    )
    holdings = pd.DataFrame(
        {
            "site_id": np.repeat(ids, 3),
            "substance": np.tile(["Chlorine", "Liquefied petroleum gas", "Diesel"], n),
            "annex_entry": np.tile(["II-10", "II-12", "II-19"], n),
            "quantity_t": rng.uniform(1, 3000, 3 * n).round(1),
            "ratio": rng.uniform(0.001, 5, 3 * n).round(3),
        }
    )
    hz = np.flatnonzero(hazardous)
    tox_r = rng.uniform(1, 80, len(hz))
    fire_r = rng.uniform(0.2, 2, len(hz))
    zones = gpd.GeoDataFrame(
        {
            "site_id": np.concatenate([ids[hz], ids[hz]]),
            "hazard": ["toxic"] * len(hz) + ["fire"] * len(hz),
            "substance_key": ["chlorine"] * len(hz) + ["lpg"] * len(hz),
            "zone_km": np.concatenate([tox_r, fire_r]).round(2),
            "model": "synthetic",
            "capped": False,
            "default_used": False,
            "note": "",
        },
        geometry=np.concatenate(
            [circles(lon[hz], lat[hz], tox_r), circles(lon[hz], lat[hz], fire_r)]
        ),
        crs=4326,
    )
    nt = np.flatnonzero(notify)
    traced = nt[::2]
    steps = rng.normal(0, 0.02, (len(traced), 120, 2)) + np.array([0.03, 0.02])
    lines = np.cumsum(steps, axis=1) + np.column_stack([lon[traced], lat[traced]])[:, None, :]
    paths = gpd.GeoDataFrame(
        {
            "site_id": ids[traced],
            "countries": "UZB;KAZ",
            "river": "Synthetic Darya",
            "length_km": 500.0,
        },
        geometry=shapely.linestrings(lines),
        crs=4326,
    )
    air = pd.DataFrame(
        {
            "site_id": ids[nt],
            "affected": rng.choice(ISO, len(nt)),
            "pathway": "air",
            "hazard": "toxic",
            "zone_km": 50.0,
            "border_km": 20.0,
            "margin_km": 30.0,
            "uncertain": False,
        }
    )
    water = pd.DataFrame(
        {
            "site_id": ids[traced],
            "affected": "KAZ",
            "pathway": "water",
            "river": "Synthetic Darya",
            "river_km": rng.uniform(10, 400, len(traced)),
            "arrival_h": rng.uniform(2, 100, len(traced)),
            "peak_h": rng.uniform(3, 110, len(traced)),
            "peak_mg_l": rng.uniform(0.01, 5, len(traced)),
        }
    )
    affected = pd.concat([air, water], ignore_index=True)
    return SimpleNamespace(
        sites=sites,
        holdings=holdings,
        zones=zones,
        affected=affected,
        river_paths=paths,
        borders=borders,
    )


CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def open_time(path: Path, repeat: int, shot: Path | None = None) -> tuple[float, float]:
    """Best (load, drawn) seconds of ``repeat`` openings of ``path`` in headless Chromium."""
    from playwright.sync_api import sync_playwright

    best = (float("inf"), float("inf"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            for i in range(repeat):
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                t0 = time.perf_counter()
                page.goto(path.resolve().as_uri(), wait_until="load", timeout=300_000)
                t1 = time.perf_counter()
                page.wait_for_selector(".leaflet-container[data-hazid-ready='1']", timeout=300_000)
                page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
                )
                t2 = time.perf_counter()
                if errors:
                    raise RuntimeError(f"{path.name}: {errors}")
                if shot is not None and i == 0:
                    page.screenshot(path=str(shot))
                page.close()
                best = (min(best[0], t1 - t0), min(best[1], t2 - t0))
        finally:
            browser.close()
    return best


def run(label: str, res: SimpleNamespace, out: Path, opts: argparse.Namespace, **kw) -> None:
    t0 = time.perf_counter()
    m = screening_map(res, **kw)
    t1 = time.perf_counter()
    slug = "".join(c if c.isalnum() else "_" for c in label).strip("_")
    path = write_map(m, out / f"{slug}.html")
    t2 = time.perf_counter()
    size = path.stat().st_size
    line = (
        f"{label:32s} sites={len(res.sites):6d} zones={len(res.zones):6d} "
        f"traces={len(res.river_paths):5d} build={t1 - t0:6.2f}s render+write={t2 - t1:6.2f}s "
        f"size={size / 1e6:6.2f} MB"
    )
    if opts.open:
        shots = Path(opts.screenshots) if opts.screenshots else None
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
        load, drawn = open_time(path, opts.repeat, shots / f"{slug}.png" if shots else None)
        line += f" open: load={load:5.2f}s drawn={drawn:5.2f}s"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=5000)
    ap.add_argument("--borders", default=None, help="countries file, or 'synthetic'")
    ap.add_argument("--out", default=None, help="directory for the HTML files (default: temp)")
    ap.add_argument("--open", action="store_true", help="time opening each map in Chromium")
    ap.add_argument("--repeat", type=int, default=3, help="openings per map (best is printed)")
    ap.add_argument("--screenshots", default=None, help="directory for a PNG of each map")
    ap.add_argument("--no-exact", action="store_true", help="skip the unsimplified case")
    args = ap.parse_args()
    real = find_borders(args.borders)
    borders = real if real is not None else synthetic_borders()
    kind = "DCW" if real is not None else "synthetic"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        small = synthetic_results(60, borders)
        run(f"demo-60 ({kind} borders)", small, out, args)
        big = synthetic_results(args.sites, borders)
        run(f"{args.sites} sites ({kind} borders)", big, out, args)
        if not args.no_exact:
            run(f"{args.sites} sites, no simplification", big, out, args, simplify_m=0)


if __name__ == "__main__":
    main()
