"""Write the malformed-geodata corpus: border, river and lake layers broken as real data is.

Every case is a small layer over a two-country toy world (AAA: 68-70 E, BBB: 70-72 E,
40-42 N) with a HydroRIVERS-schema river running from AAA into BBB. ``expected.toml`` next to
this file gives the outcome of each. The files are written at test time (GeoPackages carry
write timestamps), never committed::

    python tests/corpus/geodata/make_geodata.py OUT_DIR
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, box

#: Projected CRS used by the "projected" cases (UTM zone 42N covers 66-72 E).
UTM42N = "EPSG:32642"
GEOD = Geod(ellps="WGS84")


def world() -> gpd.GeoDataFrame:
    """The toy world: two countries sharing the 70 E meridian."""
    return gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["Aland", "Bland"]},
        geometry=[box(68, 40, 70, 42), box(70, 40, 72, 42)],
        crs=4326,
    )


def rivers() -> gpd.GeoDataFrame:
    """HydroRIVERS-schema network: 11 -> 12 -> 13 (outlet), tributary 14 -> 12.

    Reach 12 crosses the border at 70 E; lengths are the geodesic lengths of the lines.
    """
    lines = [
        LineString([(69.5, 40.5), (69.9, 40.5)]),
        LineString([(69.9, 40.5), (70.5, 40.5)]),
        LineString([(70.5, 40.5), (71.5, 40.5)]),
        LineString([(69.9, 40.9), (69.9, 40.5)]),
    ]
    return gpd.GeoDataFrame(
        {
            "HYRIV_ID": [11, 12, 13, 14],
            "NEXT_DOWN": [12, 13, 0, 12],
            "LENGTH_KM": [round(GEOD.geometry_length(g) / 1000.0, 2) for g in lines],
            "UPLAND_SKM": [20_000.0, 26_000.0, 27_000.0, 5_000.0],
            "DIS_AV_CMS": [300.0, 380.0, 400.0, 60.0],
            "ENDORHEIC": [0, 0, 0, 0],
            "ORD_STRA": [6, 6, 6, 4],
        },
        geometry=lines,
        crs=4326,
    )


def lakes() -> gpd.GeoDataFrame:
    """A lake at the outlet of reach 13."""
    return gpd.GeoDataFrame(
        {"name": ["Toy Lake"], "featurecla": ["Lake"]},
        geometry=[box(71.5, 40.3, 71.8, 40.7)],
        crs=4326,
    )


def inventory() -> pd.DataFrame:
    """Two hazardous sites: chlorine 5 km from BBB (air) and a diesel depot on the river."""
    return pd.DataFrame(
        {
            "site_id": ["A", "C"],
            "site_name": ["Border chlorine store", "River depot"],
            "lon": ["69.95", "69.7"],
            "lat": ["41.0", "40.51"],
            "substance": ["chlorine", "diesel"],
            "quantity": ["30", "30000"],
        }
    )


def _write(gdf: gpd.GeoDataFrame, path: Path) -> None:
    with warnings.catch_warnings():  # a layer without CRS is the point of some cases
        warnings.simplefilter("ignore", UserWarning)
        gdf.to_file(path, driver="GPKG", layer=path.stem)


def _no_crs(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.set_crs(None, allow_override=True)


def _borders_with(extra: list[tuple[str, object]]) -> gpd.GeoDataFrame:
    w = world()
    more = gpd.GeoDataFrame(
        {"iso_a3": [c for c, _ in extra], "name": [f"Country {c}" for c, _ in extra]},
        geometry=[g for _, g in extra],
        crs=4326,
    )
    return gpd.GeoDataFrame(pd.concat([w, more], ignore_index=True), crs=4326)


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a GeoPackage\n" * 20)


BOWTIE = Polygon([(68, 40), (70, 42), (70, 40), (68, 42), (68, 40)])  # lobes meet at 69 E 41 N


def _cases() -> dict[str, Callable[[Path], None]]:
    r = rivers()
    return {
        # ---- borders ---------------------------------------------------------------------
        "borders_no_crs.gpkg": lambda p: _write(_no_crs(world()), p),
        "borders_bowtie.gpkg": lambda p: _write(
            world().set_geometry([BOWTIE, box(70, 40, 72, 42)], crs=4326), p
        ),
        "borders_empty.gpkg": lambda p: _write(world().iloc[:0], p),
        "borders_no_code_column.gpkg": lambda p: _write(
            world().rename(columns={"iso_a3": "land", "name": "label"}), p
        ),
        "borders_codes_unusable.gpkg": lambda p: _write(world().assign(iso_a3=["-99", "n/a"]), p),
        "borders_lines.gpkg": lambda p: _write(
            world().set_geometry(shapely.boundary(world().geometry.to_numpy()), crs=4326), p
        ),
        "borders_mixed_geometries.gpkg": lambda p: _write(
            _borders_with([("CCC", LineString([(72, 40), (73, 41)])), ("DDD", Point(75, 41))]), p
        ),
        "borders_null_geometry.gpkg": lambda p: _write(_borders_with([("CCC", None)]), p),
        "borders_collapsed_polygon.gpkg": lambda p: _write(
            _borders_with([("CCC", Polygon([(72, 40), (73, 40), (74, 40), (72, 40)]))]), p
        ),
        "borders_projected.gpkg": lambda p: _write(world().to_crs(UTM42N), p),
        "borders_split_country.gpkg": lambda p: _write(
            gpd.GeoDataFrame(
                {"ISO3": ["AAA", "AAA", "BBB"]},
                geometry=[box(68, 40, 69, 42), box(69, 40, 70, 42), box(70, 40, 72, 42)],
                crs=4326,
            ),
            p,
        ),
        "borders_natural_earth_minus99.gpkg": lambda p: _write(
            world().assign(ISO_A3=["-99", "BBB"], ADM0_A3=["AAA", "BBB"]).drop(columns="iso_a3"),
            p,
        ),
        "borders_not_a_gis_file.gpkg": _garbage,
        # ---- rivers ----------------------------------------------------------------------
        "rivers_no_crs.gpkg": lambda p: _write(_no_crs(r), p),
        "rivers_projected.gpkg": lambda p: _write(r.to_crs(UTM42N), p),
        "rivers_empty.gpkg": lambda p: _write(r.iloc[:0], p),
        "rivers_cycle.gpkg": lambda p: _write(r.assign(NEXT_DOWN=[12, 13, 12, 12]), p),
        "rivers_self_loop.gpkg": lambda p: _write(r.assign(NEXT_DOWN=[12, 13, 13, 12]), p),
        "rivers_next_down_missing.gpkg": lambda p: _write(r[r.HYRIV_ID != 13], p),
        "rivers_duplicate_ids.gpkg": lambda p: _write(r.assign(HYRIV_ID=[11, 12, 13, 12]), p),
        "rivers_bad_ids.gpkg": lambda p: _write(
            r.assign(HYRIV_ID=pd.Series(["11", "12", "x13", "14"], dtype=object)), p
        ),
        "rivers_null_geometry.gpkg": lambda p: _write(
            r.set_geometry([None, *r.geometry.iloc[1:]], crs=4326), p
        ),
        "rivers_not_lines.gpkg": lambda p: _write(
            r.set_geometry([Point(69.5, 40.5), *r.geometry.iloc[1:]], crs=4326), p
        ),
        "rivers_missing_length.gpkg": lambda p: _write(
            r.assign(LENGTH_KM=[r.LENGTH_KM[0], None, *r.LENGTH_KM[2:]]), p
        ),
        "rivers_negative_length.gpkg": lambda p: _write(
            r.assign(LENGTH_KM=r.LENGTH_KM * [1, -1, 1, 1]), p
        ),
        "rivers_lines_dangling_zero_length.gpkg": lambda p: _write(_messy_lines(), p),
        "rivers_lines_zero_length_parts.gpkg": lambda p: _write(_messy_lines().iloc[:3], p),
        "rivers_lines_points_only.gpkg": lambda p: _write(
            gpd.GeoDataFrame(
                {"name": ["a", "b"]}, geometry=[Point(69, 41), Point(70, 41)], crs=4326
            ),
            p,
        ),
        "rivers_not_a_gis_file.gpkg": _garbage,
        # ---- lakes -----------------------------------------------------------------------
        "lakes_no_crs.gpkg": lambda p: _write(_no_crs(lakes()), p),
        "lakes_projected.gpkg": lambda p: _write(lakes().to_crs(UTM42N), p),
        "lakes_not_a_gis_file.gpkg": _garbage,
    }


def _messy_lines() -> gpd.GeoDataFrame:
    """Plain river lines (no HydroRIVERS schema) as Natural Earth has them.

    The river (to the sea east of BBB) is drawn upstream in two pieces, one a MultiLineString
    with a zero-length part; plus a null feature, a 0.5 m stub, a closed loop and a dangling
    side channel.
    """
    zero = LineString([(70.5, 40.5), (70.5, 40.5)])
    return gpd.GeoDataFrame(
        {"name": ["Toy River", "Toy River", "Toy River", "stub", "pond", "side channel"]},
        geometry=[
            shapely.MultiLineString([[(72.3, 40.5), (70.5, 40.5)], zero.coords]),
            LineString([(70.5, 40.5), (69.5, 40.5)]),
            None,
            LineString([(69.0, 41.0), (69.000005, 41.0)]),
            LineString([(68.5, 41.5), (68.6, 41.5), (68.6, 41.6), (68.5, 41.5)]),
            LineString([(69.2, 40.8), (69.3, 40.6)]),
        ],
        crs=4326,
    )


def build(directory: str | Path) -> list[str]:
    """Write every case into ``directory``; return the file names, sorted."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, write in _cases().items():
        path = out / name
        if path.exists():
            path.unlink()
        write(path)
    return sorted(_cases())


if __name__ == "__main__":
    print("\n".join(build(sys.argv[1] if len(sys.argv) > 1 else "geodata-corpus")))
