"""Benchmark: a national-scale ``hazid screen`` exactly as a user runs it, against the naive floor.

The case: 100,000 sites spread over Central Asia (50-88 E, 36-55 N), one to three holdings each,
substances drawn from ``hazid/data/substances.csv`` (common industrial ones weighted up) with
quantities spread log-normally around each substance's Convention threshold, so that about a
fifth of the sites are hazardous; a synthetic HydroRIVERS-schema network of 1,000,000 reaches in
200 basins of 5,000 reaches (``bench_rivers.synthetic_network``) written to a GeoPackage (or
GeoParquet, ``--format parquet``); real borders (``countries_dcw.gpkg`` of ../shared/data,
``HAZID_SHARED_DATA`` or ``--borders PATH``).

Two child processes are timed, each with its wall time and its own peak memory (maximum resident
set size from ``os.wait4``):

* ``hazid screen INV --out DIR --borders B --rivers R --no-static-maps`` (overview and pair maps
  included, no PNG maps); ``--static-maps`` keeps the PNG maps too;
* the naive floor a GIS analyst would write on the same files: read the inventory, locate every
  site in the borders (spatial join), find each site's nearest reach (STRtree).

It prints both and their ratio (goals: whole run under 20 s and 2 GB, at most 8 times the floor).

``--scale`` adds the scaling runs: the whole ``hazid screen`` against the number of sites
(``--scale-sites``, default 10k, 100k and 1M; an inventory beyond the command line's default
input limits, such as a million sites in some two million rows and 164 MB, is screened with
``--max-rows`` and ``--max-file-mb`` set to twice its rows and size) and building the network
and tracing the sites against
the number of reaches (``--scale-reaches``, default 100k, 1M and 8.5M, the size of the world's
HydroRIVERS; goal under 60 s and 8 GB), each with its floor, and the fitted log-log exponents
(1 is linear).

Generated inputs are kept in a temporary folder (``--cache DIR`` to reuse them between runs;
never in the repository). Quick mode (under a minute on two cores)::

    python benchmarks/bench_national.py --sites 10000 --reaches 100000 --basins 20
    python benchmarks/bench_national.py                      # the case of the goals
    python benchmarks/bench_national.py --scale              # plus scaling runs (long)
    python benchmarks/bench_national.py --repeat 5           # the case five times: the median

The machine's speed changes from minute to minute; ``--repeat N`` runs the case N times (floor,
then hazid) and prints every run, the median run and how many runs were under 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "hazid" / "data"
#: checkout whose hazid the child processes import (``--code``)
CODE = ROOT

#: substance key -> relative weight in the mix (others from substances.csv weigh 1)
COMMON = {
    "chlorine": 40,
    "ammonia": 30,
    "lpg": 40,
    "natural_gas": 20,
    "gasoline": 40,
    "diesel": 40,
    "heavy_fuel_oil": 10,
    "crude_oil": 10,
    "methanol": 10,
    "hydrogen": 5,
    "sulphur_dioxide": 5,
    "sodium_cyanide": 5,
    "nitric_acid": 5,
    "hydrogen_fluoride": 3,
    "oxygen": 10,
    "ammonium_nitrate": 10,
}
#: substances that need a grade in the inventory
GRADES = {"ammonium_nitrate": "fertiliser grade", "potassium_nitrate": "prilled"}


def thresholds() -> pd.DataFrame:
    """Substances of substances.csv with their lowest Convention threshold (Part II, Part I)."""
    subs = pd.read_csv(DATA / "substances.csv", dtype=str).fillna("")
    ann = DATA / "annex1" / "convention-2015"
    part1 = pd.read_csv(ann / "part1.csv", dtype={"code": str}).set_index("code")["convention_t"]
    part2 = pd.read_csv(ann / "part2.csv", dtype={"item": str}).groupby("item")["convention_t"]
    part2 = part2.min()
    limit = []
    for item, cats in zip(subs["part2_item"], subs["categories"], strict=True):
        values = [part2.get(item, np.nan)] if item else []
        values += [part1.get(c, np.nan) for c in cats.split(";") if c]
        values = [v for v in values if pd.notna(v)]
        limit.append(min(values) if values else 50.0)
    subs["threshold_t"] = limit
    subs["weight"] = subs["key"].map(COMMON).fillna(1.0)
    return subs


def inventory(n_sites: int, seed: int = 0) -> pd.DataFrame:
    """Inventory table, one row per holding: 1-3 holdings per site, about 20 % hazardous sites."""
    rng = np.random.default_rng(seed)
    subs = thresholds()
    n_hold = rng.integers(1, 4, n_sites)
    site = np.repeat(np.arange(n_sites), n_hold)
    pick = rng.choice(len(subs), len(site), p=(subs["weight"] / subs["weight"].sum()).to_numpy())
    # quantity / threshold log-normal with median 0.15: P(>= 1) about 12 % per holding
    qty = subs["threshold_t"].to_numpy()[pick] * rng.lognormal(np.log(0.15), 1.65, len(site))
    lon = rng.uniform(50, 88, n_sites)
    lat = rng.uniform(36, 55, n_sites)
    ids = np.char.add("S", np.char.zfill(np.arange(n_sites).astype(str), 7))
    keys = subs["key"].to_numpy()[pick]
    return pd.DataFrame(
        {
            "site_id": ids[site],
            "site_name": np.char.add("Site ", ids[site]),
            "operator": "Synthetic operator",
            "lon": np.round(lon[site], 5),
            "lat": np.round(lat[site], 5),
            "substance": subs["name"].to_numpy()[pick],
            "grade": pd.Series(keys).map(GRADES).fillna("").to_numpy(),
            "quantity": np.round(qty, 3),
            "unit": "t",
        }
    ).drop_duplicates(["site_id", "substance"])  # one row per substance, as a site files it


def write_inventory(n_sites: int, cache: Path) -> Path:
    path = cache / f"inventory_{n_sites}.csv"
    if not path.exists():
        t = time.perf_counter()
        inventory(n_sites).to_csv(path.with_suffix(".tmp"), index=False)
        path.with_suffix(".tmp").rename(path)
        log(f"generated {path.name} in {time.perf_counter() - t:.1f} s")
    return path


def write_rivers(n_reaches: int, n_basins: int, fmt: str, cache: Path) -> Path:
    path = cache / f"rivers_{n_reaches}_{n_basins}.{fmt}"
    if not path.exists():
        sys.path.insert(0, str(HERE))
        from bench_rivers import synthetic_network

        t = time.perf_counter()
        gdf, _ = synthetic_network(n_reaches, n_basins)
        tmp = path.with_name("tmp_" + path.name)
        if fmt == "parquet":
            gdf.to_parquet(tmp)
        else:
            gdf.to_file(tmp, layer="rivers", engine="pyogrio", driver="GPKG")
        tmp.rename(path)
        log(f"generated {path.name} ({len(gdf):,} reaches) in {time.perf_counter() - t:.1f} s")
    return path


def log(text: str) -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- child processes


def run_child(args: list[str], *, env: dict | None = None) -> tuple[float, float, str, float]:
    """Run a child process; return (wall s, peak RSS MB of the child, stdout, CPU s).

    The child's CPU time (user + system) is printed too: on a shared machine it is the figure
    that does not depend on the load.
    """
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=CODE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t
        out.seek(0)
        text = out.read().decode(errors="replace")
    log(f"    child: {wall:.1f} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU")
    if proc.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


#: the command line's inventory limits by default (``hazid.inventory.InputLimits``)
DEFAULT_MAX_ROWS, DEFAULT_MAX_FILE_MB = 500_000, 100.0


def input_limits(inv: Path) -> list[str]:
    """``--max-rows`` and ``--max-file-mb`` for an inventory beyond the default limits.

    Twice its data rows and its size in MB (at least the defaults); none for an inventory within
    the defaults, so that ``--code`` may name a checkout older than these options.
    """
    with open(inv, "rb") as fh:
        rows = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 24), b"")) - 1
    mb = inv.stat().st_size / 1e6
    if rows <= DEFAULT_MAX_ROWS and mb <= DEFAULT_MAX_FILE_MB:
        return []
    max_rows, max_mb = max(DEFAULT_MAX_ROWS, 2 * rows), max(DEFAULT_MAX_FILE_MB, 2 * mb)
    return ["--max-rows", str(max_rows), "--max-file-mb", f"{max_mb:.0f}"]


def hazid_screen(inv: Path, borders: Path, rivers: Path, out: Path, *, pngs: bool) -> list[str]:
    cmd = [sys.executable, "-c", "from hazid.cli import main; main()", "screen", str(inv)]
    cmd += ["--out", str(out), "--borders", str(borders), "--rivers", str(rivers), "--quiet"]
    cmd += input_limits(inv)
    return cmd if pngs else [*cmd, "--no-static-maps"]


def floor_main(inv: str, borders: str, rivers: str) -> None:
    """The naive floor: read the inventory, locate the sites in the borders, nearest reach."""
    import geopandas as gpd
    import shapely

    t = time.perf_counter()
    h = pd.read_csv(inv)
    sites = h.drop_duplicates("site_id")
    pts = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites.lon, sites.lat), crs=4326)
    b = gpd.read_file(borders)
    located = gpd.sjoin(pts, b[["iso_a3", "geometry"]], how="left", predicate="within")
    r = gpd.read_file(rivers) if not rivers.endswith(".parquet") else gpd.read_parquet(rivers)
    tree = shapely.STRtree(r.geometry.to_numpy())
    idx = tree.query_nearest(pts.geometry.to_numpy(), return_distance=False, all_matches=False)
    n_in = int(located["iso_a3"].notna().sum())
    print(
        json.dumps(
            {"sites": len(pts), "located": n_in, "nearest": int(idx.shape[1])}
            | {"seconds": time.perf_counter() - t}
        )
    )


def trace_main(inv: str, borders: str, rivers: str) -> None:
    """Build the network and trace the sites (``hazid.screen``), time per stage in JSON."""
    import hazid

    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def mark(label: str) -> None:
        marks.append((label, time.perf_counter()))

    res = hazid.screen(inv, borders=borders, rivers=rivers, progress=mark)
    end = time.perf_counter()
    times = [t for _, t in marks[1:]] + [end]
    stages = {label: t1 - t0_ for (label, t0_), t1 in zip(marks, times, strict=True)}
    build = stages.get("building river network", 0.0) + stages.get("loading river network", 0.0)
    trace = stages.get("tracing spills downstream", 0.0)
    n_traced = int(res.river_paths.geometry.notna().sum()) if res.river_paths is not None else 0
    print(
        json.dumps(
            {"screen": end - t0, "build": build, "trace": trace, "traced": n_traced}
            | {"stages": stages}
        )
    )


# --------------------------------------------------------------------------- measurements


def measure_case(inv, borders, rivers, work, *, pngs=False, label=""):
    """Whole ``hazid screen`` and the floor on the same files; a row of figures."""
    env = dict(os.environ, PYTHONPATH=str(CODE))
    out = work / f"out-{label or 'case'}"
    shutil.rmtree(out, ignore_errors=True)
    floor = [sys.executable, __file__, "_floor", str(inv), str(borders), str(rivers)]
    f_wall, f_rss, f_text, f_cpu = run_child(floor, env=env)
    log(f"  floor: {f_wall:.1f} s, {f_rss:,.0f} MB  {f_text.strip().splitlines()[-1]}")
    h_wall, h_rss, _, h_cpu = run_child(hazid_screen(inv, borders, rivers, out, pngs=pngs), env=env)
    size = {p.name: p.stat().st_size / 1e6 for p in out.glob("*") if p.is_file()}
    n_html = len(list((out / "notifications").glob("*.html")))
    log(
        f"  hazid screen: {h_wall:.1f} s, {h_rss:,.0f} MB;"
        f" map.html {size.get('map.html', 0):.1f} MB"
        f", results.gpkg {size.get('results.gpkg', 0):.1f} MB, {n_html} dossier pages;"
        f" ratio {h_wall / f_wall:.1f}"
    )
    shutil.rmtree(out, ignore_errors=True)
    return {
        "hazid_s": h_wall,
        "hazid_cpu": h_cpu,
        "hazid_mb": h_rss,
        "floor_s": f_wall,
        "floor_cpu": f_cpu,
        "floor_mb": f_rss,
    }


def repeated(n: int, measure) -> dict:
    """Run ``measure`` ``n`` times; the run of median hazid time, with every run's figures.

    The machine's speed changes from one minute to the next (the floor's time with it), so
    each run's floor is measured just before its hazid run, and the ratio is taken per run.
    """
    runs = [measure() for _ in range(max(1, n))]
    if len(runs) > 1:
        log(f"  {len(runs)} runs (hazid s / floor s / ratio):")
        for r in runs:
            log(f"    {r['hazid_s']:.1f} / {r['floor_s']:.1f} / {r['hazid_s'] / r['floor_s']:.1f}")
    middle = sorted(runs, key=lambda r: r["hazid_s"])[(len(runs) - 1) // 2]
    return middle | {"runs": runs}


def measure_trace(inv, borders, rivers):
    env = dict(os.environ, PYTHONPATH=str(CODE))
    floor = [sys.executable, __file__, "_floor", str(inv), str(borders), str(rivers)]
    f_wall, f_rss, _, _ = run_child(floor, env=env)
    cmd = [sys.executable, __file__, "_trace", str(inv), str(borders), str(rivers)]
    wall, rss, text, cpu = run_child(cmd, env=env)
    info = json.loads(text.strip().splitlines()[-1])
    log(
        f"  build {info['build']:.1f} s + trace {info['trace']:.1f} s ({info['traced']:,} traces);"
        f" screen {info['screen']:.1f} s; child {wall:.1f} s, {rss:,.0f} MB;"
        f" floor {f_wall:.1f} s, {f_rss:,.0f} MB"
    )
    return {"hazid_s": info["build"] + info["trace"], "child_s": wall, "cpu": cpu, "hazid_mb": rss}
    # (the floor is printed for reference; the goal is absolute: < 60 s, < 8 GB)


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Slope of log(time) against log(size): 1 is linear."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--reaches", type=int, default=1_000_000)
    ap.add_argument("--basins", type=int, default=200, help="basins of the case's network")
    ap.add_argument("--per-basin", type=int, default=5000, help="reaches per basin (scaling)")
    ap.add_argument("--format", choices=("gpkg", "parquet"), default="gpkg")
    ap.add_argument("--borders", type=Path)
    ap.add_argument("--static-maps", action="store_true", help="keep the PNG maps")
    ap.add_argument("--scale", action="store_true", help="add the scaling runs")
    ap.add_argument("--only-scale", action="store_true", help="the scaling runs without the case")
    # 1,000,000 sites (about 2,000,000 holdings, 164 MB) are screened with --max-rows and
    # --max-file-mb raised (input_limits)
    ap.add_argument("--scale-sites", default="10000,100000,1000000")
    ap.add_argument("--scale-reaches", default="100000,1000000,8500000")
    ap.add_argument("--trace-sites", type=int, default=100_000, help="sites of the reach runs")
    ap.add_argument("--cache", type=Path, help="keep generated inputs here (default: temp)")
    ap.add_argument("--code", type=Path, help="hazid checkout to measure (default: this one)")
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs of the case, floor and hazid in turn (median)"
    )
    args = ap.parse_args()
    shared = Path(os.environ.get("HAZID_SHARED_DATA", ROOT.parents[1] / "shared" / "data"))
    borders = args.borders or shared / "countries_dcw.gpkg"
    if not borders.exists():
        borders = Path("/work/shared/data/countries_dcw.gpkg")
    global CODE
    CODE = args.code.resolve() if args.code else ROOT
    cache = args.cache or Path(tempfile.mkdtemp(prefix="hazid-national-"))
    cache.mkdir(parents=True, exist_ok=True)
    try:
        run_all(args, borders, cache)
    finally:
        if args.cache is None:
            shutil.rmtree(cache, ignore_errors=True)


def run_all(args: argparse.Namespace, borders: Path, cache: Path) -> None:
    rivers = write_rivers(args.reaches, args.basins, args.format, cache)
    case = None
    if not args.only_scale:
        inv = write_inventory(args.sites, cache)
        log(
            f"case: {args.sites:,} sites, {args.reaches:,} reaches in {args.basins} basins"
            f" ({args.format}), borders {borders.name}, PNG maps"
            f" {'on' if args.static_maps else 'off'}"
        )
        case = repeated(
            args.repeat, lambda: measure_case(inv, borders, rivers, cache, pngs=args.static_maps)
        )
    if not (args.scale or args.only_scale):
        return summary(args, case, [], [])
    by_sites = []
    for n in sizes(args.scale_sites):
        log(f"sites {n:,} (network {args.reaches:,} reaches):")
        row = measure_case(write_inventory(n, cache), borders, rivers, cache, label=str(n))
        by_sites.append((n, row))
    by_reaches = []
    inv_t = write_inventory(args.trace_sites, cache)
    for n in sizes(args.scale_reaches):
        basins = max(1, n // args.per_basin)
        log(f"reaches {n:,} ({basins} basins), {args.trace_sites:,} sites:")
        path = write_rivers(n, basins, args.format, cache)
        by_reaches.append((n, measure_trace(inv_t, borders, path)))
    summary(args, case, by_sites, by_reaches)


def summary(args, case, by_sites, by_reaches) -> None:
    log("\n| measure | hazid: wall, CPU, peak RSS | naive floor | ratio wall (CPU) | goal |")
    log("|---|---|---|---|---|")
    if case:
        log(
            f"| `hazid screen` {args.sites:,} sites, {args.reaches:,} reaches, maps, no PNG | "
            f"{case['hazid_s']:.1f} s, {case['hazid_cpu']:.1f} s CPU, {case['hazid_mb']:,.0f} MB | "
            f"{case['floor_s']:.1f} s, {case['floor_cpu']:.1f} s CPU, {case['floor_mb']:,.0f} MB | "
            f"{case['hazid_s'] / case['floor_s']:.1f}"
            f" ({case['hazid_cpu'] / case['floor_cpu']:.1f}) | "
            "< 20 s, < 2 GB, ratio <= 8 |"
        )
        runs = case["runs"]
        if len(runs) > 1:
            walls = [r["hazid_s"] for r in runs]
            under = sum(w < 20 for w in walls)
            log(
                f"(median of {len(runs)} runs; hazid {min(walls):.1f}-{max(walls):.1f} s,"
                f" {under} of {len(runs)} under 20 s; floor"
                f" {min(r['floor_s'] for r in runs):.1f}-{max(r['floor_s'] for r in runs):.1f} s;"
                f" peak {max(r['hazid_mb'] for r in runs):,.0f} MB)"
            )
    for n, row in by_sites:
        log(
            f"| `hazid screen` {n:,} sites | {row['hazid_s']:.1f} s, {row['hazid_cpu']:.1f} s CPU, "
            f"{row['hazid_mb']:,.0f} MB | {row['floor_s']:.1f} s, {row['floor_cpu']:.1f} s CPU | "
            f"{row['hazid_s'] / row['floor_s']:.1f} ({row['hazid_cpu'] / row['floor_cpu']:.1f})"
            " | linear |"
        )
    for n, row in by_reaches:
        log(
            f"| build + trace, {n:,} reaches, {args.trace_sites:,} sites | {row['hazid_s']:.1f} s"
            f" (process {row['child_s']:.1f} s, {row['cpu']:.1f} s CPU), {row['hazid_mb']:,.0f} MB"
            " | | |" + (" < 60 s, < 8 GB |" if n >= 8_000_000 else " linear |")
        )
    if len(by_sites) > 1:
        ns = [n for n, _ in by_sites]
        e = exponent(ns, [r["hazid_s"] for _, r in by_sites])
        log(f"exponent, whole run vs sites: {e:.2f}")
        log(f"exponent, floor vs sites: {exponent(ns, [r['floor_s'] for _, r in by_sites]):.2f}")
        e = exponent(ns, [r["hazid_cpu"] for _, r in by_sites])
        log(f"exponent, whole run CPU time vs sites: {e:.2f}")
    if len(by_reaches) > 1:
        ns = [n for n, _ in by_reaches]
        e = exponent(ns, [r["hazid_s"] for _, r in by_reaches])
        log(f"exponent, build + trace vs reaches: {e:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] in {"_floor", "_trace"}:
        {"_floor": floor_main, "_trace": trace_main}[sys.argv[1]](*sys.argv[2:])
    else:
        main()
