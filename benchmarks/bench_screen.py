"""Benchmark: the whole screening chain at national scale, from an inventory file to results.

A synthetic inventory of 100,000 sites (50-88 E, 36-55 N; each one of eight kinds of activity
with its typical holdings, quantities spread log-normally, as in ``bench_zones.py``) is written
as an inventory CSV and screened with :func:`hazid.screen` against the world borders of
../shared/data (``countries_dcw.gpkg``; ``HAZID_SHARED_DATA`` or ``--borders PATH``) and a
synthetic 1,000,000-reach river network in HydroRIVERS schema laid over the same area
(``bench_rivers.py``'s generator: 200 basins of 5,000 reaches of about 2.5 km). The results are
then written with :func:`hazid.write_results` without the interactive map. Static PNG maps of
the dossiers are off by default (one per notified activity: tens of thousands); ``--maps N``
draws them for the dossiers of N activities in a separate, timed step and extrapolates.

Each stage is timestamped through the ``progress`` callbacks; the peak memory is the process's
maximum resident set size of this process and of the largest process it started (the
dossiers, ``results.gpkg`` and ``results.xlsx`` of a large run are written by forked
processes); the CPU time includes them. ``--profile FILE`` writes a cProfile of screen +
write_results (this process only).

    python benchmarks/bench_screen.py [--sites 100000] [--reaches 1000000] [--maps 20]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_rivers import synthetic_network
from bench_zones import KINDS

import hazid
from hazid import notify
from hazid.output import dossiers

#: substance key of bench_zones.KINDS -> (name in the inventory, category given)
NAMES = {
    "chlorine": ("chlorine", ""),
    "hydrogen_chloride": ("hydrogen chloride", ""),
    "ammonia": ("ammonia", ""),
    "natural_gas": ("natural gas", ""),
    "gasoline": ("petrol", ""),
    "diesel": ("diesel", ""),
    "lpg": ("LPG", ""),
    "methanol": ("methanol", ""),
    "": ("toxic intermediate", "H2;E1"),
}


def inventory(n_sites: int, seed: int = 0) -> pd.DataFrame:
    """Inventory table (one row per holding, as an authority would file it)."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, len(KINDS), n_sites)
    per_kind = np.array([len(k) for k in KINDS])
    n_hold = per_kind[kind]
    site = np.repeat(np.arange(n_sites), n_hold)
    slot = np.arange(n_hold.sum()) - np.repeat(np.cumsum(n_hold) - n_hold, n_hold)
    key = np.array([KINDS[k][s][0] for k, s in zip(kind[site], slot, strict=True)], dtype=object)
    median = np.array([KINDS[k][s][1] for k, s in zip(kind[site], slot, strict=True)])
    qty = median * rng.lognormal(0.0, 0.7, len(site))
    lon = rng.uniform(50, 88, n_sites)
    lat = rng.uniform(36, 55, n_sites)
    ids = np.char.add("S", np.char.zfill(np.arange(n_sites).astype(str), 6))
    return pd.DataFrame(
        {
            "site_id": ids[site],
            "site_name": np.char.add("Site ", ids[site]),
            "operator": "Synthetic operator",
            "lon": np.round(lon[site], 5),
            "lat": np.round(lat[site], 5),
            "substance": [NAMES[k][0] for k in key],
            "category": [NAMES[k][1] for k in key],
            "quantity": np.round(qty, 3),
            "unit": "t",
        }
    )


