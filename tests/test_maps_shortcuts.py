"""The shortcuts of the HTML maps give what the long way gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from branca.element import Element

from hazid.maps.elements import _AddTo, _verbatim
from hazid.maps.geometry import _PROPS_JSON, _metric_crs, _props_json, _transformer
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
    fast = _transformer(crs)
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
    assert _transformer(pyproj.CRS.from_epsg(3857)).definition == (
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
