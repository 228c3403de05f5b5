"""Layers packed part by part inflate to the text of the parts joined."""

from __future__ import annotations

import base64
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.maps import packing
from hazid.maps.geometry import _feature_parts, _features_from_json
from hazid.maps.packing import Parted, _pack


def _inflate(packed: str) -> str:
    return zlib.decompress(base64.b64decode(packed)).decode("utf-8")


@pytest.fixture(autouse=True)
def _fresh_parts(monkeypatch):
    monkeypatch.setattr(packing, "_parts", {})
    monkeypatch.setattr(packing, "_parts_size", [0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300) | st.sampled_from(["", "é", "[1,2]", "x" * 70_000])))
def test_parted_text_inflates_to_its_parts_joined(parts):
    text = Parted(parts)
    assert text == "".join(parts)
    assert _inflate(_pack(text)) == text
    assert _inflate(_pack(text)) == text  # again, every part now kept


def test_kept_parts_are_used_and_forgotten_beyond_the_limit(monkeypatch):
    parts = ["{" + str(i) * 4000 + "}" for i in range(10)]
    first = _pack(Parted(parts))
    assert len(packing._parts) == 10
    calls = []
    monkeypatch.setattr(packing._deflater, "compressobj", lambda *a: calls.append(a))
    assert _pack(Parted(parts)) == first and calls == []  # no part deflated again
    monkeypatch.undo()
    monkeypatch.setattr(packing, "_parts", {})
    monkeypatch.setattr(packing, "_parts_size", [0])
    monkeypatch.setattr(packing, "_PARTS_KEPT", 20_000)
    assert _inflate(_pack(Parted(parts))) == "".join(parts)
    assert 0 < packing._parts_size[0] <= 20_000
    assert 0 < len(packing._parts) < 10


@pytest.mark.parametrize("n", [0, 1, 3])
def test_feature_parts_join_to_the_collection(n):
    geoms = ['{"type":"Point","coordinates":[69.1,41.2]}'] * n
    props = [{"tip": "A</script><b>é", "n": i} for i in range(n)]
    parts = _feature_parts(geoms, props)
    assert "".join(parts) == _features_from_json(geoms, props)
    assert len(parts) == n + 2 and all("</" not in p for p in parts)
    # a feature's part is the same wherever it stands after the first
    if n == 3:
        assert parts[2][1:] == parts[1].replace('"n":0', '"n":1')


def test_large_texts_are_packed_at_their_level_small_ones_at_the_fastest(monkeypatch):
    monkeypatch.setattr(packing, "_CACHE_BELOW", 5000)
    small, large = "[" + "1.5," * 1000 + "2]", "[" + '"a popup",' * 1000 + '"b"]'
    large_level = 3 if zlib_only else 1
    levels = packing._PACK_LEVEL, packing._PACK_LEVEL_LARGE
    assert levels == (1, large_level)
    for text, level in ((small, 1), (large, packing._PACK_LEVEL_LARGE)):
        packed = base64.b64encode(packing._deflater.compress(text.encode(), level)).decode()
        assert _pack(text) == packed
        assert _inflate(packed) == text


zlib_only = packing._deflater is zlib


@pytest.mark.skipif(zlib_only, reason="ISA-L (isal) not installed")
def test_layers_are_deflated_by_isal_when_installed():
    from isal import isal_zlib

    assert packing._deflater is isal_zlib
    text = "[" + '"a popup",' * 1000 + '"b"]'
    packed = _pack(text)
    assert packed == base64.b64encode(isal_zlib.compress(text.encode(), 1)).decode()
    assert packed != base64.b64encode(zlib.compress(text.encode(), 1)).decode()
    assert _inflate(packed) == text
