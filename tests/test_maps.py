"""Tests of hazid.maps without a browser: the rendered HTML is inspected as text."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from hazid import maps
from hazid.errors import ChoiceError, CRSError, GeodataError, OutputError
from hazid.maps import MAP_LAYERS, screening_map, write_map
from hazid.maps.layers import _crossings

GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_circle(lon: float, lat: float, radius_km: float, n: int = 64) -> shapely.Polygon:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_km * 1000.0))
    return shapely.Polygon(np.column_stack([x, y]))


def make_results(**override) -> SimpleNamespace:
    """Three countries side by side, three sites (one of each status), zones, one trace.

    AAA: 60-66 E, 40-44 N (origin); BBB: 66-72 E, 40-44 N; CCC: 60-72 E, 44-48 N.
    S1 (AAA) notifies BBB by air and CCC by water; S2 (AAA) is hazardous but
    notifies nobody; S3 (BBB) is not hazardous.
    """
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC"], "name": ["Aland", "Bland", "Cland"]},
        geometry=[box(60, 40, 66, 44), box(66, 40, 72, 44), box(60, 44, 72, 48)],
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2", "S3"],
            "site_name": ["Alpha Chlor <plant>", "Beta Gas", "Gamma Store"],
            "operator": ["Alpha JSC", "Beta LLC", "Gamma & Co"],
            "country": ["AAA", "AAA", ""],
            "site_country": ["AAA", "AAA", "BBB"],
            "lon": [64.0, 62.0, 69.0],
            "lat": [42.0, 41.0, 43.0],
            "hazardous": [True, True, False],
            "reasons": ["chlorine 150 t >= 20 t (II-10)", "propane 250 t >= 200 t", ""],
        },
        geometry=[Point(64, 42), Point(62, 41), Point(69, 43)],
        crs=4326,
    )
    holdings = pd.DataFrame(
        {
            "site_id": ["S1", "S1", "S2", "S3"],
            "substance": ["Chlorine", "Ammonia", "Propane", "Diesel"],
            "substance_key": ["chlorine", "ammonia", "propane", "diesel"],
            "annex_entry": ["II-10", "II-1", "II-12", "II-19"],
            "quantity_t": [150.0, 12.5, 250.0, 100.0],
            "threshold_t": [20.0, 500.0, 200.0, 2500.0],
            "ratio": [7.5, 0.025, 1.25, 0.04],
        }
    )
    zones = gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S1", "S2"],
            "hazard": ["toxic", "fire", "explosion"],
            "substance_key": ["chlorine", "ammonia", "propane"],
            "zone_km": [250.0, 2.0, 1.5],
            "model": ["ref", "ref", "tnt"],
            "capped": [True, False, False],
            "default_used": [False, False, True],
            "note": ["capped at 250 km", "", ""],
        },
        geometry=[
            geodesic_circle(64, 42, 250),
            geodesic_circle(64, 42, 2),
            geodesic_circle(62, 41, 1.5),
        ],
        crs=4326,
    )
    paths = gpd.GeoDataFrame(
        {
            "site_id": ["S1"],
            "countries": ["AAA;CCC"],
            "river": ["Test Darya"],
            "length_km": [450.0],
        },
        geometry=[LineString([(64, 42), (64.5, 43), (65, 45), (65, 46)])],
        crs=4326,
    )
    affected = pd.DataFrame(
        {
            "site_id": ["S1", "S1"],
            "affected": ["BBB", "CCC"],
            "pathway": ["air", "water"],
            "hazard": ["toxic", np.nan],
            "zone_km": [250.0, np.nan],
            "border_km": [165.9, np.nan],
            "margin_km": [84.1, np.nan],
            "uncertain": [False, np.nan],
            "river": [np.nan, "Test Darya"],
            "river_km": [np.nan, 240.0],
            "arrival_h": [np.nan, 30.5],
            "peak_h": [np.nan, 33.0],
            "peak_mg_l": [np.nan, 0.42],
            "snap_km": [np.nan, 0.3],
        }
    )
    res = SimpleNamespace(
        sites=sites,
        holdings=holdings,
        zones=zones,
        affected=affected,
        river_paths=paths,
        borders=borders,
    )
    for k, v in override.items():
        setattr(res, k, v)
    return res


def layer_data(page: str) -> dict[str, dict]:
    """Parse the GeoJSON embedded in each hazid layer, keyed by the layer key."""
    out = {}
    pattern = re.compile(
        r"L\.geoJSON\((\{\"type\":\"FeatureCollection\".*?\]\}), \{.*?"
        r"reg\.layers\[\"([\w-]+)\"\]",
        re.S,
    )
    for data, key in pattern.findall(page):
        out[key] = json.loads(data)
    return out


def external_refs(page: str) -> list[str]:
    """URLs that the browser would fetch: script src, link href, img src, CSS url()/@import."""
    refs = re.findall(r"<script[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", page, re.I)
    refs += re.findall(r"<link[^>]*\bhref\s*=\s*[\"']?([^\"' >]+)", page, re.I)
    refs += re.findall(r"<img[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", page, re.I)
    for css in re.findall(r"<style>(.*?)</style>", page, re.S):
        refs += re.findall(r"url\(\s*[\"']?([^\"')]+)", css, re.I)
        refs += re.findall(r"@import\s+[\"']?([^\"' ;]+)", css, re.I)
    return [r for r in refs if not r.startswith(("data:", "#"))]


# every absolute URL in the page: Leaflet's attribution link, the SVG namespace and
# two bug-tracker links in Leaflet's comments/strings; none is fetched
ALLOWED_URLS = {
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",
    "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
}


def absolute_urls(page: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>)]*", page))


@pytest.fixture(scope="module")
def demo_page() -> str:
    return screening_map(make_results()).get_root().render()


def test_no_external_resources(demo_page):
    assert external_refs(demo_page) == []
    assert absolute_urls(demo_page) <= ALLOWED_URLS
    # folium's CDN libraries are not referenced at all
    for lib in ("jquery", "bootstrap", "fontawesome", "awesome-markers", "cdn.jsdelivr"):
        assert lib not in demo_page.lower()
    assert "sourceMappingURL" not in demo_page
    assert "L.circleMarker" in demo_page


def test_leaflet_inlined_with_data_uri_images(demo_page):
    assert 't.version="1.9.4"' in demo_page
    assert demo_page.count("url(data:image/png;base64,") == 3
    assert "<script>" in demo_page
    # few sites: no clustering, so markercluster is not embedded
    assert "HazidCluster" not in demo_page
    assert demo_page.startswith("<!DOCTYPE html>")


def test_feature_counts_per_layer(demo_page):
    data = layer_data(demo_page)
    counts = {k: len(v["features"]) for k, v in data.items()}
    assert counts == {
        "countries": 3,
        "affected": 2,
        "origin": 1,
        "zones_toxic": 1,
        "zones_fire": 1,
        "zones_explosion": 1,
        "traces": 1,
        "crossings": 1,
        "sites_other": 1,
        "sites_domestic": 1,
        "sites_notify": 1,
    }
    ids = {
        key: [f["properties"]["id"] for f in data[key]["features"]]
        for key in ("sites_notify", "sites_domestic", "sites_other")
    }
    assert ids == {"sites_notify": ["S1"], "sites_domestic": ["S2"], "sites_other": ["S3"]}
    tips = [f["properties"]["tip"] for f in data["affected"]["features"]]
    assert tips[0].startswith("<b>Bland</b> (BBB)") and "air rows 1" in tips[0]
    assert tips[1].startswith("<b>Cland</b> (CCC)") and "water rows 1" in tips[1]


def test_layer_control_lists_every_layer(demo_page):
    block = re.search(r"base_layers : \{(.*?)\},\s*overlays :\s*\{(.*?)\},", demo_page, re.S)
    assert block is not None
    base, overlays = block.groups()
    assert "Countries (offline base map)" in base
    for label in (
        "Affected Parties (2)",
        "Countries of origin (1)",
        "Zones: toxic (1)",
        "Zones: fire (1)",
        "Zones: explosion (1)",
        "River traces (1)",
        "Border crossings, arrival time (1)",
        "Hazardous, notifying (1)",
        "Hazardous, domestic only (1)",
        "Not hazardous (1)",
    ):
        assert label in overlays, label


def test_popups_carry_site_details(demo_page):
    data = layer_data(demo_page)
    (s1,) = data["sites_notify"]["features"]
    pop = s1["properties"]["popup"]
    assert "Alpha Chlor &lt;plant&gt;" in pop  # escaped
    assert "Alpha JSC" in pop and "AAA" in pop
    for cell in ("Chlorine", "150", "II-10", "7.5", "Ammonia", "12.5", "0.025"):
        assert f">{cell}<" in pop, cell
    assert "chlorine 150 t &gt;= 20 t (II-10)" in pop
    assert "Hazardous, notifying (2 Parties)" in pop
    assert "<td>BBB</td><td>air</td><td>toxic zone 250 km; border at 166 km; margin 84.1 km" in pop
    assert "<td>CCC</td><td>water</td><td>Test Darya: 240 km downstream; arrival 30.5 h" in pop
    assert "peak 0.42 mg/L" in pop
    (s3,) = data["sites_other"]["features"]
    assert "Gamma &amp; Co" in s3["properties"]["popup"]
    assert "Affected Party" not in s3["properties"]["popup"]
    # site names appear in tooltips too
    assert s3["properties"]["tip"] == "Gamma Store"


def test_zone_and_crossing_labels(demo_page):
    data = layer_data(demo_page)
    (toxic,) = data["zones_toxic"]["features"]
    assert toxic["properties"]["tip"] == "Alpha Chlor &lt;plant&gt;: toxic zone 250 km (chlorine)"
    assert "capped" in toxic["properties"]["popup"]
    (explo,) = data["zones_explosion"]["features"]
    assert "default parameters used" in explo["properties"]["popup"]
    (cross,) = data["crossings"]["features"]
    assert cross["properties"]["tip"] == "CCC: 30.5 h"
    assert "peak 33 h, 0.42 mg/L" in cross["properties"]["popup"]
    (trace,) = data["traces"]["features"]
    assert "AAA → CCC" in trace["properties"]["tip"]


def test_crossing_is_where_trace_enters_affected_country():
    res = make_results()
    names = {"S1": "Alpha"}
    pts, props = _crossings(res.river_paths, res.affected, res.borders, names)
    assert len(pts) == 1
    # segment (64.5, 43) -> (65, 45) meets lat 44 at lon 64.75
    assert pts[0].x == pytest.approx(64.75, abs=1e-9)
    assert pts[0].y == pytest.approx(44.0, abs=1e-9)
    assert props[0]["tip"] == "CCC: 30.5 h"


def test_crossing_without_borders_uses_river_km_on_ellipsoid():
    res = make_results()
    pts, _ = _crossings(res.river_paths, res.affected, None, {})
    (p,) = pts
    line = np.asarray(res.river_paths.geometry.iloc[0].coords)
    # geodesic distance from the start along the trace to the point is 240 km
    # (to 0.1 %: the point is placed on the drawn segment, not on the geodesic)
    d01 = GEOD.inv(*line[0], *line[1])[2]
    assert d01 < 240_000
    d1p = GEOD.inv(*line[1], p.x, p.y)[2]
    assert (d01 + d1p) / 1000 == pytest.approx(240.0, rel=1e-3)
    # and the point lies on the second segment
    assert shapely.distance(shapely.LineString(line[1:3]), p) < 1e-9


def test_point_along_km_clamps_to_line_end():
    line = LineString([(60, 40), (61, 40)])
    end = maps._point_along_km(line, 1e6)
    assert (end.x, end.y) == (61.0, 40.0)
    start = maps._point_along_km(line, 0.0)
    assert (start.x, start.y) == (60.0, 40.0)


def test_legend_and_scale_present(demo_page):
    assert 'L.DomUtil.create("div", "hazid-legend")' in demo_page
    legend = re.search(r"div\.innerHTML = (\".*?\");", demo_page).group(1)
    text = json.loads(legend)
    for label in ("Hazardous, notifying (1)", "toxic", "explosion", "River trace", "Affected"):
        assert label in text
    assert "L.control.scale({imperial: false" in demo_page


def test_fits_bounds_of_results(demo_page):
    (fit,) = re.findall(r"map_\w+\.fitBounds\((\[\[.*?\]\]),\s*\{maxZoom: 11,", demo_page)
    (s, w), (n, e) = json.loads(fit)
    # the 250 km toxic zone around (64, 42) and the trace up to 46 N
    assert s == pytest.approx(42 - 250 / 111.0, abs=0.02)
    assert n == pytest.approx(46.0)
    assert w == pytest.approx(62 - 0.0, abs=3.1) and w < 61.1
    assert e > 66.9


def test_view_is_fitted_before_layers_without_animation(demo_page):
    # an animated fit while layers load leaves SVG layers drawn at the old zoom
    fit = re.search(r"map_\w+\.fitBounds\(", demo_page).start()
    assert demo_page.index("L.geoJSON(") > fit
    assert "animate: false" in demo_page[fit : fit + 200]


def test_tiles_only_when_asked(demo_page):
    assert "L.tileLayer" not in demo_page
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    page = screening_map(make_results(), tiles=url).get_root().render()
    assert "L.tileLayer" in page and url in page
    assert "Tiles: tiles.example.org" in page
    assert external_refs(page) == []
    assert absolute_urls(page) <= ALLOWED_URLS | {url}
    block = re.search(r"base_layers : \{(.*?)\}", page, re.S).group(1)
    assert "Base map tiles" in block and "Countries (offline base map)" in block


def test_clustering_above_threshold():
    page = screening_map(make_results(), cluster_threshold=2).get_root().render()
    assert page.count("new window.HazidCluster(") == 3
    assert "window.HazidCluster = " in page  # the clusterer inlined
    assert ".marker-cluster" in page  # with the markercluster stylesheet
    assert external_refs(page) == []
    assert absolute_urls(page) <= ALLOWED_URLS
    never = screening_map(make_results(), cluster_threshold=None).get_root().render()
    assert "HazidCluster" not in never


def test_layer_subset():
    page = screening_map(make_results(), layers=["sites"]).get_root().render()
    keys = set(layer_data(page))
    assert keys == {"sites_other", "sites_domestic", "sites_notify"}
    assert set(MAP_LAYERS) >= {"sites", "zones", "rivers", "countries", "affected", "origin"}


def test_unknown_layer_rejected():
    with pytest.raises(ChoiceError, match="layers must be one of"):
        screening_map(make_results(), layers=["sites", "roads"])
    with pytest.raises(ChoiceError, match="lang must be one of"):
        screening_map(make_results(), lang="xx")
    with pytest.raises(GeodataError, match="no 'iso_a3' column"):
        maps.BaseMap(make_results().borders.drop(columns="iso_a3"))


def test_map_in_russian():
    page = screening_map(make_results(), lang="ru").get_root().render()
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    for words in (
        "Затрагиваемые Стороны (2)",
        "Объекты",
        "Опасный, уведомление (1)",
        "CCC: 30.5 ч",
        "<title>карта скрининга hazid</title>",
    ):
        assert words in page


def test_missing_optional_layers():
    res = make_results(holdings=None, zones=None, affected=None, river_paths=None, borders=None)
    page = screening_map(res).get_root().render()
    assert set(layer_data(page)) == {"sites_other", "sites_domestic", "sites_notify"}
    data = layer_data(page)
    # without affected rows no site notifies
    assert len(data["sites_domestic"]["features"]) == 2
    assert "No holdings listed." in data["sites_other"]["features"][0]["properties"]["popup"]
    assert external_refs(page) == []


def test_results_without_sites_rejected():
    with pytest.raises(GeodataError, match="no attribute 'sites'"):
        screening_map(SimpleNamespace(zones=None))


def test_layer_without_crs_rejected():
    res = make_results()
    res.zones = res.zones.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="zones has no CRS"):
        screening_map(res)


def test_layer_must_be_geodataframe():
    with pytest.raises(GeodataError, match="river_paths must be a GeoDataFrame"):
        screening_map(make_results(river_paths=pd.DataFrame({"site_id": ["S1"]})))


def test_table_must_be_dataframe():
    with pytest.raises(GeodataError, match="holdings must be a DataFrame"):
        screening_map(make_results(holdings=[1, 2]))


@pytest.mark.parametrize(
    ("attr", "drop", "message"),
    [
        ("sites", "site_id", "sites has no 'site_id' column"),
        ("holdings", "site_id", "holdings has no 'site_id' column"),
        ("affected", "affected", "affected has no 'affected' column"),
        ("borders", "iso_a3", "borders has no 'iso_a3' column"),
        ("zones", "site_id", "zones has no 'site_id' column"),
    ],
)
def test_missing_key_columns_rejected(attr, drop, message):
    res = make_results()
    setattr(res, attr, getattr(res, attr).drop(columns=[drop]))
    with pytest.raises(GeodataError, match=re.escape(message)):
        screening_map(res)


def test_projected_layers_are_reprojected():
    res = make_results()
    res.sites = res.sites.to_crs(3857)
    res.borders = res.borders.to_crs(3857)
    data = layer_data(screening_map(res).get_root().render())
    (s1,) = data["sites_notify"]["features"]
    assert s1["geometry"]["coordinates"] == pytest.approx([64.0, 42.0], abs=1e-5)


def test_script_breakout_is_escaped():
    res = make_results()
    res.sites.loc[0, "site_name"] = "</script><script>alert(1)</script>"
    page = screening_map(res).get_root().render()
    assert "<script>alert(1)" not in page
    data = layer_data(page)
    assert "&lt;/script&gt;" in data["sites_notify"]["features"][0]["properties"]["popup"]


def test_simplification_is_metric_and_bounded():
    # a country outline with 20,000 vertices (wiggles of 10 m) collapses to a few
    lon = np.linspace(60, 66, 20_000)
    lat = 40 + 0.0001 * np.sin(np.arange(20_000))
    ring = np.vstack([np.column_stack([lon, lat]), [[66, 44], [60, 44], [60, 40]]])
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA"], "name": ["A"]}, geometry=[shapely.Polygon(ring)], crs=4326
    )
    res = make_results(borders=borders)
    data = layer_data(screening_map(res, simplify_m=500).get_root().render())
    coords = data["countries"]["features"][0]["geometry"]["coordinates"][0]
    assert len(coords) < 20
    kept = layer_data(screening_map(res, simplify_m=0).get_root().render())
    assert len(kept["countries"]["features"][0]["geometry"]["coordinates"][0]) > 19_000
    # zones keep their shape: the 1.5 km circle is drawn as a circle of 1.5 km (Leaflet's
    # sphere), not collapsed by a 5 km tolerance
    (zone,) = layer_data(screening_map(res, simplify_m=5000).get_root().render())[
        "zones_explosion"
    ]["features"]
    assert zone["geometry"]["type"] == "Point"
    assert zone["properties"]["r"] == pytest.approx(1500.0, rel=0.005)


def test_circular_zones_are_drawn_as_circles_where_leaflet_puts_them():
    from hazid.maps.geometry import _zone_circles

    circle_80 = geodesic_circle(66.0, 45.0, 80.0)
    square = box(60.0, 40.0, 60.5, 40.5)
    holed = circle_80.difference(geodesic_circle(66.0, 45.0, 10.0))
    is_circle, centre, radius = _zone_circles(
        np.array([circle_80, square, holed], dtype=object), 1000.0, 0.02
    )
    assert is_circle.tolist() == [True, False, False]
    # L.circle (Leaflet 1.9.4, L.CRS.Earth.R = 6371008.8 m) spans lat +- r / R around the
    # point given; its centre and size in Web Mercator are the zone's
    lat_r = np.degrees(radius[0] / 6_371_008.8)
    merc = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    _, top = merc.transform(centre[0, 0], centre[0, 1] + lat_r)
    _, bottom = merc.transform(centre[0, 0], centre[0, 1] - lat_r)
    _, y0, _, y1 = shapely.bounds(
        shapely.transform(circle_80, lambda c: np.column_stack(merc.transform(c[:, 0], c[:, 1])))
    )
    assert (top + bottom) / 2 == pytest.approx((y0 + y1) / 2, abs=100.0)  # metres, of 113 km
    assert top - bottom == pytest.approx(y1 - y0, rel=0.005)


def test_auto_tolerance_from_extent():
    # diagonal of 1 degree at the equator ~ 157 km -> 78 m; tiny extents -> 50 m floor
    assert maps._auto_tolerance((0.0, 0.0, 1.0, 1.0)) == pytest.approx(78.6, abs=0.5)
    assert maps._auto_tolerance((64.0, 42.0, 64.0, 42.0)) == 50.0
    assert maps._decimals(1000.0) == 4
    assert maps._decimals(50.0) == 5


def test_simplify_keeps_antimeridian_side():
    east = box(170, 60, 180, 70)
    west = box(-180, 60, -170, 70)
    crs = maps._metric_crs((60.0, 40.0, 70.0, 50.0))
    e, w = maps._simplify(np.array([east, west], dtype=object), crs, 100.0)
    assert e.bounds[0] >= 169.99 and e.bounds[2] <= 180.0 + 1e-6
    assert w.bounds[0] >= -180.0 - 1e-6 and w.bounds[2] <= -169.99


@pytest.mark.parametrize("lons", [[64.0], [62.0, 64.0]])
def test_single_site_or_flat_extent_with_borders(lons):
    # one site (zero-area extent) or two on a parallel (zero height): countries
    # within 300 km are still selected and the view is capped at max_zoom
    sites = gpd.GeoDataFrame(
        {"site_id": [f"P{i}" for i in range(len(lons))]},
        geometry=[Point(x, 42.0) for x in lons],
        crs=4326,
    )
    res = make_results(sites=sites, zones=None, river_paths=None, affected=None)
    page = screening_map(res, max_zoom=9).get_root().render()
    data = layer_data(page)
    assert len(data["countries"]["features"]) == 3
    assert len(data["sites_other"]["features"]) == len(lons)
    assert re.search(r"map_\w+\.fitBounds\([^;]*?\{maxZoom: 9,", page)


def test_countries_far_away_are_drawn_coarsely():
    # the base map is complete at every zoom: far countries are drawn, simplified to about
    # one screen pixel at zoom 3 (20 km), near ones in detail
    res = make_results()
    wiggly = shapely.segmentize(box(-80, -10, -70, 0), 0.01)
    far = gpd.GeoDataFrame({"iso_a3": ["FAR"], "name": ["Faraway"]}, geometry=[wiggly], crs=4326)
    near = shapely.segmentize(box(60, 40, 66, 44), 0.01)
    res.borders = pd.concat([res.borders, far], ignore_index=True)
    res.borders.loc[0, "geometry"] = shapely.Polygon(
        [(x, y + 0.002 * np.sin(i)) for i, (x, y) in enumerate(near.exterior.coords)]
    )
    data = layer_data(screening_map(res).get_root().render())
    tips = [f["properties"]["tip"] for f in data["countries"]["features"]]
    assert tips == ["Aland (AAA)", "Bland (BBB)", "Cland (CCC)", "Faraway (FAR)"]
    rings = {
        f["properties"]["tip"][-4:-1]: f["geometry"]["coordinates"][0]
        for f in data["countries"]["features"]
    }
    assert len(rings["FAR"]) <= 6
    assert len(rings["AAA"]) > 50


def test_write_map_atomic(tmp_path):
    out = write_map(make_results(), tmp_path / "map.html", title="Demo <map>")
    assert out == tmp_path / "map.html"
    text = out.read_text(encoding="utf-8")
    assert "<title>Demo &lt;map&gt;</title>" in text
    assert "Gamma Store" in text
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    # a map object can be written as is
    m = screening_map(make_results(), layers=["sites"])
    write_map(m, tmp_path / "again.html")
    assert "Beta Gas" in (tmp_path / "again.html").read_text(encoding="utf-8")


def test_write_map_is_byte_identical_on_rerun(tmp_path):
    a = write_map(make_results(), tmp_path / "a.html").read_bytes()
    b = write_map(make_results(), tmp_path / "b.html").read_bytes()
    assert a == b
    # folium's random element names are replaced by numbered ones
    assert not re.search(rb"_[0-9a-f]{32}\b", a)
    assert re.search(rb"\bmap_h\d{5}\b", a)


def test_write_map_missing_directory(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_map(make_results(), tmp_path / "nope" / "map.html")


def test_write_map_unwritable_target(tmp_path):
    target = tmp_path / "dir.html"
    target.mkdir()  # os.replace cannot replace a directory with a file
    with pytest.raises(OutputError, match="cannot write map"):
        write_map(make_results(), target)
    assert [p.name for p in tmp_path.iterdir()] == ["dir.html"]


def test_returns_folium_map():
    assert isinstance(screening_map(make_results()), folium.Map)


def test_vendored_files_match_versions_note():
    static = Path(maps.__file__).parent.parent / "static"
    note = (static / "VERSIONS.md").read_text(encoding="utf-8")
    listed = dict(
        (path, digest) for digest, path in re.findall(r"^([0-9a-f]{64})  (\S+)$", note, re.M)
    )
    files = sorted(
        str(p.relative_to(static))
        for p in static.rglob("*")
        if p.is_file() and p.name != "VERSIONS.md"
    )
    assert sorted(listed) == files
    for rel, digest in listed.items():
        assert hashlib.sha256((static / rel).read_bytes()).hexdigest() == digest, rel
    total = sum((static / rel).stat().st_size for rel in listed)
    assert total < 300_000


SHARED = Path(
    os.environ.get("HAZID_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "countries_dcw.gpkg").exists(), reason="no shared geodata")
def test_real_borders_tashkent_site_map_is_small():
    borders = gpd.read_file(SHARED / "countries_dcw.gpkg")
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["T1"],
            "site_name": ["Tashkent chlorine"],
            "site_country": ["UZB"],
            "hazardous": [True],
        },
        geometry=[Point(69.24, 41.31)],
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {"site_id": ["T1"], "hazard": ["toxic"], "zone_km": [60.0]},
        geometry=[geodesic_circle(69.24, 41.31, 60.0)],
        crs=4326,
    )
    affected = pd.DataFrame(
        {"site_id": ["T1"], "affected": ["KAZ"], "pathway": ["air"], "zone_km": [60.0]}
    )
    res = make_results(
        sites=sites, zones=zones, affected=affected, borders=borders, river_paths=None
    )
    page = screening_map(res).get_root().render()
    data = layer_data(page)
    countries = {f["properties"]["tip"][-4:-1] for f in data["countries"]["features"]}
    # every country: the base map is complete at every zoom
    assert {"UZB", "KAZ", "KGZ", "TJK", "USA", "BRA", "AUS", "FRA"} <= countries
    assert [f["properties"]["tip"][:23] for f in data["affected"]["features"]] == [
        "<b>Kazakhstan</b> (KAZ)"
    ]
    assert len(data["origin"]["features"]) == 1
    assert len(page.encode("utf-8")) < 5_000_000
    assert external_refs(page) == []
    assert "Tashkent chlorine" in page


def test_pair_maps_share_the_base_map_and_show_neighbours(monkeypatch):
    from hazid.maps import base as base_module

    res = make_results()
    base = maps.BaseMap(res.borders)
    calls = []
    real = base_module._simplify_to_pixels
    monkeypatch.setattr(
        base_module,
        "_simplify_to_pixels",
        lambda g, t, **kw: calls.append(len(g)) or real(g, t, **kw),
    )
    pages = []
    for affected in ("BBB", "CCC"):
        pair = make_results(affected=res.affected[res.affected["affected"] == affected])
        pages.append(layer_data(screening_map(pair, base=base).get_root().render()))
    first = len(calls)
    again = make_results(affected=res.affected[res.affected["affected"] == "BBB"])
    screening_map(again, base=base)
    assert len(calls) == first  # nothing simplified again for a third map
    for data, affected in zip(pages, ("BBB", "CCC"), strict=True):
        # the neighbours are drawn for context, only the pair's affected Party is shaded
        assert len(data["countries"]["features"]) == 3
        (shaded,) = data["affected"]["features"]
        assert f"({affected})" in shaded["properties"]["tip"]
        assert (
            data["countries"]["features"][1]["geometry"]
            == pages[0]["countries"]["features"][1]["geometry"]
        )


def test_countries_worked_out_beforehand_serve_only_the_same_borders(monkeypatch):
    from hazid.maps import base as base_module

    res = make_results()
    world = maps.world_level(res.borders)
    fresh = maps.BaseMap(res.borders, lang="ru").prepare()
    calls = []
    real = base_module._simplify_to_pixels
    monkeypatch.setattr(
        base_module,
        "_simplify_to_pixels",
        lambda g, t, **kw: calls.append(len(g)) or real(g, t, **kw),
    )
    given = maps.BaseMap(res.borders, lang="ru", world=world).prepare()
    assert calls == []  # nothing simplified: the world level was given
    assert given.labels() == fresh.labels()  # names in the map's own language
    assert given._json == fresh._json
    moved = res.borders.copy()
    moved.geometry = moved.geometry.translate(0.001, 0.0)
    other = maps.BaseMap(moved, lang="ru", world=world).prepare()
    assert calls  # other borders: worked out again
    assert other._json == maps.BaseMap(moved, lang="ru").prepare()._json
    renamed = res.borders.assign(iso_a3=res.borders["iso_a3"].str.lower())
    assert maps.BaseMap(renamed, world=world)._labels is None


def test_first_entry_into_a_country_is_that_of_the_whole_intersection():
    from hazid.maps.geometry import _entry_parts

    rng = np.random.default_rng(5)
    # a detailed country with a wiggly outline, and random walks (one vertical, one missing it)
    t = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    r = 3 + 0.3 * np.sin(37 * t)
    country = shapely.Polygon(np.column_stack([66 + r * np.cos(t), 44 + r * np.sin(t)]))
    lines = [
        shapely.LineString(
            np.cumsum(rng.normal(0.1, 0.4, (200, 2)), axis=0) + np.array([58.0, 37.0])
        )
        for _ in range(30)
    ]
    lines += [shapely.LineString([(66.0, 30.0), (66.0, 50.0)]), LineString([(0, 0), (1, 1)])]
    lines = np.array(lines, dtype=object)
    polys = np.array([country] * len(lines), dtype=object)

    def entry(parts):
        coords, idx = shapely.get_coordinates(parts, return_index=True)
        dist = pd.Series(shapely.line_locate_point(lines[idx], shapely.points(coords)))
        return dist.groupby(idx).min().reindex(range(len(lines)))

    fast, whole = entry(_entry_parts(lines, polys)), entry(shapely.intersection(lines, polys))
    assert fast.notna().sum() > 20 and pd.isna(fast.iloc[-1])
    assert fast.iloc[-2] == pytest.approx(14.0 - 3.0, abs=0.31)  # the vertical line
    np.testing.assert_allclose(fast.to_numpy(), whole.to_numpy(), rtol=0, atol=1e-9)


def test_segment_entries_are_the_intersections_with_the_whole_outline(monkeypatch):
    from hazid.maps import geometry as geometry_module

    rng = np.random.default_rng(11)
    # a detailed outline with a few long straight edges, and segments crossing it anywhere
    t = np.linspace(0, 2 * np.pi, 6000, endpoint=False)
    r = 3 + 0.3 * np.sin(41 * t)
    ring = np.column_stack([66 + r * np.cos(t), 44 + r * np.sin(t)])
    ring[1000:1400] = np.linspace(ring[1000], ring[1399], 400)[[0, -1]].repeat(200, axis=0)
    country = shapely.Polygon(ring)
    other = shapely.box(70.0, 40.0, 71.0, 41.0)
    a = rng.uniform([61.0, 39.0], [71.0, 49.0], (300, 2))
    b = a + rng.normal(0.0, 0.3, (300, 2))
    # and short segments across the long edge, far from its ends
    along = ring[1199] + np.outer(rng.uniform(0.2, 0.8, 40), ring[1200] - ring[1199])
    step = np.array([0.0, 0.05])
    a = np.r_[a, along - step]
    b = np.r_[b, along + step]
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    polys = np.array([country] * 250 + [other] * 50 + [country] * 40, dtype=object)
    got = geometry_module._segment_entries(segs, polys)
    whole = shapely.intersection(segs, polys)
    assert sum(not g.is_empty for g in got) > 50
    assert all(shapely.equals_exact(g, w, 0.0) for g, w in zip(got, whole, strict=True))
    # where GEOS fails on a piece, that segment's whole outline is used
    real = shapely.intersection
    calls = []

    def fails_on_pieces(x, y, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise shapely.errors.GEOSException("TopologyException: side location conflict")
        return real(x, y, *args, **kwargs)

    monkeypatch.setattr(geometry_module.shapely, "intersection", fails_on_pieces)
    again = geometry_module._segment_entries(segs, polys)
    assert len(calls) == len(segs) + 1  # one piece failed, then its whole outline
    assert all(shapely.equals_exact(g, w, 0.0) for g, w in zip(again, whole, strict=True))


def test_ends_of_the_river_data_drawn_once_per_place_for_hazardous_sites():
    # S2's trace stays at home and leaves the data at (61, 40.5): no line, a point;
    # six more traces stop at the same point; S3 (not hazardous) stops elsewhere
    ids = ["S1", "S2", "X1", "X2", "X3", "X4", "X5", "X6", "S3"]
    nan = np.nan
    paths = gpd.GeoDataFrame(
        {
            "site_id": ids,
            "countries": ["AAA;CCC"] + ["AAA"] * 7 + ["BBB"],
            "river": ["Test Darya"] * 9,
            "length_km": [450.0] * 9,
            "end_country": ["CCC"] + ["AAA"] * 7 + ["BBB"],
            "edge_lon": [nan] + [61.0] * 7 + [70.0],
            "edge_lat": [nan] + [40.5] * 7 + [47.0],
        },
        geometry=[LineString([(64, 42), (64.5, 43), (65, 45), (65, 46)])] + [None] * 8,
        crs=4326,
    )
    page = screening_map(make_results(river_paths=paths)).get_root().render()
    (feature,) = layer_data(page)["data_ends"]["features"]
    assert feature["geometry"]["coordinates"] == [61.0, 40.5]
    assert feature["properties"]["tip"] == (
        "End of the river data (not assessed beyond) (AAA): Beta Gas, X1, X2, X3, X4 and 2 more"
    )
    assert "Ends of the river data (1)" in page
    ru = screening_map(make_results(river_paths=paths), lang="ru").get_root().render()
    (feature,) = layer_data(ru)["data_ends"]["features"]
    assert feature["properties"]["tip"].endswith("X4 и ещё 2")
    # no ends: no layer
    page = screening_map(make_results()).get_root().render()
    assert "data_ends" not in layer_data(page)


def test_map_extent_takes_in_the_ends_of_the_river_data():
    from hazid.maps.interactive import _map_extent, _read_results

    paths = gpd.GeoDataFrame(
        {"site_id": ["S2"], "end_country": ["AAA"], "edge_lon": [80.0], "edge_lat": [50.0]},
        geometry=[None],
        crs=4326,
    )
    res = make_results(river_paths=paths)
    assert _map_extent(_read_results(res), set(MAP_LAYERS))[2:] == (80.0, 50.0)
    east, north = _map_extent(_read_results(res), set(MAP_LAYERS) - {"rivers"})[2:]
    assert east < 80.0 and north < 50.0
