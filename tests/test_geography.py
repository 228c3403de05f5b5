"""Tests for hazid.geography: borders, site country, border distances, air pathway."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box

from hazid import embedded
from hazid import geography as geo
from hazid.errors import ChoiceError, CRSError, DataSourceError, GeodataError
from hazid.geography import dcw as geo_dcw

GEOD = Geod(ellps="WGS84")
SHARED = Path(
    os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
REAL_DCW = Path("/usr/share/gmt-dcw/dcw-gmt.nc")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data absent")
needs_dcw = pytest.mark.skipif(not REAL_DCW.is_file(), reason="gmt-dcw not installed")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory, monkeypatch):
    """No user cache, no border source from the environment."""
    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path_factory.mktemp("hazid-data")))
    monkeypatch.delenv("HAZID_BORDERS", raising=False)
    monkeypatch.delenv("HAZID_DATA_BASE_URL", raising=False)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def make_sites(points, *, country=None, ids=None):
    ids = ids or [f"s{i}" for i in range(len(points))]
    data = {"site_id": ids}
    if country is not None:
        data["country"] = country
    return gpd.GeoDataFrame(data, geometry=[Point(p) for p in points], crs="EPSG:4326")


def circle(lon, lat, km, n=180):
    """Geodesic circle of radius km around (lon, lat)."""
    az = np.linspace(0, 360, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, km * 1000.0))
    return Polygon(zip(x, y, strict=True))


def brute_km(lon, lat, geom, step_deg=0.0005):
    """Geodesic distance to a polygon by brute force over a densified boundary."""
    if geom.contains(Point(lon, lat)):
        return 0.0
    pts = shapely.get_coordinates(shapely.segmentize(geom.boundary, step_deg))
    _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    return float(np.min(d)) / 1000.0


@pytest.fixture
def toy():
    """AAA|BBB share the meridian 1 E; AAA's west side is a coast; DDD is an enclave in CCC."""
    enclave = box(3.8, 0.8, 4.2, 1.2)
    return gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC", "DDD"], "name": ["A", "B", "C", "D"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(3, 0, 5, 2).difference(enclave), enclave],
        crs="EPSG:4326",
    )


# ----------------------------------------------------------------------------------------------
# load_borders
# ----------------------------------------------------------------------------------------------
def write(gdf, path, **kw):
    gdf.to_file(path, **kw)
    return path


def test_load_borders_natural_earth_minus99(tmp_path):
    layer = gpd.GeoDataFrame(
        {
            "ISO_A3": ["-99", "UZB", "-99", "KAZ", "KAZ", "-99"],
            "ISO_A3_EH": ["FRA", "UZB", "-99", "KAZ", "KAZ", "-99"],
            "ADM0_A3": ["FRA", "UZB", "NOR", "KAZ", "KAZ", "KOS"],
            "NAME": ["France", "Uzbekistan", "Norway", "Kazakhstan", "Kazakhstan", "Kosovo"],
        },
        geometry=[
            box(0, 45, 5, 50),
            box(56, 37, 73, 41),
            box(5, 58, 30, 70),
            box(50, 41, 60, 55),
            box(60, 41, 87, 55),
            box(20, 42, 21, 43),
        ],
        crs="EPSG:4326",
    )
    out = geo.load_borders(write(layer, tmp_path / "ne.gpkg"))
    assert out["iso_a3"].tolist() == ["FRA", "KAZ", "NOR", "UZB", "XKX"]
    assert out["name"].tolist() == ["France", "Kazakhstan", "Norway", "Uzbekistan", "Kosovo"]
    assert (out.geom_type == "MultiPolygon").all()
    assert out.crs.to_epsg() == 4326
    kaz = out.set_index("iso_a3").geometry["KAZ"]
    assert kaz.bounds == (50.0, 41.0, 87.0, 55.0)  # two rows dissolved
    assert out.attrs["repaired"] == 0
    assert out.attrs["code_column"] == "ISO_A3"


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_load_borders_formats_and_case_insensitive_column(tmp_path, fmt):
    layer = gpd.GeoDataFrame(
        {"Iso3": ["KGZ", "TJK"], "Country": ["Kyrgyzstan", "Tajikistan"]},
        geometry=[box(69, 39, 80, 43), box(67, 36, 75, 39)],
        crs="EPSG:4326",
    )
    out = geo.load_borders(write(layer, tmp_path / f"b.{fmt}"))
    assert out["iso_a3"].tolist() == ["KGZ", "TJK"]
    assert out["name"].tolist() == ["Kyrgyzstan", "Tajikistan"]


def test_load_borders_named_column_iso2_and_reprojection(tmp_path):
    layer = gpd.GeoDataFrame(
        {"my_code": ["kg", "XX"], "label": ["x", "y"]},
        geometry=[box(69, 39, 80, 43), box(60, 30, 61, 31)],
        crs="EPSG:4326",
    ).to_crs(3857)
    out = geo.load_borders(write(layer, tmp_path / "b.gpkg"), code_column="MY_CODE")
    assert out["iso_a3"].tolist() == ["KGZ"]  # ISO2 mapped; the unknown code dropped
    assert out["name"].tolist() == ["Kyrgyzstan"]  # no name column: from the ISO table
    assert out.crs.to_epsg() == 4326
    assert np.allclose(out.total_bounds, [69, 39, 80, 43])


