"""Pair maps beside the dossiers: the same files whether drawn in one process or several."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

import hazid
from hazid.output import mapfiles


def _results():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC"], "name": ["Aland", "Bland", "Cland"]},
        geometry=[
            shapely.box(68, 40, 70, 42),
            shapely.box(70, 40, 72, 42),
            shapely.box(68, 42, 72, 44),
        ],
        crs=4326,
    )
    inventory = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "site_name": ["Border chlorine store", "North chlorine store"],
            "lon": ["69.95", "69.0"],
            "lat": ["41.0", "41.95"],
            "substance": ["chlorine", "chlorine"],
            "quantity": ["30", "30"],
        }
    )
    return hazid.screen(inventory, borders=borders, rivers=False)


def _pair_maps(res, out, monkeypatch, parallel_from):
    monkeypatch.setattr(mapfiles, "PARALLEL_FROM", parallel_from)
    hazid.write_results(res, out, static_maps=False)
    return {p.name: p.read_bytes() for p in (out / "notifications").glob("*_map.html")}


def test_pair_maps_same_bytes_with_workers(tmp_path, monkeypatch):
    res = _results()
    serial = _pair_maps(res, tmp_path / "serial", monkeypatch, 10**9)
    parallel = _pair_maps(res, tmp_path / "parallel", monkeypatch, 1)
    assert sorted(serial) == ["AAA-BBB_map.html", "AAA-CCC_map.html"]
    assert parallel == serial
    assert b"North chlorine store" in serial["AAA-CCC_map.html"]
    assert b"North chlorine store" not in serial["AAA-BBB_map.html"]


def test_pair_sites_as_the_row_filter():
    activities = pd.DataFrame(
        {
            "origin": ["AAA", "AAA", "AAA", None, "AAA", "BBB", "AAA"],
            "affected": ["BBB", "BBB", "CCC", "BBB", None, "AAA", "BBB"],
            "status": ["notify", "consult", "notify", "notify", "notify", "notify", "domestic"],
            "site_id": ["S1", "S2", "S1", "S3", "S4", "Ü<&", "S5"],
        },
        dtype="str",
    )
    got = mapfiles._pair_sites(activities)
    pairs = {("AAA", "BBB"), ("AAA", "CCC"), ("BBB", "AAA"), ("CCC", "AAA"), ("AAA", "ZZZ")}
    for origin, affected in pairs:
        pick = activities[
            (activities["origin"] == origin)
            & (activities["affected"] == affected)
            & activities["status"].isin(["notify", "consult"])
        ]
        assert got.get((origin, affected), set()) == set(pick["site_id"])
    assert got[("AAA", "BBB")] == {"S1", "S2"}
    assert mapfiles._pair_sites(activities.iloc[:0]) == {}


def test_site_rows_without_attrs_share_the_rows():
    res = _results()
    res.sites.attrs = {"source": "inventory.csv"}
    rows = mapfiles._SiteRows(res)
    only = rows.only("sites", {"B"})
    assert only.attrs == {} and res.sites.attrs == {"source": "inventory.csv"}
    assert only["site_id"].tolist() == ["B"]
    pd.testing.assert_frame_equal(only, res.sites[res.sites["site_id"] == "B"].copy())


def test_pair_windows_are_the_extents_of_the_pair_maps():
    import dataclasses

    import numpy as np

    from hazid.maps import MAP_LAYERS
    from hazid.maps.interactive import _map_extent, _read_results

    res = _results()
    paths = gpd.GeoDataFrame(
        {
            "site_id": ["B", "A", "A"],
            "edge_lon": [75.5, np.nan, 66.0],
            "edge_lat": [45.25, np.nan, 38.5],
        },
        geometry=[
            shapely.LineString([(69, 41.95), (70, 44)]),
            shapely.LineString([(69.95, 41), (70.5, 40.5)]),
            shapely.LineString([(69.95, 41), (69.9, 40.9)]),
        ],
        crs=4326,
    )
    res = dataclasses.replace(res, river_paths=paths)
    rows = mapfiles._SiteRows(res)
    pair_sites = {("AAA", "BBB"): {"A"}, ("AAA", "CCC"): {"A", "B"}, ("AAA", "DDD"): {"Z"}}
    jobs = [("AAA", "BBB", "x"), ("AAA", "DDD", "y"), ("AAA", "CCC", "z"), ("BBB", "AAA", "w")]
    windows = mapfiles._pair_windows(rows, jobs, pair_sites)
    expected = [
        _map_extent(
            _read_results(mapfiles._pair_results(res, rows, pair_sites[k], k[1])), set(MAP_LAYERS)
        )
        for k in [("AAA", "BBB"), ("AAA", "CCC")]
    ]
    assert windows == expected  # the pairs without sites left out
    assert windows[0][0] == 66.0 and windows[1][2:] == (75.5, 45.25)  # the ends of river data
    # a layer in another CRS: no window at all
    other = dataclasses.replace(res, zones=res.zones.to_crs(3857))
    assert mapfiles._pair_windows(mapfiles._SiteRows(other), jobs, pair_sites) == []


def test_borders_used_are_the_countries_of_the_sites_and_of_the_affected_parties():
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB", "CCC", "DDD"]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
        crs=4326,
    )
    sites = pd.DataFrame({"site_country": pd.array(["CCC", None, "AAA", "CCC"], dtype="str")})
    affected = pd.DataFrame({"affected": ["BBB", None]})
    results = type("R", (), {"borders": borders, "sites": sites, "affected": affected})()
    assert mapfiles.borders_used(results)["iso_a3"].tolist() == ["AAA", "BBB", "CCC"]
    results.affected = None
    assert mapfiles.borders_used(results)["iso_a3"].tolist() == ["AAA", "CCC"]
    results.borders = None
    assert mapfiles.borders_used(results) is None
