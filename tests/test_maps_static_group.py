"""Static maps of several activities, their grouping in the dossiers and the batch drawing."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from matplotlib.collections import PathCollection
from matplotlib.image import imread
from shapely.geometry import LineString, box

from hazid.errors import CRSError, GeodataError
from hazid.maps import static_maps
from hazid.maps.static import local_crs
from hazid.maps.static_group import _compose_group, _group_window, static_group_map
from hazid.notify.dossier import prepare_dossiers
from hazid.output import dossier_maps
from hazid.output.dossier_maps import _map_groups, _numbers, _site_coords
from hazid.output.dossiers import write_notifications

GEOD = pyproj.Geod(ellps="WGS84")


def circle(lon: float, lat: float, radius_km: float, n: int = 64) -> shapely.Polygon:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_km * 1000.0))
    return shapely.Polygon(np.column_stack([x, y]))


@pytest.fixture
def case():
    """AAA (60-66 E) and BBB (66-72 E); three sites of AAA within 40 km, 20-50 km from BBB."""
    lon, lat = [65.4, 65.6, 65.5], [42.0, 42.1, 41.8]
    sites = pd.DataFrame(
        {"site_id": ["S1", "S2", "S3"], "site_name": ["a", "b", "c"], "lon": lon, "lat": lat}
    )
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["Aland", "Bland"]},
        geometry=[box(60, 38, 66, 46), box(66, 38, 72, 46)],
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {"site_id": ["S1", "S2", "S3", "S3"], "hazard": ["toxic", "toxic", "fire", "toxic"]},
        geometry=[circle(65.4, 42.0, 20), circle(65.6, 42.1, 8), circle(65.5, 41.8, 0.2),
                  circle(65.5, 41.8, 12)],
        crs=4326,
    )  # fmt: skip
    paths = gpd.GeoDataFrame(
        {"site_id": ["S2"]}, geometry=[LineString([(65.6, 42.1), (66.5, 42.6)])], crs=4326
    )
    return {"sites": sites, "borders": borders, "zones": zones, "river_paths": paths}


def layers(case):
    return {k: case[k] for k in ("zones", "river_paths", "borders")}


def test_group_map_is_an_image_and_reproducible(case, tmp_path):
    kw = {"labels": ["1", "2", "3"], "origin": "AAA", "affected": "BBB", "size_px": (400, 300),
          "dpi": 60, **layers(case)}  # fmt: skip
    a = static_group_map(case["sites"], ["S1", "S2", "S3"], tmp_path / "a.png", **kw)
    b = static_group_map(case["sites"], ["S1", "S2", "S3"], tmp_path / "b.png", **kw)
    assert imread(a).shape == (300, 400, 4)
    assert a.read_bytes() == b.read_bytes()


def test_group_map_labels_every_site_and_says_so(case):
    fig = _compose_group(
        case["sites"], ["S1", "S2", "S3"], ["1", "2", "3"], origin="AAA", affected="BBB",
        title=None, note="Sources.", size_px=(800, 600), dpi=100, lang="en",
        zones=case["zones"], river_paths=case["river_paths"], borders=case["borders"],
    )  # fmt: skip
    ax = fig.axes[0]
    # two label collections (halo and text), one path per site, at the sites
    labels = [
        c for c in ax.collections
        if isinstance(c, PathCollection) and c.get_offsets().shape == (3, 2)
    ]  # fmt: skip
    assert [len(c.get_paths()) for c in labels] == [3, 3]
    crs = local_crs(*_centre_of(case["sites"]))
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = tr.transform(case["sites"]["lon"].to_numpy(), case["sites"]["lat"].to_numpy())
    np.testing.assert_allclose(labels[0].get_offsets(), np.column_stack([x, y]), atol=1e-6)
    small = " ".join(t.get_text().replace("\n", " ") for t in fig.texts)  # unwrapped
    assert "shows 3 of its activities, each labelled with its number in the dossier" in small
    assert "centred among the activities" in small and small.endswith("Sources.")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Hazardous activity (number in the dossier)" in legend
    assert "Bland (affected Party)" in legend and "toxic zone" in legend
    # the 200 m fire zone is under its site symbol: named in the small print only
    assert "fire zone" not in legend and "fire zone (\u2264\u00a00.2 km)" in small


def _centre_of(sites):
    lon, lat = sites["lon"], sites["lat"]
    return (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2


def test_far_affected_party_is_named_with_distance_and_bearing(case):
    far = case["borders"].copy()
    far.loc[1, "geometry"] = box(66, 30, 72, 34)  # BBB now about 900 km to the south-east
    crs = local_crs(65.5, 41.95)
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    xs, ys = (np.asarray(v) for v in tr.transform([65.4, 65.6, 65.5], [42.0, 42.1, 41.8]))
    win, away = _group_window(
        None, None, far, "BBB", crs, (0.03, 0.08, 0.94, 0.84), (800, 600), xs, ys
    )
    assert [a[0] for a in away] == ["BBB"]
    # the nearest point of BBB is its corner (66 E, 34 N): geodesic distance and azimuth
    az, _, dist = GEOD.inv(65.5, 41.95, 66.0, 34.0)
    assert away[0][1] == pytest.approx(dist, rel=1e-3)
    assert away[0][2] == pytest.approx(az % 360, abs=0.5)
    assert win.x1 - win.x0 < 200_000  # framed on the activities, not on BBB


def test_group_map_errors(case, tmp_path):
    with pytest.raises(GeodataError, match="at least one site"):
        static_group_map(case["sites"], [], tmp_path / "x.png")
    with pytest.raises(GeodataError, match="2 labels for 3 sites"):
        static_group_map(case["sites"], ["S1", "S2", "S3"], tmp_path / "x.png", labels=["1", "2"])
    with pytest.raises(GeodataError, match="'Q' is not in the sites table"):
        static_group_map(case["sites"], ["S1", "Q"], tmp_path / "x.png")
    bad = case["sites"].assign(lat=[42.0, None, 41.8])
    with pytest.raises(GeodataError, match="'S2' has no coordinates"):
        static_group_map(bad, ["S1", "S2"], tmp_path / "x.png")
    with pytest.raises(CRSError, match="zones layer has no CRS"):
        static_group_map(
            case["sites"], ["S1", "S2"], tmp_path / "x.png", zones=case["zones"].set_crs(None,
            allow_override=True)
        )  # fmt: skip


def test_static_maps_draws_group_jobs_on_two_cores_byte_for_byte(case, tmp_path):
    kw = {"size_px": (300, 200), "dpi": 60}
    jobs = [
        {"site_ids": ["S1", "S3"], "labels": ["1", "3"], "path": tmp_path / "g.png",
         "origin": "AAA", "affected": "BBB"},
        {"site_id": "S2", "path": tmp_path / "s2.png", "origin": "AAA", "affected": "BBB"},
    ] * 2  # fmt: skip
    jobs[2:] = [{**j, "path": tmp_path / f"again_{j['path'].name}"} for j in jobs[2:]]
    out = static_maps(case["sites"], jobs, workers=2, **kw, **layers(case))
    alone = static_group_map(case["sites"], ["S1", "S3"], tmp_path / "alone.png",
                             labels=["1", "3"], origin="AAA", affected="BBB", **kw,
                             **layers(case))  # fmt: skip
    assert out[0].read_bytes() == alone.read_bytes() == out[2].read_bytes()
    assert out[1].read_bytes() == out[3].read_bytes() != out[0].read_bytes()


def test_map_groups_by_squares_of_a_local_projection():
    # 8 sites: 6 within 30 km of 65 E 42 N, one 100 km east, one 600 km north (squares of
    # 250 km from the south-west corner of the sites)
    lon = [65.0, 65.1, 65.2, 64.9, 65.0, 65.1, 66.2, 65.0]
    lat = [42.0, 42.1, 41.9, 42.0, 42.2, 42.05, 42.0, 47.4]
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(8)], "lon": lon, "lat": lat})
    ids = list(sites["site_id"])
    groups = _map_groups(_site_coords(sites), ids)
    assert sorted(i for g in groups for i in g) == list(range(8))
    assert groups == [[0, 1, 2, 3, 4, 5, 6], [7]]
    assert [g[0] for g in groups] == sorted(g[0] for g in groups)
    # fewer activities than PAIR_MAP_FROM: one map each
    few = ids[: dossier_maps.PAIR_MAP_FROM - 1]
    assert _map_groups(_site_coords(sites), few) == [[i] for i in range(5)]
    # a site without coordinates keeps its own map
    nan = sites.assign(lat=[*lat[:7], np.nan])
    assert [7] in _map_groups(_site_coords(nan), ids)
    # coordinates given as texts are read as numbers; another order of the activities gives
    # the same groups of sites
    texts = sites.astype({"lon": str, "lat": str})
    assert _map_groups(_site_coords(texts), ids) == groups
    back = _map_groups(_site_coords(sites), ids[::-1])
    assert sorted(sorted(ids[::-1][i] for i in g) for g in back) == sorted(
        sorted(ids[i] for i in g) for g in groups
    )


def test_the_sites_coordinates_are_found_once_for_all_the_pairs(monkeypatch, tmp_path):
    sites = pd.DataFrame(
        {"site_id": [f"S{i}" for i in range(8)], "lon": np.linspace(65.0, 65.7, 8),
         "lat": np.full(8, 42.0), "site_country": "AAA", "hazardous": True}
    )  # fmt: skip
    affected = pd.DataFrame(
        {"site_id": [*sites["site_id"]] * 2, "affected": ["BBB"] * 8 + ["CCC"] * 8,
         "pathway": "air", "hazard": "toxic", "zone_km": 30.0, "border_km": 5.0,
         "margin_km": 25.0, "uncertain": False}
    )  # fmt: skip
    ds = prepare_dossiers(sites, pd.DataFrame(columns=["site_id"]), affected)
    calls, jobs = [], []
    found = dossier_maps._site_coords
    monkeypatch.setattr(dossier_maps, "_site_coords", lambda s: calls.append(1) or found(s))
    monkeypatch.setattr(dossier_maps.maps, "static_maps", lambda s, j, **kw: jobs.extend(j))
    pairs = list(ds.pairs().itertuples(index=False))
    files = dossier_maps._draw_maps(tmp_path, ds, pairs, ["en"], size_px=(400, 300), dpi=60)
    assert len(pairs) == 2 and calls == [1]
    assert len(jobs) == 2 and all(j["site_ids"] == list(sites["site_id"]) for j in jobs)
    assert files[("AAA", "CCC", "en")]["S7"] == "AAA-CCC_activities-1.png"


def test_map_groups_cut_dense_squares_into_runs(monkeypatch):
    monkeypatch.setattr(dossier_maps, "GROUP_MAX", 4)
    rng = np.random.default_rng(3)
    sites = pd.DataFrame(
        {"site_id": [f"S{i}" for i in range(20)], "lon": rng.uniform(65, 66, 20),
         "lat": rng.uniform(42, 42.8, 20)}
    )  # fmt: skip
    groups = _map_groups(_site_coords(sites), list(sites["site_id"]))
    assert sorted(len(g) for g in groups) == [4] * 5  # 20 in one square: 5 runs of 4
    assert sorted(i for g in groups for i in g) == list(range(20))


def test_hilbert_order_visits_neighbours():
    from hazid.output.dossier_maps import _hilbert

    # the curve of a 2 x 2 grid, then every step of the 4 x 4 curve is to a neighbour cell
    assert _hilbert(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]), 2).tolist() == [0, 1, 2, 3]
    ix, iy = (v.ravel() for v in np.meshgrid(np.arange(4), np.arange(4)))
    d = _hilbert(ix, iy, 4)
    assert sorted(d.tolist()) == list(range(16))
    o = np.argsort(d)
    assert (np.abs(np.diff(ix[o])) + np.abs(np.diff(iy[o])) == 1).all()


def test_numbers_join_runs_and_cut_long_lists():
    assert _numbers(["1", "2", "3", "5", "7", "8"], "en") == "activities 1\u20133, 5, 7\u20138"
    assert _numbers(["4"], "ru") == "виды деятельности 4"
    long = _numbers([str(i) for i in range(1, 200, 2)], "en", limit=20)
    assert long == "activities 1, 3, 5, 7, 9, 11, \u2026"


def test_dossier_of_many_nearby_activities_shares_one_map(case, tmp_path):
    n = dossier_maps.PAIR_MAP_FROM + 1
    lon, lat = 65.5 + 0.05 * np.arange(n), np.full(n, 42.0)
    sites = pd.DataFrame(
        {"site_id": [f"K{i}" for i in range(n)], "site_name": [f"Plant {i}" for i in range(n)],
         "lon": lon, "lat": lat, "site_country": "AAA", "hazardous": True}
    )  # fmt: skip
    aff = pd.DataFrame(
        {"site_id": sites["site_id"], "affected": "BBB", "pathway": "air", "hazard": "toxic",
         "zone_km": 40.0, "border_km": 30.0, "margin_km": 10.0, "uncertain": False}
    )  # fmt: skip
    zones = gpd.GeoDataFrame(
        {"site_id": sites["site_id"], "hazard": "toxic"},
        geometry=[circle(x, y, 40.0) for x, y in zip(lon, lat, strict=True)],
        crs=4326,
    )
    write_notifications(
        tmp_path, sites, pd.DataFrame(columns=["site_id"]), aff, zones=zones,
        borders=case["borders"], run={"date": "2025-01-31"}, map_size_px=(300, 200), map_dpi=60,
    )  # fmt: skip
    out = tmp_path / "notifications"
    assert sorted(p.name for p in out.glob("*.png")) == ["AAA-BBB_activities-1.png"]
    doc = json.loads((out / "AAA-BBB.json").read_text("utf-8"))
    assert {a["map"] for a in doc["activities"]} == {"AAA-BBB_activities-1.png"}
    html = (out / "AAA-BBB.html").read_text("utf-8")
    assert html.count("data:image/png;base64,") == 1  # the shared map is embedded once
    md = (out / "AAA-BBB.md").read_text("utf-8")
    assert md.count("](AAA-BBB_activities-1.png)") == 1
    items = ", ".join(str(k) for k in range(1, n + 1))
    assert f"The map below shows the activities {items} of this dossier" in md
    assert "Shown, labelled 2, on the map under activity 1." in md
    assert f"Shown, labelled {n}, on the map under activity 1." in md


def test_polygon_paths_keep_holes_and_skip_what_is_not_a_polygon():
    from matplotlib.path import Path as MplPath

    from hazid.maps.static_paths import _polygon_paths

    holed = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    geoms = np.array(
        [shapely.box(0, 0, 1, 1), shapely.Point(0, 0),
         shapely.MultiPolygon([holed, shapely.box(5, 5, 6, 6)]), shapely.Polygon()]
    )  # fmt: skip
    paths = _polygon_paths(geoms)
    assert paths[1] is None and paths[3] is None
    ring = [MplPath.MOVETO, *[MplPath.LINETO] * 3, MplPath.CLOSEPOLY]
    assert paths[0].codes.tolist() == ring and paths[2].codes.tolist() == ring * 3
    # drawn, the hole stays empty: black at (0.5, 0.5), white at (1.5, 1.5)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=30)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_collection(PathCollection([paths[2]], facecolors="black"))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.axis("off")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    assert rgb[25, 5].tolist() == [0, 0, 0] and rgb[15, 15].tolist() == [255, 255, 255]


def test_numbers_are_drawn_as_their_text_would_be():
    from matplotlib.textpath import TextPath

    from hazid.maps.static_paths import _LABEL_FONT, _LABEL_PT, _label_path

    for label in ("7", "1234", "90817", "S-1"):
        text = TextPath((0, 0), label, size=_LABEL_PT, prop=_LABEL_FONT)
        path = _label_path(label)
        assert path.codes.tolist() == text.codes.tolist()
        np.testing.assert_allclose(path.vertices, text.vertices, atol=1e-9)
