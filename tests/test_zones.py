"""Tests of hazid.zones: formula functions, distances per site, polygons, population."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Geod
from shapely.geometry import LineString, Point

from hazid.errors import ChoiceError, CRSError, DataSourceError, GeodataError, InventoryError
from hazid.zones import (
    HAZARDS,
    MAX_TOXIC_DISTANCE_M,
    briggs_sigmas,
    consequence_distances,
    fireball_distance_m,
    fireball_duration_s,
    load_category_defaults,
    load_substance_properties,
    plume_concentration_mg_m3,
    plume_distance_m,
    pool_area_m2,
    pool_fire_distance_m,
    population_in_zones,
    vce_distance_m,
    zone_polygons,
)

GEOD = Geod(ellps="WGS84")
REL = 0.01  # reference values to 1 %


# ---------------------------------------------------------------------------------
# Formula functions: reference values (project reference, section 2)
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("mass", "expected"), [(4536, 280), (48580, 618), (97160, 779)])
def test_vce_reference_values(mass, expected):
    assert float(vce_distance_m(mass, 46333)) == pytest.approx(expected, rel=REL)


def test_vce_vectorised_and_hand_formula():
    masses = np.array([[1.0, 10.0], [1e3, 1e6]])
    got = vce_distance_m(masses, 50000.0)
    assert got.shape == (2, 2)
    hand = 17.0 * (0.1 * masses * 50000.0 / 4680.0) ** (1.0 / 3.0)
    np.testing.assert_allclose(got, hand, rtol=1e-12)
    # yield enters as a cube root
    assert float(vce_distance_m(1000, 50000, yield_factor=0.8)) == pytest.approx(
        2.0 * float(vce_distance_m(1000, 50000, yield_factor=0.1))
    )


def test_pool_fire_reference_heptane():
    area = pool_area_m2(4536, 684)
    assert float(area) == pytest.approx(663, rel=REL)
    dist = pool_fire_distance_m(area, 44600, 317, 2.24, 371.6)
    assert float(dist) == pytest.approx(132, rel=REL)


def test_pool_area_dike_limits_spread():
    area = pool_area_m2([4536, 4536, 4536], 684, dike_area_m2=[100.0, np.nan, 5000.0])
    # a dike larger than the 1 cm pool does not enlarge it
    np.testing.assert_allclose(area, [100.0, 4536 / 6.84, 4536 / 6.84])


def test_pool_fire_scales_with_sqrt_area_and_ignores_negative_sensible_heat():
    base = float(pool_fire_distance_m(100.0, 44000, 300, 2.0, 350.0))
    assert float(pool_fire_distance_m(400.0, 44000, 300, 2.0, 350.0)) == pytest.approx(2 * base)
    # boiling below ambient: the sensible-heat term is dropped, not made negative
    below = float(pool_fire_distance_m(100.0, 44000, 300, 2.0, 250.0))
    hand = 44000e3 * math.sqrt(1e-4 * 100.0 / (5000 * math.pi * 300e3))
    assert below == pytest.approx(hand)


def test_fireball_reference_propane():
    assert float(fireball_duration_s(4536)) == pytest.approx(7.45, rel=REL)
    assert float(fireball_distance_m(4536, 46333, radiative_fraction=0.3)) == pytest.approx(
        194, rel=REL
    )
    assert float(fireball_distance_m(4536, 46333, radiative_fraction=0.4)) == pytest.approx(
        225, rel=REL
    )
    np.testing.assert_allclose(
        fireball_distance_m(np.array([0.0, 4536.0]), 46333),
        [0.0, float(fireball_distance_m(4536, 46333))],
    )


def test_scalars_give_scalars():
    assert np.ndim(vce_distance_m(1.0, 1.0)) == 0
    assert np.ndim(fireball_distance_m(1.0, 1.0)) == 0
    d, c = plume_distance_m(1.0, 10.0)
    assert np.ndim(d) == 0 and np.ndim(c) == 0


# ---------------------------------------------------------------------------------
# Gaussian plume
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stability", "terrain", "sy", "sz"),
    [
        # hand-computed at x = 1000 m
        ("F", "rural", 40 / math.sqrt(1.1), 16 / 1.3),
        ("D", "rural", 80 / math.sqrt(1.1), 60 / math.sqrt(2.5)),
        ("F", "urban", 110 / math.sqrt(1.4), 80 / math.sqrt(2.5)),
        ("D", "urban", 160 / math.sqrt(1.4), 140 / math.sqrt(1.3)),
    ],
)
def test_briggs_hand_values(stability, terrain, sy, sz):
    got_y, got_z = briggs_sigmas(1000.0, stability=stability, terrain=terrain)
    assert float(got_y) == pytest.approx(sy)
    assert float(got_z) == pytest.approx(sz)


def test_plume_concentration_hand_value():
    sy, sz = 40 / math.sqrt(1.1), 16 / 1.3
    expected = 2.0e6 / (math.pi * sy * sz * 1.5)
    assert float(plume_concentration_mg_m3(1000.0, 2.0)) == pytest.approx(expected)


@pytest.mark.parametrize("weather", ["worst", "alternative"])
@pytest.mark.parametrize("terrain", ["rural", "urban"])
def test_plume_distance_concentration_equals_endpoint(weather, terrain):
    rng = np.random.default_rng(42)
    rate = 10 ** rng.uniform(-3, 1, 500)  # kg/s
    endpoint = 10 ** rng.uniform(0, 3, 500)  # mg/m3
    dist, capped = plume_distance_m(rate, endpoint, weather=weather, terrain=terrain)
    inside = ~capped & (dist > 1.0)
    assert inside.sum() > 100
    conc = plume_concentration_mg_m3(dist[inside], rate[inside], weather=weather, terrain=terrain)
    np.testing.assert_allclose(conc, endpoint[inside], rtol=1e-6)
    # capped ones still exceed the endpoint at the cap
    if capped.any():
        assert np.all(dist[capped] == MAX_TOXIC_DISTANCE_M)
        at_cap = plume_concentration_mg_m3(
            MAX_TOXIC_DISTANCE_M, rate[capped], weather=weather, terrain=terrain
        )
        assert np.all(at_cap > endpoint[capped])


def test_plume_distance_cap_and_edge_cases():
    dist, capped = plume_distance_m([100.0, 0.0, np.nan, 1.0, 1e-9], [8.7, 8.7, 8.7, -1.0, 1000.0])
    assert dist[0] == MAX_TOXIC_DISTANCE_M and capped[0]
    assert dist[1] == 0.0 and not capped[1]
    assert np.isnan(dist[2]) and np.isnan(dist[3])
    assert dist[4] == pytest.approx(1.0)  # below the 1 m floor
    # weather and terrain order the distances as expected for the same release
    rural_f, _ = plume_distance_m(1.0, 100.0)
    rural_d, _ = plume_distance_m(1.0, 100.0, weather="alternative")
    urban_f, _ = plume_distance_m(1.0, 100.0, terrain="urban")
    assert rural_f > rural_d and rural_f > urban_f


def test_plume_sanity_ammonia_epa_example():
    # EPA ammonia refrigeration example: 2,270 kg in 10 min -> about 1.4 km to 200 ppm.
    rate = 2270 / 600
    urban, _ = plume_distance_m(rate, 140, terrain="urban")
    rural, _ = plume_distance_m(rate, 140)
    assert 1400 / 2 < float(urban) < 1400 * 2
    # the neutral rural F plume is conservative but of the same order of magnitude
    assert 1400 <= float(rural) < 1400 * 5


def test_plume_sanity_chlorine_jack_rabbit():
    # 7-9 t of chlorine exceeded AEGL-2 to about 11 km in the Jack Rabbit II trials.
    rate = np.array([7000.0, 9000.0]) / 600
    worst, capped = plume_distance_m(rate, 8.7)
    assert np.all(worst >= 11_000)  # worst case is not less than observed
    assert np.all(capped)  # rural F hits the 40 km cap: the reason for the cap
    alt, _ = plume_distance_m(rate, 8.7, weather="alternative")
    assert np.all((alt > 11_000 / 2) & (alt < 11_000 * 2))


def test_weather_and_terrain_choices_are_checked():
    with pytest.raises(ChoiceError, match="weather must be one of"):
        plume_distance_m(1.0, 1.0, weather="stormy")
    with pytest.raises(ChoiceError, match="terrain must be one of"):
        plume_distance_m(1.0, 1.0, terrain="forest")
    with pytest.raises(ChoiceError, match="stability must be one of"):
        briggs_sigmas(1.0, stability="A")
    with pytest.raises(ChoiceError, match="weather must be one of"):
        plume_concentration_mg_m3(1.0, 1.0, weather="calm")


# ---------------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------------

REQUIRED_KEYS = [
    "chlorine",
    "ammonia",
    "hydrogen_sulphide",
    "sulphur_dioxide",
    "hydrogen_chloride",
    "hydrogen_fluoride",
    "phosgene",
    "propane",
    "lpg",
    "butane",
    "methane",
    "natural_gas",
    "hydrogen",
    "acetylene",
    "gasoline",
    "diesel",
    "kerosene",
    "crude_oil",
    "methanol",
    "ethylene_oxide",
    "n_heptane",
]


def test_property_table_contents():
    props = load_substance_properties()
    assert set(REQUIRED_KEYS) <= set(props.index)
    assert props.loc["propane", "heat_of_combustion_kj_kg"] == 46333
    endpoints = {
        "chlorine": 8.7,
        "ammonia": 140,
        "sulphur_dioxide": 7.8,
        "hydrogen_sulphide": 42,
        "hydrogen_chloride": 30,
        "hydrogen_fluoride": 16,
        "phosgene": 0.81,
        "ethylene_oxide": 90,
    }
    for key, value in endpoints.items():
        assert props.loc[key, "toxic_endpoint_mg_m3"] == value, key
    assert props["state_25c"].isin(["gas", "liquid", "solid"]).all()
    allowed = {"toxic", "explosion", "fireball", "fire"}
    for text in props["hazards"]:
        assert set(filter(None, text.split(";"))) <= allowed
    assert (props["source"].str.len() > 10).all()
    # endpoints exist exactly for substances listed as toxic
    toxic = props["hazards"].str.contains("toxic")
    assert props.loc[toxic, "toxic_endpoint_mg_m3"].notna().all()
    assert props.loc[~toxic, "toxic_endpoint_mg_m3"].isna().all()


def test_ppm_to_mg_m3_of_endpoints():
    props = load_substance_properties()
    ppm = {"chlorine": 3, "ammonia": 200, "sulphur_dioxide": 3, "hydrogen_sulphide": 30}
    for key, value in ppm.items():
        mg = value * props.loc[key, "molecular_weight"] / 24.45
        assert props.loc[key, "toxic_endpoint_mg_m3"] == pytest.approx(mg, rel=0.03), key


def test_surrogate_rows_copy_their_surrogate():
    props = load_substance_properties()
    numeric = [
        "heat_of_combustion_kj_kg",
        "heat_of_vaporisation_kj_kg",
        "liquid_heat_capacity_kj_kg_k",
        "boiling_point_k",
        "liquid_density_kg_m3",
        "toxic_endpoint_mg_m3",
    ]
    for key, sur in [("lpg", "propane"), ("natural_gas", "methane"), ("crude_oil", "gasoline")]:
        assert props.loc[key, "surrogate"] == sur
        pd.testing.assert_series_equal(
            props.loc[key, numeric], props.loc[sur, numeric], check_names=False
        )


def test_category_defaults_are_consistent_with_the_models():
    d = load_category_defaults()
    part1 = {"H1", "H2", "H3", "P1a", "P1b", "P2", "P3a", "P3b", "P4", "P5a", "P5b", "P5c"}
    part1 |= {"P6a", "P6b", "P7", "P8", "E1", "E2", "O1", "O2", "O3"}
    assert set(d["code"]) <= part1
    assert set(d["hazard"]) <= set(HAZARDS)
    assert not d.duplicated(["code", "hazard"]).any()
    props = load_substance_properties()
    # every representative substance has the data its hazard's model needs
    need = {
        "toxic": ["toxic_endpoint_mg_m3"],
        "explosion": ["heat_of_combustion_kj_kg"],
        "fireball": ["heat_of_combustion_kj_kg"],
        "fire": ["heat_of_combustion_kj_kg", "liquid_density_kg_m3", "boiling_point_k"],
    }
    rep = d[d.representative != ""]
    assert len(rep) >= 10
    for r in rep.itertuples():
        assert r.representative in props.index, r.code
        assert props.loc[r.representative, need[r.hazard]].notna().all(), r.code
    # each row is exactly one kind of default; toxic defaults are all modelled
    kinds = (d.representative != "").astype(int) + d.tnt_equivalence.notna() + d.zone_km.notna()
    assert (kinds == 1).all()
    assert (d.loc[d.hazard == "toxic", "representative"] != "").all()
    an = d[(d.code == "P8") & (d.hazard == "explosion")].iloc[0]
    assert an.tnt_equivalence == 0.4 and "Beirut" in an.rationale


# ---------------------------------------------------------------------------------
# consequence_distances
# ---------------------------------------------------------------------------------


def holdings(rows):
    return pd.DataFrame(rows, columns=["site_id", "substance_key", "categories", "quantity_t"])


def test_distances_one_row_per_site_and_hazard_with_controlling_substance():
    h = holdings(
        [
            ("B", "propane", "P2", 4.536),
            ("B", "butane", "P2", 50.0),
            ("A", "chlorine", "H2;P4;E1", 0.1),
            ("A", "ammonia", "H2;E1", 2.27),
            ("A", "gasoline", "P5a;E2", 4.536),
        ]
    )
    out = consequence_distances(h)
    assert list(out.columns) == [
        "site_id",
        "hazard",
        "substance_key",
        "quantity_t",
        "release_t",
        "zone_km",
        "zone_worst_km",
        "zone_alternative_km",
        "basis",
        "model",
        "undetermined",
        "undetermined_worst",
        "undetermined_alternative",
        "default_used",
        "note",
    ]
    assert list(zip(out.site_id, out.hazard, strict=True)) == [
        ("A", "fire"),
        ("A", "toxic"),
        ("B", "explosion"),
        ("B", "fireball"),
    ]
    a_tox = out[(out.site_id == "A") & (out.hazard == "toxic")].iloc[0]
    # chlorine 22.05 lb/min / 0.0087 mg/L = 2,534 -> Table 1 row 2,400 = 1.8 mi;
    # ammonia 500.4 lb/min -> Table 9 row 500, rural 1.3 mi
    assert a_tox.substance_key == "chlorine"
    assert a_tox.zone_km == pytest.approx(1.8 * 1.609344)
    assert a_tox.model == "oca_table_1"
    assert "dense gas" in a_tox.note and "neutral-gas table used" in a_tox.note
    b_exp = out[(out.site_id == "B") & (out.hazard == "explosion")].iloc[0]
    assert b_exp.substance_key == "butane"
    assert b_exp.zone_km == pytest.approx(float(vce_distance_m(50e3, 45722)) / 1000)
    assert not out.default_used.any()
    assert out.undetermined.dtype == bool and out.default_used.dtype == bool
    assert (out.basis == "worst").all()


def test_distances_reference_values_through_the_table():
    h = holdings([("S", "propane", "P2", 4.536), ("T", "n_heptane", "P5a", 4.536)])
    out = consequence_distances(h).set_index(["site_id", "hazard"])
    assert out.loc[("S", "explosion"), "zone_km"] == pytest.approx(0.280, rel=REL)
    assert out.loc[("S", "fireball"), "zone_km"] == pytest.approx(0.225, rel=REL)
    assert out.loc[("T", "fire"), "zone_km"] == pytest.approx(0.132, rel=REL)
    r3 = consequence_distances(h, radiative_fraction=0.3).set_index(["site_id", "hazard"])
    assert r3.loc[("S", "fireball"), "zone_km"] == pytest.approx(0.194, rel=REL)
    assert r3.loc[("S", "fireball"), "model"] == "fireball_bleve_R0.3"


def test_toxic_beyond_the_tables_is_undetermined_and_flagged():
    h = holdings([("A", "chlorine", "H2", 50.0), ("B", "hydrogen_sulphide", "H2;P2", 0.5)])
    out = consequence_distances(h)
    tox = out[out.hazard == "toxic"].set_index("site_id")
    # 11,023 lb/min / 0.0087 mg/L is beyond Table 1's last row (347,000): > 25 mi
    assert tox.loc["A", "undetermined"] and tox.loc["A", "undetermined_worst"]
    assert tox.loc["A", "zone_km"] == pytest.approx(25 * 1.609344)
    assert "undetermined (> 40 km)" in tox.loc["A", "note"]
    assert not tox.loc["B", "undetermined"]
    # H2S 110 lb/min / 0.042 = 2,625 -> row 2,400 (nearer than 2,900): 1.8 mi
    assert tox.loc["B", "zone_km"] == pytest.approx(1.8 * 1.609344)
    # H2S is also a flammable gas
    assert {"explosion", "fireball"} <= set(out.loc[out.site_id == "B", "hazard"])


def test_basis_terrain_indoor_and_release_time():
    h = holdings([("A", "ammonia", "H2", 2.27)])
    rate = 2270 / 600

    def zone(**kw):
        return consequence_distances(h, **kw)["zone_km"].iloc[0] * 1000

    mi = 1609.344
    assert zone() == pytest.approx(1.3 * mi)  # 500.4 lb/min: Table 9 row 500, rural
    assert zone(terrain="urban") == pytest.approx(0.9 * mi)
    assert zone(basis="alternative", terrain="urban") == pytest.approx(
        float(plume_distance_m(rate, 140, weather="alternative", terrain="urban")[0])
    )
    assert zone(weather="alternative") == zone(basis="alternative")  # former name
    assert zone(indoor=True) == pytest.approx(1.0 * mi)  # 275.2 lb/min: row 300
    assert zone(basis="alternative", release_minutes=60) == pytest.approx(
        float(plume_distance_m(rate / 6, 140, weather="alternative")[0])
    )
    out = consequence_distances(h, basis="alternative", terrain="urban", indoor=True)
    assert out["model"].iloc[0] == "gaussian_plume_urban_D_3ms"
    assert out["basis"].iloc[0] == "alternative"
    assert "rate x 0.55" in out["note"].iloc[0]
    both = consequence_distances(h).iloc[0]
    assert both.zone_alternative_km == pytest.approx(zone(basis="alternative") / 1000)
    assert both.zone_worst_km == both.zone_km


def test_indoor_column_overrides_keyword():
    h = holdings([("A", "ammonia", "H2", 2.27), ("B", "ammonia", "H2", 2.27)])
    h["indoor"] = [True, None]
    out = consequence_distances(h, indoor=False).set_index("site_id")
    indoor_km, outdoor_km = 1.0 * 1.609344, 1.3 * 1.609344  # Table 9 rows 300 and 500
    assert out.loc["A", "zone_km"] == pytest.approx(indoor_km)
    assert out.loc["B", "zone_km"] == pytest.approx(outdoor_km)
    h["indoor"] = ["no", "yes"]
    out = consequence_distances(h, indoor=True).set_index("site_id")
    assert out.loc["A", "zone_km"] == pytest.approx(outdoor_km)
    assert out.loc["B", "zone_km"] == pytest.approx(indoor_km)


def test_bund_area_limits_pool_fire():
    h = holdings(
        [
            ("A", "n_heptane", "P5a", 4.536),
            ("B", "n_heptane", "P5a", 4.536),
            ("C", "n_heptane", "P5a", 4.536),
        ]
    )
    h["dike_area_m2"] = [100.0, np.nan, 100.0]
    h["bund_m2"] = [np.nan, np.nan, 50.0]  # bund_m2 wins over its alias dike_area_m2
    out = consequence_distances(h)
    fire = out[out.hazard == "fire"].set_index("site_id")
    expected = pool_fire_distance_m(100.0, 44600, 317, 2.24, 371.6) / 1000
    assert fire.loc["A", "zone_km"] == pytest.approx(float(expected))
    assert fire.loc["C", "zone_km"] == pytest.approx(
        float(pool_fire_distance_m(50.0, 44600, 317, 2.24, 371.6) / 1000)
    )
    assert "bund" in fire.loc["A", "note"] and "1 cm" in fire.loc["B", "note"]


def test_models_follow_classification_and_properties():
    h = holdings(
        [
            ("M", "methanol", "H2;H3;P5a", 100.0),  # no endpoint: fire and vapour explosion
            ("N", "ammonia", "H2;P2;E1", 10.0),  # ammonia: toxic only, as in the OCA
            ("L", "lpg", "P2", 10.0),
            ("C", "sodium_cyanide", "H2;E1", 100.0),  # solid: no air zone
            ("K", "chlorine", "", 1.0),  # no categories: table hazards still apply
        ]
    )
    out = consequence_distances(h)
    hz = out.groupby("site_id")["hazard"].apply(set).to_dict()
    assert hz["M"] == {"fire", "explosion"}
    assert hz["N"] == {"toxic"}
    assert hz["L"] == {"explosion", "fireball"}
    assert "C" not in hz
    assert hz["K"] == {"toxic"}
    m_exp = out[(out.site_id == "M") & (out.hazard == "explosion")].iloc[0]
    assert m_exp.model == "vce_liquid_10min_vapour_10pct"
    lpg = out[out.site_id == "L"]
    assert lpg["note"].str.contains("properties of propane used").all()
    assert float(lpg.loc[lpg.hazard == "explosion", "zone_km"].iloc[0]) == pytest.approx(
        float(vce_distance_m(10e3, 46333)) / 1000
    )


def test_category_defaults_for_unidentified_substances():
    h = holdings(
        [
            ("U", "", "H2;P2", 10.0),
            ("V", "mystery_gas", "P2", 100_000.0),  # key not in the table
            ("W", None, "P5c;E2", 5.0),
            ("X", "", "E1", 5.0),  # no air pathway
            ("Y", "", "P8", 2750.0),  # ammonium nitrate default: TNT equivalence 0.4
            ("Z", "", "P4", 5.0),  # judgement value, not scaled
        ]
    )
    out = consequence_distances(h)
    assert out["default_used"].all()
    assert (out["model"] == "category_default").all()
    got = {(r.site_id, r.hazard): r.zone_km * 1000 for r in out.itertuples()}
    props = load_substance_properties()
    diesel = props.loc["diesel"]
    assert got == pytest.approx(
        {
            ("U", "explosion"): float(vce_distance_m(10e3, 119960)),  # hydrogen
            ("U", "fireball"): float(fireball_distance_m(10e3, 46333)),  # propane
            # chlorine: 2,204.6 lb/min / 0.0087 mg/L = 253,405 -> Table 1 row 279,000
            ("U", "toxic"): 22.0 * 1609.344,
            ("V", "explosion"): float(vce_distance_m(1e8, 119960)),
            ("V", "fireball"): float(fireball_distance_m(1e8, 46333)),
            ("W", "fire"): float(
                pool_fire_distance_m(
                    pool_area_m2(5e3, diesel.liquid_density_kg_m3),
                    diesel.heat_of_combustion_kj_kg,
                    diesel.heat_of_vaporisation_kj_kg,
                    diesel.liquid_heat_capacity_kj_kg_k,
                    diesel.boiling_point_k,
                )
            ),
            ("Y", "explosion"): 17 * (0.4 * 2.75e6) ** (1 / 3),
            ("Y", "fire"): 1000.0,
            ("Z", "fire"): 1000.0,
        }
    )
    u_tox = out[(out.site_id == "U") & (out.hazard == "toxic")].iloc[0]
    assert not u_tox.undetermined and "category H2" in u_tox.note
    assert "model of chlorine" in u_tox.note
    # defaults scale with quantity: 0.2 t of an unidentified H2 gas is not 40 km
    small = consequence_distances(holdings([("S", "", "H2", 0.2)])).iloc[0]
    assert small.zone_km < 5.0 and not small.undetermined


def test_modelled_zone_beats_default_when_larger():
    h = holdings([("A", "", "P2", 1.0), ("A", "hydrogen", "P2", 20_000.0)])
    out = consequence_distances(h).set_index("hazard")
    assert out.loc["explosion", "substance_key"] == "hydrogen"
    assert not out.loc["explosion", "default_used"]
    assert out.loc["explosion", "zone_km"] > 5.0


def test_invalid_quantities_and_empty_input():
    h = holdings([("A", "propane", "P2", 0.0), ("A", "propane", "P2", np.nan)])
    out = consequence_distances(h)
    assert out.empty and list(out.columns)[:2] == ["site_id", "hazard"]
    assert consequence_distances(holdings([])).empty


def test_distances_errors():
    with pytest.raises(InventoryError, match="quantity_t"):
        consequence_distances(pd.DataFrame({"site_id": ["A"], "substance_key": ["x"]}))
    h = holdings([("A", "propane", "P2", 1.0)])
    with pytest.raises(ChoiceError, match="basis must be one of"):
        consequence_distances(h, basis="bad")
    with pytest.raises(ChoiceError, match="basis must be one of"):
        consequence_distances(h, weather="bad")
    h["storage"] = ["frozen"]
    with pytest.raises(ChoiceError, match="storage must be one of"):
        consequence_distances(h)
    with pytest.raises(ChoiceError, match="terrain must be one of"):
        consequence_distances(h, terrain="bad")
    with pytest.raises(ChoiceError, match="radiative_fraction"):
        consequence_distances(h, radiative_fraction=1.5)
    with pytest.raises(ChoiceError, match="release_minutes"):
        consequence_distances(h, release_minutes=0)


def test_distances_many_holdings_match_small_case():
    rng = np.random.default_rng(1)
    n = 20_000
    keys = np.array(["chlorine", "propane", "gasoline", ""])
    cats = np.array(["H2", "P2", "P5a", "H2;P2"])
    k = rng.integers(0, 4, n)
    h = pd.DataFrame(
        {
            "site_id": rng.integers(0, 3000, n).astype(str),
            "substance_key": keys[k],
            "categories": cats[k],
            "quantity_t": rng.uniform(0.1, 50, n),
        }
    )
    out = consequence_distances(h)
    assert not out.duplicated(["site_id", "hazard"]).any()
    assert out.equals(out.sort_values(["site_id", "hazard"]).reset_index(drop=True))
    # spot-check one site against the per-row maximum
    site = out.site_id.iloc[0]
    sub = h[h.site_id == site]
    best = consequence_distances(sub.iloc[[0]])
    for i in range(1, len(sub)):
        best = pd.concat([best, consequence_distances(sub.iloc[[i]])])
    expect = best.groupby("hazard")["zone_km"].max()
    got = out[out.site_id == site].set_index("hazard")["zone_km"]
    pd.testing.assert_series_equal(got.sort_index(), expect.sort_index(), check_names=False)


# ---------------------------------------------------------------------------------
# zone_polygons
# ---------------------------------------------------------------------------------


def sites_at(points, crs="EPSG:4326"):
    return gpd.GeoDataFrame(
        {"site_id": [f"S{i}" for i in range(len(points))]},
        geometry=[Point(x, y) for x, y in points],
        crs=crs,
    )


def ring_distances(poly, lon, lat):
    xs, ys = np.asarray(poly.exterior.coords).T
    _, _, d = GEOD.inv(np.full(xs.size, lon), np.full(xs.size, lat), xs, ys)
    return xs, ys, np.asarray(d)


@pytest.mark.parametrize("lat", [0.0, 40.0, 55.0, 70.0])
def test_circle_vertices_at_zone_distance(lat):
    sites = sites_at([(60.0, lat)])
    dist = pd.DataFrame({"site_id": ["S0"], "hazard": ["toxic"], "zone_km": [40.0]})
    z = zone_polygons(sites, dist)
    assert z.crs.to_epsg() == 4326
    poly = z.geometry.iloc[0]
    assert poly.is_valid and len(poly.exterior.coords) == 73
    _, _, d = ring_distances(poly, 60.0, lat)
    np.testing.assert_allclose(d, 40_000.0, rtol=1e-3)
    assert poly.contains(Point(60.0, lat))


def test_sector_points_downwind():
    sites = sites_at([(69.0, 41.0)])
    dist = pd.DataFrame({"site_id": ["S0"], "hazard": ["toxic"], "zone_km": [20.0]})
    for wind_from, toward in [(270.0, 90.0), (0.0, 180.0), (45.0, 225.0)]:
        poly = zone_polygons(sites, dist, wind_from=wind_from, sector_deg=45.0).geometry.iloc[0]
        xs, ys, d = ring_distances(poly, 69.0, 41.0)
        assert (xs[0], ys[0]) == (69.0, 41.0)  # apex at the site
        arc = d > 1.0
        np.testing.assert_allclose(d[arc], 20_000.0, rtol=1e-3)
        az, _, _ = GEOD.inv(np.full(arc.sum(), 69.0), np.full(arc.sum(), 41.0), xs[arc], ys[arc])
        off = (np.asarray(az) - toward + 180.0) % 360.0 - 180.0
        assert np.all(np.abs(off) <= 22.5 + 1e-6)
        assert off.min() == pytest.approx(-22.5, abs=1e-6)
        assert off.max() == pytest.approx(22.5, abs=1e-6)
        assert poly.intersects(Point(69.0, 41.0))


def test_polygons_keep_columns_and_reproject_sites():
    sites = sites_at([(69.0, 41.0), (70.0, 42.0)]).to_crs("EPSG:3857")
    dist = pd.DataFrame(
        {
            "site_id": ["S1", "S0", "S0"],
            "hazard": ["fire", "toxic", "explosion"],
            "zone_km": [1.0, 5.0, np.nan],
            "note": ["a", "b", "c"],
        }
    )
    z = zone_polygons(sites, dist)
    assert list(z.columns[:4]) == ["site_id", "hazard", "zone_km", "note"]
    assert z.geometry.iloc[2] is None
    c = z.geometry.iloc[0].centroid
    assert c.x == pytest.approx(70.0, abs=1e-3) and c.y == pytest.approx(42.0, abs=1e-3)


def test_antimeridian_zone_is_split_not_wrapped():
    sites = sites_at([(179.9, 60.0)])
    dist = pd.DataFrame({"site_id": ["S0"], "hazard": ["toxic"], "zone_km": [40.0]})
    geom = zone_polygons(sites, dist).geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and geom.is_valid
    assert len(geom.geoms) == 2
    # neither part spans the globe
    for part in geom.geoms:
        x0, _, x1, _ = part.bounds
        assert x1 - x0 < 2.0
    for part in geom.geoms:
        xs, ys = np.asarray(part.exterior.coords).T
        on_ring = np.abs(np.abs(xs) - 180.0) > 1e-9
        _, _, d = GEOD.inv(
            np.full(on_ring.sum(), 179.9), np.full(on_ring.sum(), 60.0), xs[on_ring], ys[on_ring]
        )
        np.testing.assert_allclose(d, 40_000.0, rtol=1e-3)


def test_zone_polygon_errors():
    dist = pd.DataFrame({"site_id": ["S0"], "hazard": ["toxic"], "zone_km": [1.0]})
    no_crs = gpd.GeoDataFrame({"site_id": ["S0"]}, geometry=[Point(0, 0)])
    with pytest.raises(CRSError, match="no CRS"):
        zone_polygons(no_crs, dist)
    line = gpd.GeoDataFrame({"site_id": ["S0"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326)
    with pytest.raises(GeodataError, match="must be points"):
        zone_polygons(line, dist)
    with pytest.raises(GeodataError, match="not in the sites layer"):
        zone_polygons(sites_at([(0, 0)]), dist.assign(site_id="S9"))
    with pytest.raises(GeodataError, match="lack a 'zone_km'"):
        zone_polygons(sites_at([(0, 0)]), dist.drop(columns="zone_km"))
    with pytest.raises(GeodataError, match="lack a 'site_id'"):
        zone_polygons(sites_at([(0, 0)]).rename(columns={"site_id": "id"}), dist)
    twice = pd.concat([sites_at([(0, 0)]), sites_at([(1, 1)])], ignore_index=True)
    with pytest.raises(GeodataError, match="repeat"):
        zone_polygons(twice, dist)
    with pytest.raises(GeodataError, match="GeoDataFrame"):
        zone_polygons(pd.DataFrame({"site_id": ["S0"]}), dist)
    with pytest.raises(ChoiceError, match="n_vertices"):
        zone_polygons(sites_at([(0, 0)]), dist, n_vertices=3)
    with pytest.raises(ChoiceError, match="sector_deg"):
        zone_polygons(sites_at([(0, 0)]), dist, wind_from=0.0, sector_deg=0.0)
    with pytest.raises(ChoiceError, match="wind_from"):
        zone_polygons(sites_at([(0, 0)]), dist, wind_from=float("nan"))


# ---------------------------------------------------------------------------------
# population_in_zones
# ---------------------------------------------------------------------------------


def write_raster(path, crs="EPSG:4326", value=1.0, res=0.01):
    width = height = round(2.0 / res)  # lon 60..62, lat 40..42
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(res, 0.0, 60.0, 0.0, -res, 42.0),
    ) as dst:
        dst.write(np.full((1, height, width), value, dtype="float32"))
    return path


def test_population_matches_area_weighted_expectation(tmp_path):
    raster = write_raster(tmp_path / "pop.tif")
    sites = sites_at([(61.0, 41.0), (60.8, 40.7)])
    dist = pd.DataFrame(
        {"site_id": ["S0", "S1"], "hazard": ["toxic", "fire"], "zone_km": [20.0, 5.0]}
    )
    zones = zone_polygons(sites, dist)
    pop = population_in_zones(zones, raster)
    assert pop.name == "population" and list(pop.index) == list(zones.index)
    for i, (lat, r_km) in enumerate([(41.0, 20.0), (40.7, 5.0)]):
        # area of a 0.01 deg cell at the zone's latitude (authalic sphere)
        cell_km2 = (6371.0072 * math.radians(0.01)) ** 2 * math.cos(math.radians(lat))
        expected = math.pi * r_km**2 / cell_km2
        assert pop.iloc[i] == pytest.approx(expected, rel=0.02)
    # zones in another CRS are reprojected to the raster's
    again = population_in_zones(zones.to_crs("EPSG:3857"), raster)
    np.testing.assert_allclose(again.to_numpy(), pop.to_numpy(), rtol=1e-3)


def test_population_empty_geometry_gives_nan(tmp_path):
    raster = write_raster(tmp_path / "pop.tif", value=2.0)
    sites = sites_at([(61.0, 41.0)])
    dist = pd.DataFrame({"site_id": ["S0", "S0"], "zone_km": [np.nan, 1.0]})
    pop = population_in_zones(zone_polygons(sites, dist), raster)
    assert np.isnan(pop.iloc[0]) and pop.iloc[1] > 0


def test_population_errors(tmp_path):
    zones = zone_polygons(
        sites_at([(61.0, 41.0)]), pd.DataFrame({"site_id": ["S0"], "zone_km": [1.0]})
    )
    with pytest.raises(DataSourceError, match="not found"):
        population_in_zones(zones, tmp_path / "missing.tif")
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(DataSourceError, match="cannot open"):
        population_in_zones(zones, bad)
    with pytest.raises(CRSError, match="zones have no CRS"):
        population_in_zones(gpd.GeoDataFrame(geometry=list(zones.geometry)), tmp_path / "x.tif")
    no_crs = write_raster(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(CRSError, match="has no CRS"):
        population_in_zones(zones, no_crs)


@pytest.mark.parametrize("k", [8, 9, 72, 73])
def test_circle_vertices_mirrored_across_the_meridian_are_the_geodesic_ones(k):
    from hazid.zones.geometry import _ring

    az = np.linspace(0.0, 360.0, k, endpoint=False)
    lon_c, lat_c = np.array([69.3, 179.9, -20.0]), np.array([41.3, 60.0, -45.0])
    r = np.array([10e3, 40e3, 500.0])
    lon, lat = _ring(lon_c, lat_c, r, az, mirror=True)
    # every vertex lies at the radius and azimuth asked for (inverse geodesic, WGS84)
    fwd_az, _, dist = Geod(ellps="WGS84").inv(
        np.repeat(lon_c, k), np.repeat(lat_c, k), lon.ravel(), lat.ravel()
    )
    assert dist == pytest.approx(np.repeat(r, k), rel=1e-9)
    assert np.mod(fwd_az, 360.0) == pytest.approx(np.tile(az, 3), abs=1e-7)
    full = _ring(lon_c, lat_c, r, az, mirror=False)
    assert np.abs(lon - full[0]).max() < 1e-12 and np.abs(lat - full[1]).max() < 1e-12
