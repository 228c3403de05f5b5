"""Zones in the chain: release-term columns of the inventory, both cases on air rows, consult."""

from __future__ import annotations

import pandas as pd
import pytest

import hazid
from hazid.inventory import validate_inventory
from hazid.notify import determine
from hazid.zones import CASE_COLUMNS, consequence_distances, with_zone_cases


def inventory(**extra):
    inv = pd.DataFrame(
        {
            "site_id": ["A", "A", "B"],
            "lon": ["69.2"] * 3,
            "lat": ["41.3"] * 3,
            "substance": ["chlorine", "ammonia", "gasoline"],
            "quantity": ["30", "100", "60000"],
        }
    )
    for k, v in extra.items():
        inv[k] = v
    return inv


def test_release_term_columns_are_read_with_aliases():
    inv = inventory(
        **{
            "Largest vessel": ["1", "22", ""],
            "storage_state": ["Pressurised", "refrigerated", "atmospheric"],
            "bund_area_m2": ["", "", "10000"],
        }
    )
    h = hazid.read_inventory(inv)
    assert h["largest_vessel_t"].tolist()[:2] == [1.0, 22.0]
    assert h["storage"].tolist() == ["pressurised", "refrigerated", "atmospheric"]
    assert h["bund_m2"].iloc[2] == 10000.0
    res = hazid.screen(inv, borders=False, rivers=False)
    assert {"largest_vessel_t", "storage", "bund_m2"} <= set(res.holdings.columns)
    out = consequence_distances(res.holdings).set_index(["site_id", "hazard"])
    assert out.loc[("B", "fire"), "zone_km"] == pytest.approx(0.581, abs=0.001)  # 10,000 m2
    # the 1 t chlorine vessel (9.3 km) controls, not 22 t of refrigerated ammonia (5.5 km)
    assert out.loc[("A", "toxic"), "release_t"] == 1.0


def test_release_term_problems_are_reported():
    inv = inventory(storage=["frozen", "", "solid"], largest_vessel_t=["-1", "x", ""])
    _, problems = validate_inventory(inv)
    storage = problems[problems.column == "storage"]
    assert storage["problem"].str.match("unknown storage: use one of pressurised, ").all()
    assert storage["value"].tolist() == ["frozen"]
    vessel = problems[problems.column == "largest_vessel_t"]["problem"].tolist()
    assert "largest vessel must be greater than zero" in vessel
    assert "largest vessel is not a number" in vessel
    with pytest.raises(hazid.InventoryError, match="unknown storage: use one of pressurised"):
        hazid.read_inventory(inv)


def test_air_rows_get_both_cases_and_undetermined_gives_consult():
    dist = consequence_distances(
        pd.DataFrame(
            {
                "site_id": ["A", "B"],
                "substance_key": ["chlorine", "ammonia"],
                "categories": ["H2", "H2"],
                "quantity_t": [50.0, 22.68],
            }
        )
    )
    air = pd.DataFrame(
        {
            "site_id": ["A", "B"],
            "affected": ["BBB", "BBB"],
            "pathway": ["air", "air"],
            "hazard": ["toxic", "toxic"],
            "zone_km": dist["zone_km"].tolist(),
            "border_km": [10.0, 0.5],
            "margin_km": (dist["zone_km"] - [10.0, 0.5]).tolist(),
            "uncertain": [False, False],
        }
    )
    rows = with_zone_cases(air, dist)
    assert list(rows.columns[-3:]) == list(CASE_COLUMNS)
    assert rows["undetermined"].tolist() == [True, False]
    sites = pd.DataFrame(
        {"site_id": ["A", "B"], "site_country": ["AAA", "AAA"], "hazardous": [True, True]}
    )
    d = determine(sites, rows).set_index("site_id")
    assert d.loc["A", "status"] == "consult"  # 40.2 km reaches 10 km away, but undetermined
    assert "zone undetermined (> 40 km" in d.loc["A", "evidence"]
    assert d.loc["B", "status"] == "notify"


def test_a_determined_zone_reaching_the_country_decides_over_an_undetermined_one():
    dist = pd.DataFrame(
        {
            "site_id": ["A", "A"],
            "hazard": ["fire", "toxic"],
            "zone_worst_km": [26.0, 40.2],
            "zone_alternative_km": [26.0, 40.0],
            "undetermined": [False, True],
        }
    )
    row = {"site_id": "A", "affected": "BBB", "pathway": "air", "border_km": 10.0}
    row |= {"uncertain": False}
    air = pd.DataFrame([row | {"hazard": "toxic", "zone_km": 40.2, "margin_km": 30.2}])
    det = pd.DataFrame([row | {"hazard": "fire", "zone_km": 26.0, "margin_km": 16.0}])
    sites = pd.DataFrame({"site_id": ["A"], "site_country": ["AAA"], "hazardous": [True]})
    undecided = with_zone_cases(air, dist)
    assert determine(sites, undecided).loc[0, "status"] == "consult"
    rows = with_zone_cases(air, dist, determined=det)
    assert rows[["hazard", "undetermined"]].values.tolist() == [["fire", False]]
    assert determine(sites, rows).loc[0, "status"] == "notify"


def test_screen_basis_decides_zone_km_and_is_recorded():
    import geopandas as gpd
    import shapely

    borders = gpd.GeoDataFrame(
        {"iso_a3": ["AAA", "BBB"]},
        geometry=[shapely.box(68, 40, 70, 42), shapely.box(70, 40, 72, 42)],
        crs=4326,
    )
    inv = inventory(largest_vessel_t=["1", "22", ""])
    worst = hazid.screen(inv, borders=borders, rivers=False)
    alt = hazid.screen(inv, borders=borders, rivers=False, basis="alternative")
    assert alt.run["parameters"]["weather"] == "alternative"
    assert worst.run["parameters"]["weather"] == "worst"
    tox_w = worst.zones.set_index("hazard").loc["toxic"]
    tox_a = alt.zones.set_index("hazard").loc["toxic"]
    assert tox_w.zone_km == tox_w.zone_worst_km and tox_a.zone_km == tox_a.zone_alternative_km
    assert tox_a.zone_km < tox_w.zone_km
    with pytest.raises(hazid.ChoiceError, match="basis must be one of"):
        hazid.screen(inv, borders=borders, rivers=False, basis="typical")
