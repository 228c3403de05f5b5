"""hazid maps in a real browser: Debian's chromium driven by Playwright, offline.

Skipped when /usr/bin/chromium or the playwright package is missing. Screenshots
go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import base64
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box
from test_maps import make_results

from hazid.maps import write_map

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TILE_URL = "http://tiles.hazid.invalid/{z}/{x}/{y}.png"
# a 1x1 grey PNG served for every tile request
TILE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4AwAA3ADbJsQCdwAAAABJRU5ErkJggg=="
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Recorder:
    """Open a page and record every request, failure, JS error and console error."""

    def __init__(self, browser, *, tiles: bool = False) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        if tiles:
            self.page.route(
                "http://tiles.hazid.invalid/**",
                lambda route: route.fulfill(status=200, content_type="image/png", body=TILE_PNG),
            )

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_selector(".leaflet-container[data-hazid-ready='1']", timeout=20_000)

    def external(self, allowed_prefixes: tuple[str, ...] = ()) -> list[str]:
        local = ("file:", "data:", "blob:", "http://127.0.0.1", "about:")
        return [u for u in self.requests if not u.startswith(local + allowed_prefixes)]

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def close(self) -> None:
        self.page.close()


def assert_non_blank(png: Path) -> None:
    img = pytest.importorskip("matplotlib.image").imread(str(png))
    assert png.stat().st_size > 20_000
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert rgb.std(axis=0).max() > 20  # not a flat page
    colours = np.unique(rgb, axis=0)
    assert len(colours) > 50


def test_demo_map_offline(browser, tmp_path):
    out = write_map(make_results(), tmp_path / "map.html")
    rec = Recorder(browser)
    try:
        rec.open(out)
        page = rec.page
        assert page.evaluate("typeof window.L") == "object"
        assert page.evaluate("window.L.version") == "1.9.4"
        assert rec.count(".leaflet-container") == 1
        # every layer drawn as SVG paths, one per feature
        expected = {
            "path.hazid-country": 3,
            "path.hazid-affected": 2,
            "path.hazid-origin": 1,
            "path.hazid-zone": 3,
            "path.hazid-zone-toxic": 1,
            "path.hazid-trace": 1,
            "path.hazid-crossing": 1,
            "path.hazid-site": 3,
            "path.hazid-site-notify": 1,
            "path.hazid-site-domestic": 1,
            "path.hazid-site-other": 1,
        }
        assert {sel: rec.count(sel) for sel in expected} == expected
        # each marker is drawn where its coordinates project
        offsets = page.evaluate(
            """() => {
                const reg = window.hazidMaps[0];
                const box = reg.map.getContainer().getBoundingClientRect();
                return Object.values(reg.sites).map((m) => {
                    const p = reg.map.latLngToContainerPoint(m.getLatLng());
                    const r = m.getElement().getBoundingClientRect();
                    return Math.hypot(r.x + r.width / 2 - box.x - p.x,
                                      r.y + r.height / 2 - box.y - p.y);
                });
            }"""
        )
        assert len(offsets) == 3 and max(offsets) < 1.5
        counts = page.evaluate("window.hazidMaps[0].counts")
        assert counts["sites_notify"] + counts["sites_domestic"] + counts["sites_other"] == 3
        assert page.locator(".leaflet-container").get_attribute("data-hazid-traces") == "1"
        # legend, scale, layer control, permanent arrival label at the crossing
        assert "Hazardous, notifying (1)" in page.locator(".hazid-legend").inner_text()
        assert rec.count(".leaflet-control-scale") == 1
        assert rec.count(".leaflet-control-layers-overlays label") == 11
        assert "CCC: 30.5 h" in page.locator(".hazid-crossing-label").inner_text()
        # clicking a site marker opens its popup
        names = {"notify": "Alpha Chlor <plant>", "domestic": "Beta Gas", "other": "Gamma Store"}
        for status, name in names.items():
            page.locator(f"path.hazid-site-{status}").click()
            popup = page.locator(".leaflet-popup-content", has_text=name)
            popup.wait_for(timeout=5_000)
            assert name in popup.inner_text()
        page.locator("path.hazid-site-notify").click()
        popup = page.locator(".leaflet-popup-content", has_text="Alpha Chlor")
        popup.wait_for(timeout=5_000)
        text = popup.inner_text()
        assert "Chlorine" in text and "II-10" in text and "Test Darya" in text
        page.keyboard.press("Escape")
        # toggling a layer off removes its paths
        page.locator(".leaflet-control-layers-overlays label", has_text="Zones: toxic").click()
        assert rec.count("path.hazid-zone-toxic") == 0
        page.locator(".leaflet-control-layers-overlays label", has_text="Zones: toxic").click()
        assert rec.count("path.hazid-zone-toxic") == 1
        page.wait_for_timeout(500)  # let the popup fade-in finish
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "map_demo.png"
        page.screenshot(path=str(shot))
        assert_non_blank(shot)
        assert rec.failed == []
        assert rec.external() == []
        assert rec.errors == []
    finally:
        rec.close()


def test_many_sites_are_clustered(browser, tmp_path):
    rng = np.random.default_rng(7)
    n = 600
    lon = rng.uniform(60.2, 71.8, n)
    lat = rng.uniform(40.2, 47.8, n)
    res = make_results()
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"X{i:04d}" for i in range(n)],
            "site_name": [f"Site {i}" for i in range(n)],
            "hazardous": rng.random(n) < 0.3,
        },
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs=4326,
    )
    res.sites = sites
    res.affected = None
    out = write_map(res, tmp_path / "many.html", cluster_threshold=100)
    rec = Recorder(browser)
    try:
        rec.open(out)
        page = rec.page
        counts = page.evaluate("window.hazidMaps[0].counts")
        assert sum(v for k, v in counts.items() if k.startswith("sites_")) == n
        assert rec.count(".marker-cluster.hazid-cluster") > 5
        assert rec.count("path.hazid-site") < n
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "map_clustered.png"
        page.screenshot(path=str(shot))
        assert_non_blank(shot)
        # many sites: drawn on a canvas, popups made on first click
        xy = page.evaluate(
            """() => {
                const reg = window.hazidMaps[0];
                const at = reg.sites["X0000"];  // clustered: the position of the site
                reg.map.setView(at, 16, {animate: false});
                const box = reg.map.getContainer().getBoundingClientRect();
                const p = reg.map.latLngToContainerPoint(at);
                return [box.left + p.x, box.top + p.y];
            }"""
        )
        page.wait_for_timeout(500)
        page.mouse.click(xy[0], xy[1])
        page.wait_for_function("document.querySelectorAll('.leaflet-popup-content').length > 0")
        assert "Site 0" in page.locator(".leaflet-popup-content").first.inner_text()
        assert rec.failed == []
        assert rec.external() == []
        assert rec.errors == []
    finally:
        rec.close()


def test_many_sites_zones_on_canvas_answer_hover_and_click(browser, tmp_path):
    # a map of many sites: zone circles drawn by one canvas layer per hazard, which shows
    # the tooltip and the popup of the zone under the pointer (the topmost one)
    rng = np.random.default_rng(3)
    n = 400
    res = make_results()
    res.sites = gpd.GeoDataFrame(
        {"site_id": [f"Y{i:04d}" for i in range(n)], "hazardous": rng.random(n) < 0.3},
        geometry=[
            Point(x, y)
            for x, y in zip(rng.uniform(66.5, 71.5, n), rng.uniform(44.5, 47.5, n), strict=True)
        ],
        crs=4326,
    )
    res.affected = None
    out = write_map(res, tmp_path / "zones.html", cluster_threshold=100)
    rec = Recorder(browser)
    try:
        rec.open(out)
        page = rec.page
        assert page.evaluate("window.hazidMaps[0].circles.length") >= 2
        xy = page.evaluate(
            """() => {
                const reg = window.hazidMaps[0];
                reg.map.setView([41.99, 64.0], 12, {animate: false});
                const box = reg.map.getContainer().getBoundingClientRect();
                const p = reg.map.latLngToContainerPoint([41.99, 64.0]);
                return [box.left + p.x, box.top + p.y];
            }"""
        )
        page.wait_for_timeout(300)
        page.mouse.move(xy[0] - 3, xy[1] - 3)
        page.mouse.move(xy[0], xy[1])
        tip = page.locator(".leaflet-tooltip")
        tip.wait_for(timeout=5_000)
        assert "fire zone 2 km" in tip.inner_text()  # the 2 km zone above the 250 km one
        page.mouse.click(xy[0], xy[1])
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5_000)
        assert "fire zone, ammonia: 2 km" in popup.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_zones_canvas.png"))
        assert rec.errors == [] and rec.failed == [] and rec.external() == []
    finally:
        rec.close()


def test_tiles_are_the_only_network_requests(browser, tmp_path):
    out = write_map(make_results(), tmp_path / "tiles.html", tiles=TILE_URL, tiles_attr="Test")
    rec = Recorder(browser, tiles=True)
    try:
        rec.open(out)
        page = rec.page
        page.wait_for_function("document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
        tiles = rec.external()
        assert tiles and all(u.startswith("http://tiles.hazid.invalid/") for u in tiles)
        assert rec.failed == []
        assert rec.errors == []
        # the countries base layer is off while tiles are the base layer
        assert rec.count("path.hazid-country") == 0
        assert rec.count("path.hazid-site") == 3
    finally:
        rec.close()


def crowded_results():
    """Six notifying sites close together, each with a water row: six crossings near 44 N.

    Plus RRR, an affected Party across the antimeridian (30 E - 180 - 170 W), as Russia.
    """
    res = make_results()
    n = 6
    lons = 64.0 + 0.01 * np.arange(n)
    ids = [f"W{i}" for i in range(n)]
    sites = gpd.GeoDataFrame(
        {
            "site_id": ids,
            "site_name": [f"Works {i}" for i in range(n)],
            "site_country": ["AAA"] * n,
            "hazardous": [True] * n,
        },
        geometry=[Point(x, 43.5) for x in lons],
        crs=4326,
    )
    paths = gpd.GeoDataFrame(
        {"site_id": ids, "countries": ["AAA;CCC"] * n, "river": ["Test Darya"] * n},
        geometry=[LineString([(x, 43.5), (x, 44.5)]) for x in lons],
        crs=4326,
    )
    water = pd.DataFrame(
        {
            "site_id": ids,
            "affected": ["CCC"] * n,
            "pathway": ["water"] * n,
            "river": ["Test Darya"] * n,
            "river_km": [55.0] * n,
            "arrival_h": [10.0 + i for i in range(n)],
        }
    )
    air = pd.DataFrame({"site_id": ["W0"], "affected": ["RRR"], "pathway": ["air"]})
    far_east = MultiPolygon([box(30, 50, 180, 75), box(-180, 60, -170, 70)])
    borders = pd.concat(
        [
            res.borders,
            gpd.GeoDataFrame(
                {"iso_a3": ["RRR", "ZZZ"], "name": ["Rland", "Zland"]},
                geometry=[far_east, box(-80, -10, -70, 0)],
                crs=4326,
            ),
        ],
        ignore_index=True,
    )
    return make_results(
        sites=sites,
        river_paths=paths,
        affected=pd.concat([water, air], ignore_index=True),
        zones=None,
        holdings=None,
        borders=borders,
    )


def visible_rects(page, selector: str) -> list[dict]:
    return page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel))
            .filter((el) => getComputedStyle(el).visibility !== "hidden")
            .map((el) => { const r = el.getBoundingClientRect();
                           return {l: r.left, r: r.right, t: r.top, b: r.bottom,
                                   text: el.textContent}; })""",
        selector,
    )


