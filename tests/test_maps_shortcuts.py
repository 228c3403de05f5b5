"""The shortcuts of the HTML maps give what the long way gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from branca.element import Element

from hazid.maps.elements import _AddTo, _verbatim
from hazid.maps.geometry import _PROPS_JSON, _metric_crs, _props_json
from hazid.maps.projection import to_local
from hazid.maps.rows import rows_by_site, rows_of


@pytest.mark.parametrize(
    "bounds",
    [
        (69.0, 41.0, 69.5, 41.5),
        (-179.0, -60.0, 179.0, 80.0),
        (170.0, 65.0, 171.0, 66.0),
        (-0.2, -0.1, 0.3, 0.0),
        (46.9, 30.1, 88.7, 55.8),
    ],
)
def test_metric_transformer_is_the_one_proj_chooses(bounds):
    crs = _metric_crs(bounds)
    fast = to_local(crs)
    slow = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    assert _terms(fast.definition) == _terms(slow.definition)
    rng = np.random.default_rng(1)
    lon = rng.uniform(bounds[0] - 5, bounds[2] + 5, 500)
    lat = rng.uniform(max(bounds[1] - 5, -89), min(bounds[3] + 5, 89), 500)
    for a, b in zip(fast.transform(lon, lat), slow.transform(lon, lat), strict=True):
        np.testing.assert_array_equal(a, b)
    x, y = slow.transform(lon, lat)
    back = fast.transform(x, y, direction="INVERSE")
    for a, b in zip(back, slow.transform(x, y, direction="INVERSE"), strict=True):
        np.testing.assert_array_equal(a, b)


def _terms(definition):
    """Terms of a PROJ definition, numbers as numbers (41.25 == 41.250000)."""
    out = []
    for term in definition.split():
        key, _, value = term.partition("=")
        try:
            out.append((key, float(value)))
        except ValueError:
            out.append((key, value))
    return out


def test_other_crs_transformer_is_searched():
    assert to_local(pyproj.CRS.from_epsg(3857)).definition == (
        pyproj.Transformer.from_crs(4326, 3857, always_xy=True).definition
    )


@pytest.mark.parametrize(
    "text",
    [
        "\n  var a = 1;\n",
        "x\n\n",
        "no newline",
        "a {{ 1 + 1 }} b\n",
        "a {% if 1 %}x{% endif %}",
        "r\r\nn\n",
        "{# c #}x\n",
    ],
)
def test_verbatim_text_renders_as_branca_compiles_it(text):
    expected = Element(text).render()
    assert _verbatim(text, True).render() == expected
    if not any(s in text for s in ("{{", "{%", "{#", "\r")):
        assert _verbatim(text, False).render() == expected


def test_add_to_writes_what_folium_writes():
    from branca.element import Figure
    from folium.elements import ElementAddToElement

    pages = []
    for cls in (ElementAddToElement, _AddTo):
        fig = Figure()
        fig.add_child(cls(element_name="layer_h1", element_parent_name="map_h0"))
        pages.append(fig.render())
    assert pages[0] == pages[1]
    assert "layer_h1.addTo(map_h0);" in pages[1]


def test_rows_by_site_as_groupby_indices():
    df = pd.DataFrame({"site_id": ["b", "a", "b", 3, None, "a"]}, dtype=object)
    at = rows_by_site(df)
    expected = pd.Series(np.arange(len(df))).groupby(df["site_id"].astype(str), sort=False).indices
    assert set(at) == set(expected) and len(at) == len(expected)
    for k, v in expected.items():
        assert k in at
        np.testing.assert_array_equal(at[k], v)
    assert "zz" not in at
    with pytest.raises(KeyError):
        at["zz"]
    assert rows_of(df, at, ["a", "3", "zz"]).index.tolist() == [1, 3, 5]
    assert rows_by_site(df.iloc[:0]) == {}


@pytest.mark.parametrize(
    "props",
    [
        {"tip": 'a"b<\u00e9\u2028\n\x00\\', "r": 1.5, "n": 2, "ok": True, "no": False, "x": None},
        {"r": float("nan")},
        {"r": float("inf"), "s": -float("inf"), "z": -0.0, "big": 1e300, "small": 1e-7},
        {"q": 123456789012345678901234567890},
        {"a": [1, 2]},
        {1: "x"},
        {"r": np.float64(1.1)},
        {},
    ],
)
def test_props_json_is_the_encoders_text(props):
    assert _props_json(props) == _PROPS_JSON(props)


def test_props_json_refuses_what_the_encoder_refuses():
    with pytest.raises(TypeError, match="not JSON serializable"):
        _props_json({"r": np.int64(3)})


@pytest.mark.parametrize("title", ["hazid map", "odd {{ 1 + 1 }} title"])
def test_map_and_layer_control_render_as_folium_renders_them(title):
    import folium

    from hazid.maps.elements import _LayerControl, _Legend, _Map
    from hazid.maps.interactive import _stable_ids

    pages = []
    for map_class, control_class in ((folium.Map, folium.LayerControl), (_Map, _LayerControl)):
        m = map_class(tiles=None, control_scale=False, zoom_control=True, prefer_canvas=False)
        folium.FeatureGroup(name=title).add_to(m)
        m.add_child(_Legend(f"<h4>{title}</h4>"))
        control_class(collapsed=False).add_to(m)
        _stable_ids(m.get_root())
        pages.append(m.get_root().render())
    assert pages[0] == pages[1]
    assert "L.control.layers" in pages[1]


def test_small_text_helpers_as_the_pandas_formulas():
    from hazid.maps.content import _is_water, _site_country, _truthy

    flags = pd.Series([True, "yes", " Y ", 1, 1.0, "1.0", 0, None, np.nan, "no", 2], dtype=object)
    expected = flags.map(lambda v: str(v).strip().lower()).isin(["true", "1", "1.0", "yes", "y"])
    assert _truthy(flags).tolist() == expected.tolist()
    affected = pd.DataFrame(
        {
            "pathway": ["air", "Water", "river spill", None, "", "air"],
            "arrival_h": [np.nan, np.nan, 3.0, 5.0, np.nan, 2.0],
        }
    )
    assert _is_water(affected).tolist() == [False, True, True, True, False, False]
    sites = pd.DataFrame(
        {"site_country": [" KAZ ", None, "", np.nan], "country": ["UZB", " TJK", "KGZ", None]}
    )
    assert _site_country(sites).tolist() == ["KAZ", "TJK", "KGZ", ""]


def _entry_parts_segment_by_segment(lines, polys):
    """Each line's first segment meeting its polygon, found by testing every segment."""
    import shapely

    out = np.empty(len(lines), dtype=object)
    for i, (line, poly) in enumerate(zip(lines, polys, strict=True)):
        if shapely.get_type_id(line) != 1:
            out[i] = shapely.intersection(line, poly)
            continue
        coords = shapely.get_coordinates(line)
        segs = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
        hit = np.flatnonzero(shapely.intersects(poly, segs))
        out[i] = shapely.intersection(segs[hit[0]], poly) if len(hit) else shapely.LineString()
    return out