def test_load_borders_unknown_code_column_lists_columns(tmp_path):
    layer = gpd.GeoDataFrame({"a": ["KGZ"], "b": [1]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    path = write(layer, tmp_path / "b.gpkg")
    with pytest.raises(GeodataError, match=r"code column 'zzz' not in borders .*columns: a, b"):
        geo.load_borders(path, code_column="zzz")
    with pytest.raises(GeodataError, match=r"no country-code column found.*columns: a, b"):
        geo.load_borders(path)


def test_load_borders_without_crs(tmp_path):
    layer = gpd.GeoDataFrame({"iso_a3": ["KGZ"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = write(layer, tmp_path / "b.shp")
    with pytest.raises(CRSError, match="no coordinate reference system"):
        geo.load_borders(path)


def test_load_borders_in_metres_labelled_as_degrees(tmp_path):
    metres = box(500_000, 4_400_000, 600_000, 4_500_000)  # UTM 42N, labelled WGS 84
    layer = gpd.GeoDataFrame({"iso_a3": ["UZB", "KAZ"]}, geometry=[metres, box(0, 0, 1, 1)])
    path = write(layer.set_crs(4326), tmp_path / "b.gpkg")
    with pytest.raises(
        CRSError,
        match=r"borders layer b\.gpkg has coordinates beyond longitude -180\.\.180 or latitude "
        r"-90\.\.90 in WGS 84 \(extent 0, 0, 600000, 4\.5e\+06\): is its coordinate",
    ):
        geo.load_borders(path)
    polar = gpd.GeoDataFrame({"iso_a3": ["ATA"]}, geometry=[box(10, 80, 20, 90.5)], crs=4326)
    with pytest.raises(CRSError, match=r"extent 10, 80, 20, 90\.5"):
        geo.load_borders(polar)
    edges = gpd.GeoDataFrame({"iso_a3": ["ATA"]}, geometry=[box(-180, -90, 180, -60)], crs=4326)
    assert geo.load_borders(edges).total_bounds.tolist() == [-180, -90, 180, -60]


def test_load_borders_empty_layer(tmp_path):
    layer = gpd.GeoDataFrame({"iso_a3": pd.Series([], dtype=str)}, geometry=[], crs=4326)
    path = write(layer, tmp_path / "b.gpkg")
    with pytest.raises(GeodataError, match="is empty"):
        geo.load_borders(path)


def test_load_borders_points_are_rejected(tmp_path):
    layer = gpd.GeoDataFrame({"iso_a3": ["KGZ"]}, geometry=[Point(70, 40)], crs=4326)
    with pytest.raises(GeodataError, match="holds no polygons"):
        geo.load_borders(write(layer, tmp_path / "b.gpkg"))


def test_load_borders_missing_file(tmp_path):
    with pytest.raises(DataSourceError, match="borders file not found"):
        geo.load_borders(tmp_path / "nope.gpkg")


def test_load_borders_repairs_invalid_geometry(tmp_path, caplog):
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    layer = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"]}, geometry=[bowtie, box(5, 5, 6, 6)], crs=4326
    )
    with caplog.at_level(logging.WARNING, logger="hazid.geography"):
        out = geo.load_borders(write(layer, tmp_path / "b.gpkg"))
    assert out.attrs["repaired"] == 1
    assert "repaired 1 invalid border geometry" in caplog.text and "AAA" in caplog.text
    assert out.is_valid.all()
    aaa = out.set_index("iso_a3").geometry["AAA"]
    assert aaa.area == pytest.approx(2.0)  # both lobes of the bow tie kept


def test_load_borders_rows_without_code_or_geometry_dropped(tmp_path, caplog):
    layer = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "-99", "CCC"]},
        geometry=[box(0, 0, 1, 1), box(2, 2, 3, 3), None],
        crs=4326,
    )
    with caplog.at_level(logging.WARNING, logger="hazid.geography"):
        out = geo.load_borders(write(layer, tmp_path / "b.gpkg"))
    assert out["iso_a3"].tolist() == ["AAA"]
    assert "no usable country code" in caplog.text
    assert "no geometry" in caplog.text


def test_load_borders_multilayer_picks_polygons(tmp_path):
    path = tmp_path / "multi.gpkg"
    gpd.GeoDataFrame({"iso_a3": ["PPP"]}, geometry=[Point(0, 0)], crs=4326).to_file(
        path, layer="cities"
    )
    gpd.GeoDataFrame({"iso_a3": ["KGZ"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(
        path, layer="countries"
    )
    assert geo.load_borders(path)["iso_a3"].tolist() == ["KGZ"]
    with pytest.raises(GeodataError, match="holds no polygons"):
        geo.load_borders(path, layer="cities")


def test_load_borders_geoparquet(tmp_path):
    path = tmp_path / "b.parquet"
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        path.write_bytes(b"not parquet")
        with pytest.raises(GeodataError, match="pyarrow"):
            geo.load_borders(path)
    else:
        gpd.GeoDataFrame({"ISO3": ["KGZ"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_parquet(path)
        assert geo.load_borders(path)["iso_a3"].tolist() == ["KGZ"]


def test_iso_codes_table():
    t = geo.iso_codes()
    assert len(t) == 250
    assert not t["iso_a2"].duplicated().any() and not t["iso_a3"].duplicated().any()
    codes = dict(zip(t["iso_a2"], t["iso_a3"], strict=True))
    assert codes["NA"] == "NAM"  # Namibia is not read as a missing value
    assert [codes[c] for c in ("KZ", "KG", "TJ", "TM", "UZ", "XK")] == [
        "KAZ",
        "KGZ",
        "TJK",
        "TKM",
        "UZB",
        "XKX",
    ]


# ----------------------------------------------------------------------------------------------
# resolve_borders
# ----------------------------------------------------------------------------------------------
def _toy_file(path, code="KGZ"):
    gpd.GeoDataFrame({"iso_a3": [code]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(path)
    return path


def test_resolve_borders_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HAZID_DCW", str(tmp_path / "missing.nc"))
    explicit = _toy_file(tmp_path / "explicit.gpkg", "AAA")
    env = _toy_file(tmp_path / "env.gpkg", "BBB")
    monkeypatch.setenv("HAZID_BORDERS", str(env))
    assert geo.resolve_borders(explicit)["iso_a3"].tolist() == ["AAA"]
    assert geo.resolve_borders()["iso_a3"].tolist() == ["BBB"]
    assert geo.load_borders()["iso_a3"].tolist() == ["BBB"]
    monkeypatch.delenv("HAZID_BORDERS")
    # a Natural Earth download in the data directory is the last resort
    ne = Path(os.environ["HAZID_DATA_DIR"]) / "ne_10m_countries"
    ne.mkdir(parents=True)
    _toy_file(ne / "ne_10m_admin_0_countries.shp", "CCC")
    assert geo.resolve_borders()["iso_a3"].tolist() == ["CCC"]


def test_resolve_borders_nothing_found_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("HAZID_DCW", str(tmp_path / "missing.nc"))
    monkeypatch.setattr(embedded, "GEODATA_DIR", tmp_path / "no-embedded-data")
    with pytest.raises(DataSourceError, match="no country borders found") as err:
        geo.resolve_borders()
    text = str(err.value)
    for hint in (
        "--borders PATH",
        "HAZID_BORDERS",
        "apt-get install gmt-dcw",
        "hazid data fetch ne_10m_countries",
    ):
        assert hint in text


def test_resolve_borders_env_file_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("HAZID_BORDERS", str(tmp_path / "gone.gpkg"))
    with pytest.raises(DataSourceError, match="borders file not found"):
        geo.resolve_borders()


# ----------------------------------------------------------------------------------------------
# DCW decoding on a synthetic file in the DCW-GMT layout
# ----------------------------------------------------------------------------------------------
def _encode(rings):
    """DCW encoding of [(lon/lat array, hole), ...] -> raw lon, raw lat, attributes."""
    allxy = np.vstack([r for r, _ in rings])
    mins = allxy.min(axis=0)
    scale = 65534.0 / np.maximum(allxy.max(axis=0) - mins, 1e-9)
    raw_lon, raw_lat = [], []
    for xy, hole in rings:
        raw_lon.append([65535])
        raw_lat.append([1 if hole else 0])
        q = np.round((xy - mins) * scale).astype(int)
        raw_lon.append(q[:, 0])
        raw_lat.append(q[:, 1])
    return np.concatenate(raw_lon), np.concatenate(raw_lat), mins, scale


def _square(x0, y0, x1, y1, reverse=False):
    xy = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], float)
    return xy[::-1] if reverse else xy


def make_dcw(folder, with_txt=True):
    import netCDF4

    folder.mkdir(parents=True, exist_ok=True)
    enclave = _square(71.0, 40.5, 71.5, 41.0)
    countries = {
        # Kyrgyzstan-like: an enclave stored twice (once reversed) and a 2-point ring
        "KG": [
            (_square(70, 40, 74, 42), False),
            (enclave, False),
            (enclave[::-1], False),
            (np.array([(72.0, 41.0), (72.1, 41.0)]), False),
        ],
        "TJ": [(_square(68, 37, 70, 40), False), (enclave, False)],
        # South-Africa-like: a flagged hole
        "ZA": [(_square(20, -30, 30, -25), False), (_square(25, -28, 26, -27), True)],
        "LS": [(_square(25, -28, 26, -27), False)],
        # Fiji-like: crosses the antimeridian in 0..360 longitudes; open ring
        "FJ": [(np.array([(178, -18), (182, -18), (182, -16), (178, -16)], float), False)],
        # Antarctica-like: jumps from -179 to 179 and is closed through the pole
        "AQ": [
            (
                np.array(
                    [(-179, -70), (-90, -72), (0, -70), (90, -72), (179, -70), (-179, -70)], float
                ),
                False,
            )
        ],
        # a state entry that is not a country
        "USAK": [(_square(200, 55, 210, 65), False)],
    }
    path = folder / "dcw-gmt.nc"
    with netCDF4.Dataset(path, "w") as ds:
        for code, rings in countries.items():
            raw_lon, raw_lat, mins, scale = _encode(rings)
            ds.createDimension(f"{code}_length", raw_lon.size)
            for k, (name, raw) in enumerate((("lon", raw_lon), ("lat", raw_lat))):
                var = ds.createVariable(f"{code}_{name}", "u2", (f"{code}_length",))
                var.setncattr("min", mins[k])
                var.setncattr("scale", scale[k])
                var.set_auto_maskandscale(False)
                var[:] = raw.astype(np.uint16)
    if with_txt:
        (folder / "dcw-countries.txt").write_text(
            "# dcw-countries.txt\n# continent code name\n"
            "AS KG Kyrgyzstan\nAS TJ Tajikistan\nAF ZA South Africa\nAF LS Lesotho\n"
            "OC FJ Fiji\nAN AQ Antarctica\nNA USAK Alaska\n",
            encoding="utf-8",
        )
    return path


@pytest.fixture
def dcw(tmp_path):
    geo._read_dcw_cached.cache_clear()
    yield make_dcw(tmp_path / "dcw")
    geo._read_dcw_cached.cache_clear()


def test_read_dcw_synthetic(dcw):
    b = geo.read_dcw(dcw).set_index("iso_a3")
    assert sorted(b.index) == ["ATA", "FJI", "KGZ", "LSO", "TJK", "ZAF"]  # USAK skipped
    assert b.loc["KGZ", "name"] == "Kyrgyzstan" and b.loc["KGZ", "iso_a2"] == "KG"
    assert b.geometry.is_valid.all() and (b.geom_type == "MultiPolygon").all()
    g = b.geometry
    # duplicated reversed ring inside Kyrgyzstan is a hole (enclave of Tajikistan)
    assert not g["KGZ"].contains(Point(71.25, 40.75)) and g["TJK"].contains(Point(71.25, 40.75))
    assert g["KGZ"].contains(Point(72.5, 41.5))
    # flagged hole
    assert not g["ZAF"].contains(Point(25.5, -27.5)) and g["LSO"].contains(Point(25.5, -27.5))
    # antimeridian: cut at 180 and shifted
    assert len(g["FJI"].geoms) == 2
    assert g["FJI"].contains(Point(179, -17)) and g["FJI"].contains(Point(-179, -17))
    assert g["FJI"].bounds[0] == pytest.approx(-180) and g["FJI"].bounds[2] == pytest.approx(180)
    # Antarctica closed through the pole
    assert g["ATA"].contains(Point(0, -85)) and g["ATA"].contains(Point(179.5, -89))
    assert not g["ATA"].contains(Point(0, -60))


def test_read_dcw_subset_cache_and_errors(dcw, monkeypatch):
    sub = geo.read_dcw(dcw, countries=["KGZ", "tj"])
    assert sub["iso_a3"].tolist() == ["KGZ", "TJK"]
    assert sub.attrs["source"] == str(dcw)
    cache = list((Path(os.environ["HAZID_DATA_DIR"]) / "cache").glob("dcw-*.gpkg"))
    assert len(cache) == 1
    # the second read (new process: memory cache cleared) comes from disk, not from decoding
    geo._read_dcw_cached.cache_clear()

    def boom(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(geo_dcw, "_decode_dcw_country", boom)
    again = geo.read_dcw(dcw, countries=["KG", "TJ"])
    assert again.geom_equals(sub).all()
    with pytest.raises(AssertionError, match="decoded again"):
        geo.read_dcw(dcw, countries=["KG", "TJ"], cache=False)
    with pytest.raises(ChoiceError, match="DCW country must be one of"):
        geo.read_dcw(dcw, countries=["DE"])


def test_read_dcw_without_country_list(tmp_path):
    geo._read_dcw_cached.cache_clear()
    path = make_dcw(tmp_path / "bare", with_txt=False)
    b = geo.read_dcw(path, cache=False)
    assert sorted(b["iso_a2"]) == ["AQ", "FJ", "KG", "LS", "TJ", "ZA"]
    assert b.set_index("iso_a2").loc["LS", "name"] == "Lesotho"  # from the ISO table
    geo._read_dcw_cached.cache_clear()


def test_read_dcw_missing(tmp_path, monkeypatch):
    with pytest.raises(DataSourceError, match="apt-get install gmt-dcw"):
        geo.read_dcw(tmp_path / "none.nc")
    monkeypatch.setenv("HAZID_DCW", str(tmp_path / "none.nc"))
    with pytest.raises(DataSourceError, match="Digital Chart of the World not found"):
        geo.read_dcw()


def test_resolve_borders_uses_dcw(dcw, monkeypatch):
    monkeypatch.setenv("HAZID_DCW", str(dcw))
    b = geo.resolve_borders()
    assert "KGZ" in set(b["iso_a3"]) and b.attrs["source"] == str(dcw)
    assert b.attrs["provenance"] == {"name": dcw.name, "origin": "DCW"}


# ----------------------------------------------------------------------------------------------
# assign_country
# ----------------------------------------------------------------------------------------------
def test_assign_country_inside_border_coast_enclave(toy):
    sites = make_sites(
        [(0.5, 0.5), (1.0, 0.5), (-0.005, 0.5), (4.0, 1.0), (3.5, 0.5), (-0.05, 0.5)],
        country=["AAA", "BBB", "", None, "", ""],
    )
    out = geo.assign_country(sites, toy)
    assert out["site_country"].tolist() == ["AAA", "BBB", "AAA", "DDD", "CCC", ""]
    assert out["country_snapped"].tolist() == [False, True, True, False, False, False]
    w = out["country_warning"].tolist()
    assert w[0] == "" and w[3] == "" and w[4] == ""
    assert w[1] == "on the border of AAA and BBB (0.000 km); taken as BBB"
    assert w[2] == "outside every country polygon; snapped to AAA (0.557 km)"
    assert w[5] == "outside every country polygon (none within 1 km)"
    # the input is not modified and the inventory country is kept
    assert "site_country" not in sites.columns
    assert out["country"].tolist()[:2] == ["AAA", "BBB"]


def test_assign_country_border_tie_without_inventory_and_snap_distance(toy):
    sites = make_sites([(1.0, 0.5), (-0.005, 0.5)])
    out = geo.assign_country(sites, toy, snap_km=0.5)
    assert out["site_country"].tolist() == ["AAA", ""]  # tie: first in borders order
    assert out["country_snapped"].tolist() == [True, False]
    assert out["country_warning"][1] == "outside every country polygon (none within 0.5 km)"


def test_assign_country_inventory_disagrees(toy):
    out = geo.assign_country(make_sites([(1.5, 0.5)], country=["aaa"]), toy)
    assert out["site_country"][0] == "BBB"
    assert out["country"][0] == "aaa"
    assert out["country_warning"][0] == "inventory country AAA, but the location is in BBB"


def test_assign_country_overlapping_polygons():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["EEE", "FFF"]}, geometry=[box(0, 0, 2, 1), box(1.9, 0, 4, 1)], crs=4326
    )
    sites = make_sites([(1.95, 0.5), (1.95, 0.5), (1.91, 0.5)], country=["FFF", "", ""])
    out = geo.assign_country(sites, borders)
    # inventory wins; else the polygon whose edge is farther (1.95: 0.05 deg from both edges
    # -> tie broken by order; 1.91: EEE's edge at 2.0 is farther than FFF's at 1.9)
    assert out["site_country"].tolist() == ["FFF", "EEE", "EEE"]
    assert out["country_warning"][0].startswith("inside overlapping polygons of EEE and FFF")
    assert not out["country_snapped"].any()


def test_assign_country_accepts_lon_lat_frame_and_projected(toy):
    frame = pd.DataFrame({"site_id": ["a"], "lon": [1.5], "lat": [0.5]})
    assert geo.assign_country(frame, toy)["site_country"].tolist() == ["BBB"]
    projected = make_sites([(0.5, 0.5)]).to_crs(3857)
    assert geo.assign_country(projected, toy.to_crs(3857))["site_country"].tolist() == ["AAA"]


def test_input_errors(toy):
    sites = make_sites([(0.5, 0.5)])
    with pytest.raises(CRSError, match="sites layer has no coordinate reference system"):
        geo.assign_country(sites.set_crs(None, allow_override=True), toy)
    with pytest.raises(CRSError, match="borders layer has no coordinate reference system"):
        geo.assign_country(sites, toy.set_crs(None, allow_override=True))
    with pytest.raises(GeodataError, match="need a 'site_id' column"):
        geo.assign_country(sites.drop(columns="site_id"), toy)
    with pytest.raises(GeodataError, match="not a point: s0"):
        geo.assign_country(sites.set_geometry([box(0, 0, 1, 1)]), toy)
    with pytest.raises(GeodataError, match="GeoDataFrame of points or have lon/lat"):
        geo.assign_country(pd.DataFrame({"site_id": ["a"]}), toy)
    with pytest.raises(GeodataError, match="borders need an 'iso_a3' column"):
        geo.assign_country(sites, toy.rename(columns={"iso_a3": "code"}))
    with pytest.raises(GeodataError, match="one row per country; repeated: AAA"):
        geo.assign_country(sites, pd.concat([toy, toy.iloc[:1]]))
    with pytest.raises(GeodataError, match="borders must be a GeoDataFrame"):
        geo.assign_country(sites, pd.DataFrame(toy.drop(columns="geometry")))


# ----------------------------------------------------------------------------------------------
# border_distance / distance_to_country
# ----------------------------------------------------------------------------------------------
def test_border_distance_hand_worked(toy):
    sites = make_sites([(0.9, 0.5), (4.0, 1.0), (3.5, 1.0), (1.5, 0.999)])
    out = geo.border_distance(sites, toy)
    # 0.1 deg of longitude at 0.5 N: the geodesic to the meridian 1 E
    expected = GEOD.inv(0.9, 0.5, 1.0, 0.5)[2] / 1000
    assert out["border_km"][0] == pytest.approx(expected, abs=0.002)
    assert out["border_km"][0] == pytest.approx(11.132, abs=0.001)
    assert out["nearest_foreign"].tolist() == ["BBB", "CCC", "DDD", "AAA"]
    # from the enclave's centre to its edge: 0.2 deg of latitude (22.1 km) vs longitude (22.3)
    assert out["border_km"][1] == pytest.approx(GEOD.inv(4.0, 1.0, 4.0, 1.2)[2] / 1000, abs=0.002)
    assert out["border_km"][2] == pytest.approx(GEOD.inv(3.5, 1.0, 3.8, 1.0)[2] / 1000, abs=0.002)
    assert out["site_country"].tolist() == ["AAA", "DDD", "CCC", "BBB"]  # assigned on the way


@pytest.mark.parametrize("lat0", [0.0, 35.0, 60.0, 75.0, -45.0])
def test_border_distance_matches_brute_force(lat0):
    rng = np.random.default_rng(int(abs(lat0)) + 7)
    far = Polygon(
        [(10, lat0), (13, lat0 + 0.5), (12.5, lat0 + 2), (10.5, lat0 + 1.6), (11, lat0 + 0.8)]
    )
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["OWN", "FAR"]}, geometry=[box(-20, lat0 - 3, -19, lat0 - 2), far], crs=4326
    )
    lon = rng.uniform(6, 17, 40)
    lat = rng.uniform(lat0 - 3, lat0 + 5, 40)
    sites = make_sites(list(zip(lon, lat, strict=True)))
    sites["site_country"] = "OWN"
    out = geo.border_distance(sites, borders)
    truth = np.array([brute_km(x, y, far) for x, y in zip(lon, lat, strict=True)])
    got = out["border_km"].to_numpy()
    assert (out["nearest_foreign"] == "FAR").all()
    # target: within 0.5 % or 200 m; achieved: within a few metres
    assert np.all(np.abs(got - truth) <= np.maximum(0.005 * truth, 0.2))
    assert np.all(np.abs(got - truth) <= 0.005)


def test_border_distance_far_and_across_antimeridian_and_pole():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["WWW", "XXX", "YYY", "POL"]},
        geometry=[
            MultiPolygon([box(179, 10, 180, 11), box(-180, 10, -179, 11)]),
            box(-179, 10, -178, 11),
            box(178, 10, 179, 11),
            box(0, 85, 40, 88),
        ],
        crs=4326,
    )
    pts = [(-178.95, 10.5), (178.95, 10.5), (-179.999, 11.05), (100.0, 89.0), (20.0, 60.0)]
    out = geo.border_distance(make_sites(pts), borders)
    assert out["site_country"].tolist() == ["XXX", "YYY", "", "", ""]
    assert out["nearest_foreign"].tolist() == ["WWW", "WWW", "WWW", "POL", "POL"]
    geoms = borders.set_index("iso_a3").geometry
    truth = [
        brute_km(*pts[0], geoms["WWW"]),
        brute_km(*pts[1], geoms["WWW"]),
        brute_km(*pts[2], geoms["WWW"]),
        brute_km(*pts[3], geoms["POL"]),
        brute_km(*pts[4], geoms["POL"]),
    ]
    assert out["border_km"].to_numpy() == pytest.approx(truth, abs=0.005)
    assert truth[4] > 2500  # found after several search steps


def test_border_distance_no_foreign_and_overlap():
    alone = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    out = geo.border_distance(make_sites([(0.5, 0.5)]), alone)
    assert np.isnan(out["border_km"][0]) and out["nearest_foreign"][0] == ""
    overlap = gpd.GeoDataFrame(
        {"iso_a3": ["EEE", "FFF"]}, geometry=[box(0, 0, 2, 1), box(1.9, 0, 4, 1)], crs=4326
    )
    out = geo.border_distance(make_sites([(1.95, 0.5)], country=["EEE"]), overlap)
    assert out["site_country"][0] == "EEE"
    assert out["border_km"][0] == 0.0 and out["nearest_foreign"][0] == "FFF"


def test_distance_to_country(toy):
    sites = make_sites([(0.9, 0.5), (1.5, 0.5)], ids=["a", "b"])
    pairs = pd.DataFrame({"site_id": ["b", "a", "a"], "iso_a3": ["AAA", "ccc", "AAA"]})
    out = geo.distance_to_country(sites, toy, pairs)
    assert out[["site_id", "iso_a3"]].values.tolist() == [["b", "AAA"], ["a", "ccc"], ["a", "AAA"]]
    assert out["border_km"][0] == pytest.approx(GEOD.inv(1.5, 0.5, 1.0, 0.5)[2] / 1000, abs=0.002)
    assert out["border_km"][1] == pytest.approx(brute_km(0.9, 0.5, toy.geometry[2]), abs=0.005)
    assert out["border_km"][2] == 0.0
    with pytest.raises(GeodataError, match="site_id not in sites: zz"):
        geo.distance_to_country(sites, toy, pd.DataFrame({"site_id": ["zz"], "iso_a3": ["AAA"]}))
    with pytest.raises(GeodataError, match="iso_a3 not in borders: QQQ"):
        geo.distance_to_country(sites, toy, pd.DataFrame({"site_id": ["a"], "iso_a3": ["QQQ"]}))
    with pytest.raises(GeodataError, match="missing iso_a3"):
        geo.distance_to_country(sites, toy, pd.DataFrame({"site_id": ["a"]}))


# ----------------------------------------------------------------------------------------------
# affected_by_air
# ----------------------------------------------------------------------------------------------
def zones_for(sites, spec):
    """spec: list of (site_id, hazard, km)."""
    by_id = sites.set_index("site_id").geometry
    return gpd.GeoDataFrame(
        {
            "site_id": [s for s, _, _ in spec],
            "hazard": [h for _, h, _ in spec],
            "substance_key": "chlorine",
            "zone_km": [k for _, _, k in spec],
        },
        geometry=[circle(by_id[s].x, by_id[s].y, k) for s, _, k in spec],
        crs="EPSG:4326",
    )


def test_affected_by_air_toy(toy):
    sites = make_sites([(0.95, 0.5), (0.3, 0.5), (4.0, 1.0)], ids=["near", "inland", "encl"])
    zones = zones_for(
        sites,
        [
            ("near", "toxic", 10.0),
            ("near", "fire", 2.0),
            ("near", "explosion", 8.0),
            ("inland", "toxic", 10.0),
            ("encl", "toxic", 30.0),
        ],
    )
    out = geo.affected_by_air(sites, zones, toy)
    assert list(out.columns) == [
        "site_id",
        "affected",
        "pathway",
        "hazard",
        "zone_km",
        "border_km",
        "margin_km",
        "uncertain",
    ]
    rows = out.set_index(["site_id", "affected"])
    assert sorted(rows.index) == [("encl", "CCC"), ("near", "BBB")]
    near = rows.loc[("near", "BBB")]
    border = GEOD.inv(0.95, 0.5, 1.0, 0.5)[2] / 1000
    assert near["hazard"] == "toxic" and near["zone_km"] == 10.0 and near["pathway"] == "air"
    assert near["border_km"] == pytest.approx(border, abs=0.002)
    assert near["margin_km"] == pytest.approx(10.0 - border, abs=0.002)
    assert bool(near["uncertain"]) is True  # margin 4.43 km < 5 km
    assert bool(rows.loc[("encl", "CCC"), "uncertain"]) is False
    strict = geo.affected_by_air(sites, zones, toy, uncertainty_km=1.0)
    assert not strict["uncertain"].any()


def test_affected_by_air_empty_and_errors(toy):
    sites = make_sites([(0.5, 0.5)], ids=["a"])
    none = geo.affected_by_air(sites, zones_for(sites, [("a", "toxic", 1.0)]), toy)
    assert none.empty and "margin_km" in none.columns
    empty = zones_for(sites, [("a", "toxic", 1.0)]).iloc[:0]
    assert geo.affected_by_air(sites, empty, toy).empty
    with pytest.raises(GeodataError, match=r"site_id.* not in sites: zz"):
        geo.affected_by_air(
            sites, zones_for(sites, [("a", "toxic", 1.0)]).assign(site_id="zz"), toy
        )
    with pytest.raises(GeodataError, match="zones lack column"):
        geo.affected_by_air(
            sites, zones_for(sites, [("a", "toxic", 1.0)]).drop(columns="zone_km"), toy
        )
    with pytest.raises(CRSError, match="zones layer has no coordinate reference system"):
        geo.affected_by_air(
            sites, zones_for(sites, [("a", "toxic", 1.0)]).set_crs(None, allow_override=True), toy
        )
    with pytest.raises(GeodataError, match="zones must be a GeoDataFrame"):
        geo.affected_by_air(sites, pd.DataFrame({"site_id": ["a"]}), toy)


# ----------------------------------------------------------------------------------------------
# real data
# ----------------------------------------------------------------------------------------------
SARYAGASH = (69.19, 41.49)  # chlorine store about 4 km from the Uzbek border (Kazakhstan)
OSH = (72.80, 40.53)  # Kyrgyzstan, about 6 km from Uzbekistan


def _inland(lon, lat, km=100.0, az=0.0):
    x, y, _ = GEOD.fwd(lon, lat, az, km * 1000.0)
    return (x, y)


@pytest.mark.shared
@needs_shared
def test_natural_earth_codes():
    ne10 = geo.load_borders(SHARED / "ne_10m_countries.gpkg")
    ne50 = geo.load_borders(SHARED / "ne_50m_countries.gpkg")
    for b in (ne10, ne50):
        codes = set(b["iso_a3"])
        assert {"FRA", "NOR", "KAZ", "KGZ", "TJK", "TKM", "UZB", "XKX"} <= codes
        assert "-99" not in codes and not b["iso_a3"].duplicated().any()
    assert ne10.attrs["repaired"] == 0


@pytest.mark.shared
@needs_shared
@pytest.mark.parametrize("source", ["ne_10m_countries.gpkg", "countries_dcw.gpkg"])
def test_chlorine_store_near_border_affects_neighbour(source):
    borders = geo.load_borders(SHARED / source)
    sites = make_sites(
        [SARYAGASH, _inland(*SARYAGASH), OSH, _inland(*OSH, az=45.0)],
        ids=["sary", "sary_in", "osh", "osh_in"],
    )
    located = geo.border_distance(geo.assign_country(sites, borders), borders)
    assert located["site_country"].tolist() == ["KAZ", "KAZ", "KGZ", "KGZ"]
    assert located["nearest_foreign"].tolist()[0] == "UZB"
    assert 2.0 < located["border_km"][0] < 6.0
    assert 3.0 < located["border_km"][2] < 9.0
    assert located["border_km"][1] > 50 and located["border_km"][3] > 50
    zones = zones_for(located, [(s, "toxic", 10.0) for s in located["site_id"]])
    out = geo.affected_by_air(located, zones, borders)
    assert out[["site_id", "affected"]].values.tolist() == [["osh", "UZB"], ["sary", "UZB"]]
    sary = out.set_index("site_id").loc["sary"]
    assert sary["margin_km"] == pytest.approx(10.0 - located["border_km"][0])


@pytest.mark.shared
@needs_shared
def test_enclaves_on_shared_dcw():
    borders = geo.load_borders(SHARED / "countries_dcw.gpkg")
    sites = make_sites([(70.6274, 39.8482), (71.0628, 40.0334)], country=["TJK", "UZB"])
    out = geo.assign_country(sites, borders)
    assert out["site_country"].tolist() == ["TJK", "UZB"]


# ----------------------------------------------------------------------------------------------
# the real Digital Chart of the World (gmt-dcw)
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_dcw(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HAZID_DATA_DIR", str(tmp_path_factory.mktemp("dcw-cache")))
    try:
        yield geo.read_dcw(REAL_DCW, countries=["KZ", "KG", "UZ", "TJ", "CH"])
    finally:
        mp.undo()


@needs_dcw
def test_real_dcw_areas(real_dcw):
    areas = {
        r.iso_a3: abs(GEOD.geometry_area_perimeter(r.geometry)[0]) / 1e6
        for r in real_dcw.itertuples()
    }
    assert areas["KAZ"] == pytest.approx(2_695_022, rel=0.01)
    assert areas["KGZ"] == pytest.approx(199_241, rel=0.01)
    assert areas["CHE"] == pytest.approx(41_260, rel=0.01)
    assert real_dcw.is_valid.all()


@needs_dcw
def test_real_dcw_enclaves(real_dcw):
    sites = make_sites([(70.6274, 39.8482), (71.0628, 40.0334), (72.8, 40.53)])
    out = geo.assign_country(sites, real_dcw)
    assert out["site_country"].tolist() == ["TJK", "UZB", "KGZ"]  # Vorukh, Sokh, Osh
    g = real_dcw.set_index("iso_a3").geometry["KGZ"]
    assert sum(len(p.interiors) for p in g.geoms) == 2


@pytest.mark.shared
@needs_shared
@needs_dcw
def test_real_dcw_agrees_with_shared_decode(real_dcw):
    ref = gpd.read_file(SHARED / "countries_dcw.gpkg").set_index("iso_a3")
    for code, geom in real_dcw.set_index("iso_a3").geometry.items():
        other = ref.geometry[code]
        assert geom.symmetric_difference(other).area / other.area < 0.01, code


def test_site_codes_tidied_alike_for_text_and_mixed_values():
    from hazid.geography.sites import _text

    text = np.array([" kaz", None, "Uzb ", np.nan, " kaz"], dtype=object)
    assert _text(text, 5).tolist() == ["KAZ", "", "UZB", "", "KAZ"]
    assert _text(pd.array(["kaz", None], dtype="string"), 2).tolist() == ["KAZ", ""]
    # values equal in Python but written differently stay apart
    assert _text(np.array([1, 1.0, True, " x"], dtype=object), 4).tolist() == [
        "1",
        "1.0",
        "TRUE",
        "X",
    ]
    assert _text(None, 2).tolist() == ["", ""]


def test_distance_to_country_repeated_site_id_means_its_last_row():
    borders = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, geometry=[box(1, 0, 2, 1)], crs=4326)
    sites = make_sites([(0.0, 0.5), (0.5, 0.5), (0.9, 0.5)], ids=["s1", "s2", "s1"])
    pairs = pd.DataFrame({"site_id": ["s1", "s2"], "iso_a3": ["AAA", "aaa"]})
    out = geo.distance_to_country(sites, borders, pairs)
    assert out["border_km"][0] == pytest.approx(GEOD.inv(0.9, 0.5, 1.0, 0.5)[2] / 1000, abs=0.002)
    assert out["border_km"][1] == pytest.approx(GEOD.inv(0.5, 0.5, 1.0, 0.5)[2] / 1000, abs=0.002)
    with pytest.raises(GeodataError, match="site_id not in sites: s3, s4"):
        geo.distance_to_country(
            sites, borders, pd.DataFrame({"site_id": ["s4", "s3", "s1"], "iso_a3": ["AAA"] * 3})
        )