def overlapping(rects: list[dict]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if a["l"] < b["r"] and a["r"] > b["l"] and a["t"] < b["b"] and a["b"] > b["t"]:
                out.append((a["text"], b["text"]))
    return out


def test_labels_do_not_collide_and_only_affected_parties_are_shaded(browser, tmp_path):
    out = write_map(crowded_results(), tmp_path / "crowded.html")
    rec = Recorder(browser)
    try:
        rec.open(out)
        page = rec.page
        # country names are drawn (in the language of the map), the Party names in bold
        names = [r["text"] for r in visible_rects(page, ".hazid-country-label span")]
        assert {"Aland", "Bland", "Cland"} <= set(names)
        assert rec.count(".hazid-country-label-affected") == 2  # CCC and RRR
        # arrival labels: none overlaps another, or a country name, at the initial zoom
        arrivals = visible_rects(page, ".hazid-crossing-label")
        assert 1 <= len(arrivals) < 6  # six crossings within 4 km: some shown on hover only
        assert overlapping(arrivals) == []
        labels = arrivals + visible_rects(page, ".hazid-country-label span")
        assert overlapping(labels) == []
        # a hidden arrival label appears on hover
        hidden = page.locator(".hazid-crossing-label.hazid-hidden").count()
        assert hidden == 6 - len(arrivals)
        # only the run's affected Parties are shaded (what lies under a point is hit-tested),
        # also for a Party across the antimeridian and at the world zoom
        probe = """(pts) => pts.map(([lat, lon]) => {
            const reg = window.hazidMaps[0];
            const box = reg.map.getContainer().getBoundingClientRect();
            const p = reg.map.latLngToContainerPoint([lat, lon]);
            const el = document.elementFromPoint(box.left + p.x, box.top + p.y);
            return el !== null && el.classList.contains("hazid-affected");
        })"""
        assert rec.count("path.hazid-affected") == 2
        page.evaluate("window.hazidMaps[0].map.setView([44, 66], 5, {animate: false})")
        page.wait_for_timeout(300)
        # inside CCC (affected), inside AAA (origin), inside BBB (no row in this run)
        assert page.evaluate(probe, [[47.5, 71.5], [40.2, 60.2], [40.2, 71.8]]) == [
            True,
            False,
            False,
        ]
        page.evaluate("window.hazidMaps[0].map.setView([20, 0], 1, {animate: false})")
        page.wait_for_timeout(300)
        # RRR on both sides of the antimeridian; the Atlantic, South America, Africa, ZZZ not
        outside = [[0.0, -20.0], [-20.0, -60.0], [5.0, 20.0], [-5.0, -75.0], [40.0, -100.0]]
        inside = [[62.0, 100.0], [65.0, -175.0]]
        assert page.evaluate(probe, inside + outside) == [True] * 2 + [False] * 5
        assert rec.count("path.hazid-country") == 5  # the whole base map, far ZZZ included
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "map_crowded_world.png"))
        assert rec.errors == [] and rec.failed == [] and rec.external() == []
    finally:
        rec.close()


