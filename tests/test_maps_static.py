"""Static PNG maps: plain text from the inputs, legends of what is visible, shared styles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from matplotlib.image import imread
from shapely.geometry import LineString, box

from hazid.errors import ChoiceError, GeodataError
from hazid.maps import HAZARD_COLOURS, ZONE_COLOURS, static_map, static_maps
from hazid.maps.static import _compose
from hazid.maps.static_group import _compose_group, _rows
from hazid.maps.styles import (
    _AFFECTED_STYLE,
    _DATA_END_STYLE,
    _ORIGIN_STYLE,
    SITE_STATUS_STYLE,
)

GEOD = pyproj.Geod(ellps="WGS84")


def circle(lon: float, lat: float, radius_km: float, n: int = 64) -> shapely.Polygon:
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_km * 1000.0))
    return shapely.Polygon(np.column_stack([x, y]))


@pytest.fixture
def case():
    """AAA (60-66 E) and BBB (66-72 E); site S1 in AAA at 65 E, 42 N, 30 km from BBB."""
    sites = pd.DataFrame(
        {
            "site_id": ["S1"],
            "site_name": ["Plant $_$ north"],
            "lon": [65.6],
            "lat": [42.0],
        }
    )
    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"], "name": ["$Aland^2$", "Bland \\frac"]},
        geometry=[box(60, 38, 66, 46), box(66, 38, 72, 46)],
        crs=4326,
    )
    zones = gpd.GeoDataFrame(
        {"site_id": ["S1", "S1"], "hazard": ["toxic", "fire"], "zone_km": [60.0, 0.3]},
        geometry=[circle(65.6, 42.0, 60.0), circle(65.6, 42.0, 0.3)],
        crs=4326,
    )
    paths = gpd.GeoDataFrame(
        {"site_id": ["S1"]},
        geometry=[LineString([(65.6, 42.0), (66.5, 42.5), (67.5, 43.0)])],
        crs=4326,
    )
    return {"sites": sites, "borders": borders, "zones": zones, "river_paths": paths}


def compose(case, **kw):
    args = {
        "zones": case["zones"],
        "river_paths": case["river_paths"],
        "borders": case["borders"],
        "origin": "AAA",
        "affected": "BBB",
        "title": None,
        "note": None,
        "size_px": (800, 600),
        "dpi": 100,
        "lang": "en",
    }
    args.update(kw)
    return _compose(case["sites"], "S1", **args)


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


def test_dollar_signs_in_names_are_plain_text(case, tmp_path):
    out = static_map(
        case["sites"],
        "S1",
        tmp_path / "s1.png",
        zones=case["zones"],
        river_paths=case["river_paths"],
        borders=case["borders"],
        origin="AAA",
        affected="BBB",
        note="cost $5 and $6; x_1^2",
        size_px=(600, 450),
        dpi=80,
    )
    assert imread(str(out)).shape[:2] == (450, 600)
    fig = compose(case, note="cost $5 and $6")
    drawn = texts(fig)
    assert "Plant $_$ north (S1)" in drawn
    assert any("cost $5 and $6" in t for t in drawn)


def test_legend_lists_only_what_is_visible(case):
    fig = compose(case)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # the 0.3 km fire zone is hidden by the site symbol at this scale: a note, not an entry
    assert "toxic zone" in labels and "fire zone" not in labels
    small_print = [" ".join(t.split()) for t in texts(fig)]  # wrapped to the figure width
    assert any("Too small to show at this scale: fire zone (0.3 km)" in t for t in small_print)
    assert labels[:3] == [
        "Country border",
        "Bland \\frac (affected Party)",
        "$Aland^2$ (Party of origin)",
    ]
    # without borders, no border entry and no Party entries
    bare = compose(case, borders=None)
    labels = [t.get_text() for t in bare.axes[0].get_legend().get_texts()]
    assert not any("Party" in t or "border" in t for t in labels)


def test_country_names_in_the_language_of_the_map(case):
    b = case["borders"].assign(iso_a3=["KAZ", "UZB"])
    fig = compose(case, borders=b, origin="KAZ", affected="UZB", lang="ru")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Узбекистан (затрагиваемая Сторона)" in labels
    assert "Казахстан (Сторона происхождения)" in labels
    assert "Казахстан" in texts(fig)
    with pytest.raises(ChoiceError, match="lang"):
        static_map(case["sites"], "S1", "x.png", lang="xx")


def test_same_colours_and_symbols_as_the_html_map(case):
    assert HAZARD_COLOURS is ZONE_COLOURS
    fig = compose(case)
    ax = fig.axes[0]
    handles = {
        t.get_text(): h
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }
    site = handles["Hazardous activity"]
    notify = SITE_STATUS_STYLE["notify"]
    assert site.get_marker() == "o"
    assert site.get_markerfacecolor() == notify["fillColor"]
    assert site.get_markeredgecolor() == notify["color"]
    origin = handles["$Aland^2$ (Party of origin)"]
    assert origin.get_color() == _ORIGIN_STYLE["color"] and origin.get_linestyle() == "--"
    aff = handles["Bland \\frac (affected Party)"]
    r, g, b, _ = aff.get_facecolor()
    assert (
        "#{:02x}{:02x}{:02x}".format(*(round(255 * v) for v in (r, g, b)))
        == _AFFECTED_STYLE["fillColor"]
    )


def test_static_maps_on_two_cores_match_static_map(case, tmp_path):
    args = {k: case[k] for k in ("zones", "river_paths", "borders")}
    jobs = [
        {"site_id": "S1", "path": tmp_path / "a" / "s1.png", "origin": "AAA", "affected": "BBB"},
        {"site_id": "S1", "path": tmp_path / "a" / "s1_ru.png", "title": "Plant $_$", "lang": "ru"},
    ]
    out = static_maps(case["sites"], jobs, size_px=(400, 300), dpi=60, workers=2, **args)
    assert out == [j["path"] for j in jobs]
    one = static_map(
        case["sites"],
        "S1",
        tmp_path / "one.png",
        origin="AAA",
        affected="BBB",
        size_px=(400, 300),
        dpi=60,
        **args,
    )
    assert one.read_bytes() == out[0].read_bytes()
    with pytest.raises(GeodataError, match="not in the sites table"):
        static_maps(case["sites"], [{"site_id": "Q", "path": tmp_path / "q.png"}], workers=2)


def test_borders_simplified_for_print_are_shared(case, tmp_path):
    from hazid.maps import static_draw

    wiggly = case["borders"].copy()
    wiggly["geometry"] = [shapely.segmentize(g, 0.001) for g in wiggly.geometry]
    first = static_draw._print_borders(wiggly, static_draw._Window(0, 4e6, 0, 3e6), 42.0, 800)
    again = static_draw._print_borders(wiggly, static_draw._Window(0, 4e6, 0, 3e6), 42.0, 800)
    assert again is first  # simplified once per level and reused
    n_raw = shapely.get_num_coordinates(wiggly.geometry.to_numpy()).sum()
    assert shapely.get_num_coordinates(first.geometry.to_numpy()).sum() < n_raw / 50
    # a map of a few km keeps the borders as they are
    near = static_draw._print_borders(wiggly, static_draw._Window(0, 5e3, 0, 4e3), 42.0, 800)
    assert near is wiggly


def test_one_map_for_several_affected_parties(case):
    b = pd.concat(
        [
            case["borders"],
            gpd.GeoDataFrame(
                {"iso_a3": ["CCC"], "name": ["Cland"]}, geometry=[box(60, 46, 72, 50)], crs=4326
            ),
        ],
        ignore_index=True,
    )
    fig = compose(case, borders=b, affected=["BBB", "CCC"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Bland \\frac, Cland (affected Party)" in labels
    # both Parties are inside the frame: CCC begins 4 degrees (about 445 km) north of the site
    x0, x1 = fig.axes[0].get_xlim()
    y1 = fig.axes[0].get_ylim()[1]
    assert y1 > 440_000 and x1 > 0 > x0
    single = compose(case, borders=b, affected="BBB")
    assert single.axes[0].get_ylim()[1] < 440_000


def test_end_of_the_river_data_is_drawn_and_framed(case):
    # the trace stays in AAA and leaves the data 150 km north of the site: no line, a point
    paths = gpd.GeoDataFrame(
        {"site_id": ["S1"], "end_country": ["AAA"], "edge_lon": [65.6], "edge_lat": [43.35]},
        geometry=[None],
        crs=4326,
    )
    fig = compose(case, river_paths=paths)
    ax = fig.axes[0]
    handles = {
        t.get_text(): h
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }
    end = handles["End of the river data (not assessed beyond)"]
    assert end.get_marker() == "D"
    assert end.get_markeredgecolor() == _DATA_END_STYLE["color"]
    assert "River trace downstream" not in handles
    # the point is inside the frame (about 150 km north of the site, at the map's centre)
    (y0, y1) = ax.get_ylim()
    assert y0 < 150_000 < y1
    # with no point and no line, the map has neither
    bare = compose(case, river_paths=paths.assign(edge_lon=np.nan))
    labels = [t.get_text() for t in bare.axes[0].get_legend().get_texts()]
    assert not any("river" in t.lower() for t in labels)
    # the map of several activities draws it too
    group = _compose_group(
        case["sites"],
        ["S1"],
        ["1"],
        zones=None,
        river_paths=_rows(paths, "river_paths", ["S1"]),
        borders=case["borders"],
        origin="AAA",
        affected="BBB",
        title=None,
        note=None,
        size_px=(800, 600),
        dpi=100,
        lang="en",
    )
    labels = [t.get_text() for t in group.axes[0].get_legend().get_texts()]
    assert "End of the river data (not assessed beyond)" in labels