def test_entry_parts_as_segment_by_segment():
    import shapely
    from shapely.geometry import LineString, MultiLineString, Polygon, box

    from hazid.maps.geometry import _entry_parts

    square = box(0, 0, 10, 10)
    notch = Polygon([(0, 0), (10, 0), (10, 10), (6, 10), (6, 4), (4, 4), (4, 10), (0, 10)])
    lines = [
        LineString([(-5, 5), (5, 15), (20, 20), (5, 5)]),  # corner cut before a vertex inside
        LineString([(-5, -5), (15, 15)]),  # no vertex inside
        LineString([(-5, 0), (-1, 0), (0, 0)]),  # ends on the boundary
        LineString([(20, 20), (30, 30)]),  # never meets
        LineString([(5, 5), (6, 6)]),  # starts inside
        LineString([(-5, 5), (-1, 5), (5, 5), (6, 5)]),
        LineString([(5, 12), (5, 6), (5, 2), (12, 2)]),  # through the notch, then inside
        LineString(),
        None,
        MultiLineString([[(-5, 5), (5, 5)], [(20, 20), (30, 30)]]),
        LineString([(-1, 11), (11, -1), (12, 12), (5, 5)]),
    ]
    polys = [notch if i == 6 else square for i in range(len(lines))]
    lines, polys = np.array(lines, dtype=object), np.array(polys, dtype=object)
    got = _entry_parts(lines, polys)
    expected = _entry_parts_segment_by_segment(lines, polys)
    for g, e in zip(got, expected, strict=True):
        assert (g is None) == (e is None)
        if g is not None:
            assert g.geom_type == e.geom_type
            np.testing.assert_array_equal(shapely.get_coordinates(g), shapely.get_coordinates(e))
    assert str(got[0]) == "POINT (0 10)"
    assert got[3].is_empty and got[8] is None
