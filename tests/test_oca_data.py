"""The EPA OCA reference tables shipped as package data (hazid/data/oca).

Reference values: ../shared/reference/oca (transcription, worked examples WE01-WE05 from published
RMP*Comp results and the EPA ammonia-refrigeration example).
"""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from pathlib import Path

import pytest

OCA = resources.files("hazid") / "data" / "oca"
REFERENCE = next(
    (
        p / "shared" / "reference" / "oca"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "reference" / "oca").is_dir()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "oca",
)
MI_KM = 1.609344


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((OCA / name).read_text(encoding="utf-8"))))


def _reference(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((REFERENCE / name).read_text(encoding="utf-8"))))


NEEDS_REFERENCE = pytest.mark.skipif(not REFERENCE.is_dir(), reason="no reference folder")


def _index() -> list[dict[str, str]]:
    return _rows("tables.csv")


def _table(number: int) -> list[dict[str, str]]:
    entry = next(r for r in _index() if r["table"] == str(number))
    return _rows(entry["file"])


def _nearest(keys: list[float], x: float) -> int:
    """Nearest tabulated key, no interpolation; a tie goes to the larger key (conservative)."""
    best = 0
    for i, k in enumerate(keys):
        if abs(k - x) <= abs(keys[best] - x):
            best = i
    return best


def _lookup(number: int, x: float, topography: str) -> float:
    rows = [r for r in _table(number) if r["topography"] == topography]
    keys = [float(r["x"]) for r in rows]
    return float(rows[_nearest(keys, x)]["distance_mi"])


def test_version_names_the_table_set():
    version = (OCA / "VERSION").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"oca-\d{4}-\d{4}r\d+", version)


def test_index_lists_every_file_with_its_row_count():
    shipped = {p.name for p in OCA.iterdir() if p.name.startswith("oca_t")}
    listed = {r["file"] for r in _index() if r["file"]}
    assert shipped == listed
    for entry in _index():
        if entry["file"]:
            assert len(_table(int(entry["table"]))) > 0
        else:
            assert entry["status"] == "MISSING" and entry["usable"] == "no"


def test_partial_tables_are_marked_in_index_and_file_name():
    for entry in _index():
        if entry["status"].startswith("PARTIAL"):
            assert "PARTIAL" in entry["file"] and entry["rows_missing"]
    t5 = next(r for r in _index() if r["table"] == "5")
    assert t5["usable"] == "no" and all(r["x"] == "" for r in _table(5))


@pytest.mark.parametrize("number", [1, 2, 3, 9, 10, 28, 29])
def test_tidy_columns_and_units(number):
    for r in _table(number):
        assert r["scenario"] in {"worst", "alternative"}
        assert r["topography"] in {"rural", "urban"}
        assert r["bound"] in {"", "<", ">"}
        assert float(r["distance_km"]) == pytest.approx(float(r["distance_mi"]) * MI_KM, abs=0.006)
        if r["bound"] == "<":
            assert r["distance_mi"] == "0.1"
        if r["bound"] == ">":
            assert r["distance_mi"] == "25"


@pytest.mark.parametrize(
    ("number", "topography"),
    [
        (1, "rural"),
        (2, "rural"),
        (3, "urban"),
        (9, "rural"),
        (9, "urban"),
        (10, "rural"),
        (10, "urban"),
    ],
)
def test_one_dimensional_tables_are_monotone(number, topography):
    rows = [r for r in _table(number) if r["topography"] == topography]
    keys = [float(r["x"]) for r in rows]
    dist = [float(r["distance_mi"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert dist == sorted(dist)


@pytest.mark.parametrize(
    ("case", "rate_lb_min", "topography", "expected_mi"),
    [
        ("WE01 nearest row, not next-lower", 135_915 / 10, "urban", 4.4),
        ("WE02 nearest row, not next-higher", 70_260 / 10, "rural", 4.7),
        ("WE03 exact row", 50_000 / 10, "rural", 4.0),
        ("WE04 exact row", 60_000 / 10, "rural", 4.4),
        ("WE05 EPA refrigeration example 2", 5_000 / 10, "urban", 0.9),
    ],
)
def test_table9_reproduces_published_rmpcomp_distances(case, rate_lb_min, topography, expected_mi):
    assert _lookup(9, rate_lb_min, topography) == expected_mi, case


def test_table1_ratio_row_and_upper_limit():
    assert _lookup(1, 760.0, "rural") == 1.0
    last = _table(1)[-1]
    assert (last["x"], last["distance_mi"], last["distance_km"]) == ("347000", "25", "40.23")


def test_table9_beyond_25_miles_is_marked_not_a_distance():
    rows = {(r["x"], r["topography"]): r for r in _table(9)}
    assert rows[("200000", "rural")]["bound"] == ">"
    assert rows[("200000", "urban")]["distance_mi"] == "15"


@NEEDS_REFERENCE
@pytest.mark.parametrize(
    ("number", "reference", "key"),
    [
        (1, "oca_table01_neutral_10min_rural.csv", "release_rate_over_endpoint"),
        (2, "oca_table02_neutral_60min_rural.csv", "release_rate_over_endpoint"),
        (3, "oca_table03_neutral_10min_urban_PARTIAL.csv", "release_rate_over_endpoint"),
    ],
)
def test_ratio_tables_match_reference_transcription(number, reference, key):
    ref = _reference(reference)
    ours = _table(number)
    assert len(ours) == len(ref)
    for r, o in zip(ref, ours, strict=True):
        assert float(o["x"]) == float(r[key])
        assert o["bound"] + o["distance_mi"] == r["distance_mi"]


@NEEDS_REFERENCE
def test_ammonia_tables_match_reference_transcription():
    for number, reference in [
        (9, "oca_table09_ammonia_liquefied_under_pressure.csv"),
        (10, "oca_table10_ammonia_other_PARTIAL.csv"),
    ]:
        ref = _reference(reference)
        ours = _table(number)
        assert len(ours) == 2 * len(ref)
        for i, r in enumerate(ref):
            for o, col in ((ours[2 * i], "rural_mi"), (ours[2 * i + 1], "urban_mi")):
                assert float(o["x"]) == float(r["release_rate_lb_min"])
                assert o["bound"] + o["distance_mi"] == r[col]


def test_toxic_endpoints_have_value_and_source_or_say_why_not():
    rows = {r["substance_key"]: r for r in _rows("toxic_endpoints.csv")}
    for r in rows.values():
        if r["endpoint_mg_l"]:
            assert r["confidence"] in {"high", "medium"} and r["source"] and r["confirmation"]
            assert float(r["endpoint_mg_m3"]) == pytest.approx(1000 * float(r["endpoint_mg_l"]))
        else:
            assert r["confidence"] == "not_retrieved" and "not assessed" in r["source"]
    assert rows["phosgene"]["endpoint_mg_l"] == "0.00081"
    assert rows["ethylene_oxide"]["endpoint_mg_l"] == "0.090"
    assert rows["chlorine"]["endpoint_mg_l"] == "0.0087"
    assert rows["ammonia"]["endpoint_mg_l"] == "0.14"