def test_attribution_has_no_flag(browser, tmp_path):
    out = write_map(make_results(), tmp_path / "map.html")
    rec = Recorder(browser)
    try:
        rec.open(out)
        attribution = rec.page.locator(".leaflet-control-attribution")
        assert attribution.inner_text().strip() == "Leaflet"
        assert attribution.locator("svg, img").count() == 0
    finally:
        rec.close()


def test_large_layers_are_embedded_compressed(browser, tmp_path, monkeypatch):
    from hazid.maps import elements

    monkeypatch.setattr(elements, "_PACK_ABOVE", 200)
    out = write_map(make_results(), tmp_path / "packed.html")
    page_text = out.read_text(encoding="utf-8")
    assert "hazidInflate(" in page_text and "Alpha Chlor" not in page_text
    rec = Recorder(browser)
    try:
        rec.open(out)
        page = rec.page
        assert rec.count("path.hazid-site") == 3 and rec.count("path.hazid-country") == 3
        counts = page.evaluate("window.hazidMaps[0].counts")
        assert counts["sites_notify"] == 1 and counts["crossings"] == 1
        assert "CCC: 30.5 h" in page.locator(".hazid-crossing-label").inner_text()
        page.locator("path.hazid-site-notify").click()
        popup = page.locator(".leaflet-popup-content", has_text="Alpha Chlor")
        popup.wait_for(timeout=5_000)
        assert "II-10" in popup.inner_text()
        assert rec.errors == [] and rec.failed == [] and rec.external() == []
    finally:
        rec.close()