class Clock:
    """Timestamps of progress labels; a stage lasts until the next label."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, label: str) -> None:
        self.marks.append((label, time.perf_counter()))
        print(f"  [{time.strftime('%H:%M:%S')}] {label}", flush=True)

    def stages(self, end: float) -> list[tuple[str, float]]:
        times = [t for _, t in self.marks[1:]] + [end]
        return [(label, t1 - t0) for (label, t0), t1 in zip(self.marks, times, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--reaches", type=int, default=1_000_000)
    ap.add_argument("--basins", type=int, default=200)
    ap.add_argument("--borders", type=Path)
    ap.add_argument("--maps", type=int, default=0, help="draw the dossier maps of N activities")
    ap.add_argument("--profile", type=Path, help="write a cProfile of the screening here")
    ap.add_argument("--keep", type=Path, help="write the results here (default: a temp dir)")
    args = ap.parse_args()
    shared = Path(
        os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    borders_path = args.borders or shared / "countries_dcw.gpkg"
    work = Path(tempfile.mkdtemp(prefix="hazid-bench-"))
    try:
        t = time.perf_counter()
        inv = inventory(args.sites)
        inv_path = work / "inventory.csv"
        inv.to_csv(inv_path, index=False)
        rivers, _ = synthetic_network(args.reaches, args.basins)
        size_mb = inv_path.stat().st_size / 1e6
        print(
            f"inputs: {args.sites:,} sites, {len(inv):,} holdings ({size_mb:.0f} MB CSV); "
            f"{len(rivers):,} reaches; borders {borders_path.name}; "
            f"generated in {time.perf_counter() - t:.1f} s"
        )
        out = args.keep or work / "results"
        profiler = cProfile.Profile() if args.profile else None
        clock = Clock()
        cpu0 = _cpu()
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        results = hazid.screen(
            inv_path, borders=borders_path, rivers=rivers, progress=clock, allow_duplicates=True
        )
        del rivers
        t_screen = time.perf_counter()
        hazid.write_results(results, out, map_html=False, static_maps=False, progress=clock)
        t_end = time.perf_counter()
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        print("stages:")
        for label, sec in clock.stages(t_end):
            print(f"  {label:40s} {sec:7.1f} s")
        print(f"  {'screen':40s} {t_screen - t0:7.1f} s")
        print(f"  {'write_results (no map.html, no PNG maps)':40s} {t_end - t_screen:7.1f} s")
        print(f"  {'total':40s} {t_end - t0:7.1f} s")
        print(f"  {'CPU time, worker processes included':40s} {_cpu() - cpu0:7.1f} s")
        s = results.sites
        aff = results.affected
        n_pairs = aff[["site_id", "affected"]].drop_duplicates().shape[0]
        n_air, n_water = (int((aff.pathway == p).sum()) for p in ("air", "water"))
        print(
            f"results: {int(s.hazardous.sum()):,} hazardous sites, {len(results.zones):,} zones, "
            f"{int(results.river_paths.geometry.notna().sum()):,} river traces, "
            f"{len(aff):,} affected rows ({n_pairs:,} site-country pairs; "
            f"air {n_air:,}, water {n_water:,})"
        )
        if args.maps:
            time_maps(results, out / "maps-sample", args.maps)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory (max RSS): {peak_mb:,.0f} MB; largest child process {child_mb:,.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cpu() -> float:
    """CPU seconds of this process and of its ended child processes (dossier and file writers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def time_maps(results: hazid.ScreeningResults, out: Path, n: int) -> None:
    """Dossiers with PNG maps for the first ``n`` activities; time per map, extrapolated."""
    decisions = notify.determine(results.sites, results.affected)
    active = decisions[decisions["status"] != "none"]
    keep = active["site_id"].drop_duplicates().head(n)
    aff = results.affected[results.affected["site_id"].isin(keep)]
    t = time.perf_counter()
    try:
        dossiers.write_notifications(
            out,
            results.sites,
            results.holdings,
            aff,
            zones=results.zones,
            river_paths=results.river_paths,
            borders=results.borders,
            run=results.run,
            maps=True,
        )
    except Exception as err:  # report a failure of the maps, keep the other figures
        print(f"static maps: failed after {time.perf_counter() - t:.1f} s: {err!r}")
        return
    sec = time.perf_counter() - t
    n_maps = len(list((out / "notifications").glob("*.png")))
    per = sec / max(n_maps, 1)
    print(
        f"static maps: {n_maps} maps for {len(keep)} activities in {sec:.1f} s "
        f"({per:.2f} s per map with its dossier); all {len(active):,} (activity, Party) maps "
        f"would take about {per * len(active) / 60:.0f} min"
    )


if __name__ == "__main__":
    main()
