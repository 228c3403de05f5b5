"""Properties of the Annex I classification that must hold for any inventory (hypothesis).

Every test is derandomized, so a run is reproducible and a failure shows the same example again.
"""

from __future__ import annotations

import math
import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hazid
from hazid import tables, zones
from hazid.annex import GROUPS, classify
from hazid.errors import HazidError
from hazid.inventory import read_inventory, validate_inventory

SETTINGS = settings(
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TOL = 1e-9

#: (substance, category, grade): named substances, named ones with a category, category-only ones
SUBSTANCES = [
    ("chlorine", "", ""),
    ("ammonia", "", ""),
    ("methanol", "", ""),
    ("LPG", "", ""),
    ("hydrogen", "", ""),
    ("diesel", "", ""),
    ("oxygen", "", ""),
    ("sodium cyanide", "", ""),
    ("crude oil", "", ""),
    ("ammonium nitrate", "", "technical"),
    ("methanol", "H2", ""),
    ("toxic intermediate", "H1", ""),
    ("pesticide", "H2;E1", ""),
    ("solvent mix", "P5c;E2", ""),
    ("oxidiser", "P8", ""),
    ("reactive salt", "O1", ""),
    ("water-reactive poison", "O1;H1", ""),
]
SITES = ["A", "B", "C"]
SITE_XY = {"A": ("69.2", "41.3"), "B": ("71.4", "51.1"), "C": ("74.6", "42.9")}
# quantities around the thresholds (2 %, 1x) and arbitrary ones
QUANTITY = st.one_of(
    st.sampled_from([0.0, 0.4, 0.5, 1.0, 5.0, 10.0, 20.0, 25.0, 50.0, 200.0, 500.0, 5000.0]),
    st.floats(min_value=0.0, max_value=60_000.0, allow_nan=False, allow_infinity=False),
)
HOLDING = st.tuples(
    st.sampled_from(SITES),
    st.integers(min_value=0, max_value=len(SUBSTANCES) - 1),
    QUANTITY,
    st.booleans(),  # isolated_small
    st.sampled_from(["", "", "", "health", "physical;environmental"]),  # groups override
)
HOLDINGS = st.lists(HOLDING, min_size=1, max_size=8)
RATIO_COLS = [f"{g}_ratio" for g in GROUPS] + ["max_single_ratio"]


def table(holdings) -> pd.DataFrame:
    """Inventory table (strings, as read from a file) of (site, substance, q, small, groups)."""
    recs = []
    for site, sub, q, small, groups in holdings:
        name, category, grade = SUBSTANCES[sub]
        lon, lat = SITE_XY.get(site, ("69.2", "41.3"))
        recs.append(
            {
                "site_id": site, "lon": lon, "lat": lat, "substance": name,
                "category": category, "grade": grade, "quantity": repr(float(q)),
                "isolated_small": "true" if small else "false", "groups": groups,
            }
        )  # fmt: skip
    return pd.DataFrame(recs)


def read(holdings) -> pd.DataFrame:
    """Read a generated table; equal rows are meant (a holding split in equal parts)."""
    return read_inventory(table(holdings), allow_duplicates=True)


def sites_of(holdings: pd.DataFrame) -> pd.DataFrame:
    return classify(holdings).sites.set_index("site_id")


def not_lower(new: float, old: float) -> bool:
    """``new >= old`` up to rounding of a (compensated) float sum."""
    return new >= old - 1e-12 * max(abs(old), 1.0)


@SETTINGS
@given(base=HOLDINGS, extra=HOLDING)
def test_adding_a_holding_never_lowers_its_site(base, extra):
    before = read(base)
    added = read([extra]).assign(row=len(base) + 1)
    after = pd.concat([before, added], ignore_index=True)
    old, new = sites_of(before), sites_of(after)
    site = extra[0]
    if site in old.index:
        for col in RATIO_COLS:
            assert not_lower(new.at[site, col], old.at[site, col]), col
        if old.at[site, "hazardous"]:
            assert new.at[site, "hazardous"]
    # the other sites do not change at all
    others = old.index.drop(site, errors="ignore")
    pd.testing.assert_frame_equal(
        new.loc[others, [*RATIO_COLS, "hazardous"]], old.loc[others, [*RATIO_COLS, "hazardous"]]
    )


@SETTINGS
@given(base=HOLDINGS, factor=st.floats(min_value=1.0, max_value=1000.0))
def test_scaling_quantities_up_never_clears_a_hazardous_site(base, factor):
    holdings = read(base)
    scaled = holdings.assign(quantity_t=holdings["quantity_t"] * factor)
    old, new = sites_of(holdings), sites_of(scaled)
    assert list(new.index) == list(old.index)
    for site in old.index:
        for col in RATIO_COLS:
            assert not_lower(new.at[site, col], old.at[site, col]), (site, col)
        if old.at[site, "hazardous"]:
            assert new.at[site, "hazardous"], site


@SETTINGS
@given(data=st.data(), base=HOLDINGS)
def test_classification_does_not_depend_on_row_order(data, base):
    order = data.draw(st.permutations(range(len(base))))
    old = sites_of(read(base))
    new = sites_of(read([base[i] for i in order]))
    assert list(new.index) == list(old.index)
    assert new["hazardous"].tolist() == old["hazardous"].tolist()
    for col in RATIO_COLS:
        np.testing.assert_allclose(new[col], old[col], rtol=1e-12, atol=0, err_msg=col)
    # the same decisions are explained, whatever the order of the terms in a sum
    for site in old.index:
        assert _clauses(new.at[site, "reasons"]) == _clauses(old.at[site, "reasons"]), site


def _clauses(reasons: str) -> set[str]:
    """The clauses of a reasons text, with the terms of each sum and list sorted.

    The substance named as "largest ratio" is dropped: on a tie it depends on the row order
    (see test_largest_ratio_tie_is_named_independently_of_row_order).
    """
    out = set()
    reasons = re.sub(r"(largest ratio [\d.]+) \([^)]*\)", r"\1", reasons)
    for clause in reasons.split("; "):
        head, sep, items = clause.partition("isolated small quantities: ")
        if sep:
            clause = head + sep + ", ".join(sorted(items.split(", ")))
        head, sep, terms = clause.partition(" (")
        if sep and " + " in terms:
            clause = head + " (" + " + ".join(sorted(terms.rstrip(")").split(" + "))) + ")"
        out.add(clause)
    return out


@SETTINGS
@given(
    ids=st.lists(
        st.text(
            alphabet=st.characters(categories=["L", "N", "Pd"], include_characters="_."),
            min_size=1,
            max_size=6,
        ).filter(lambda s: unicodedata.normalize("NFKC", s) == s),  # ids as normalised
        min_size=1,
        max_size=12,
        unique_by=str.casefold,  # ids differing only in case are reported as a problem
    ),
    sub=st.integers(min_value=0, max_value=len(SUBSTANCES) - 1),
)
def test_site_rows_are_sorted_by_site_id(ids, sub):
    inv = table([(i, sub, 1.0, False, "") for i in ids])
    res = classify(read_inventory(inv))
    assert res.sites["site_id"].tolist() == sorted(set(ids))
    assert res.sites.index.equals(pd.RangeIndex(len(set(ids))))
    keys = list(zip(res.holdings["site_id"], res.holdings["row"], strict=True))
    assert keys == sorted(keys)


def _group_thresholds(categories: str, regime_col: str = "convention_t") -> dict[str, float]:
    """Lowest threshold of the categories in each summation group (O categories never sum)."""
    part1 = tables.annex_part1().set_index("code")
    out: dict[str, float] = {}
    for code in filter(None, categories.split(";")):
        group = part1.at[code, "group"]
        if group in GROUPS:
            out[group] = min(out.get(group, math.inf), float(part1.at[code, regime_col]))
    return out


@SETTINGS
@given(sub=st.integers(min_value=0, max_value=len(SUBSTANCES) - 1), q=QUANTITY)
def test_single_holding_ratio_is_exactly_q_over_threshold(sub, q):
    res = classify(read([("A", sub, q, False, "")]))
    h = res.holdings.iloc[0]
    s = res.sites.iloc[0]
    ratio = h["quantity_t"] / h["threshold_t"]
    assert h["quantity_t"] == q
    assert h["ratio"] == ratio
    assert s["max_single_ratio"] == ratio
    groups = set(filter(None, h["groups"].split(";")))
    if h["annex_entry"].startswith("II-"):
        # a named substance counts with its Part II threshold in each of its groups
        expected = {g: (ratio if g in groups else 0.0) for g in GROUPS}
    else:
        th = _group_thresholds(h["categories"])
        assert set(th) == groups
        expected = {g: (q / th[g] if g in th else 0.0) for g in GROUPS}
    for g in GROUPS:
        assert s[f"{g}_ratio"] == expected[g], g
    over = ratio >= 1 - TOL or any(v >= 1 - TOL for v in expected.values())
    assert bool(s["hazardous"]) == over


@SETTINGS
@given(
    sub=st.integers(min_value=0, max_value=len(SUBSTANCES) - 1),
    q=st.floats(min_value=0.0, max_value=60_000.0, allow_nan=False),
    share=st.floats(min_value=0.0, max_value=1.0),
)
def test_splitting_a_holding_over_two_rows_changes_nothing(sub, q, share):
    one = sites_of(read([("A", sub, q, False, "")]))
    first = q * share
    two = read([("A", sub, first, False, ""), ("A", sub, q - first, False, "")])
    split = sites_of(two)
    assert split.at["A", "hazardous"] == one.at["A", "hazardous"] or math.isclose(
        split.at["A", "max_single_ratio"], 1 - TOL, rel_tol=1e-9
    )
    for col in RATIO_COLS:
        assert split.at["A", col] == pytest.approx(one.at["A", col], rel=1e-12, abs=1e-300)


def test_largest_ratio_tie_is_named_independently_of_row_order():
    rows = [("A", 0, 12.5, False, ""), ("A", 1, 100.0, False, "")]  # chlorine 0.5, ammonia 0.5
    forward = sites_of(read(rows)).at["A", "reasons"]
    backward = sites_of(read(rows[::-1])).at["A", "reasons"]
    assert forward == backward


def test_isolated_small_list_independent_of_row_order():
    rows = [("A", 0, 0.1, True, ""), ("A", 1, 0.1, True, "")]  # chlorine, ammonia: both <= 2 %
    forward = sites_of(read(rows)).at["A", "reasons"]
    backward = sites_of(read(rows[::-1])).at["A", "reasons"]
    assert forward == backward


HEADER = b"site_id,lon,lat,substance,quantity\n"
CELL = st.text(
    alphabet=st.sampled_from([*",;\"\t\n\r =#.-+0123456789eEinfaNxtkg°'", "т", "\ufeff", "é"]),
    max_size=8,
)
ANY_FILE = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: HEADER + b),
    st.text(max_size=200).map(lambda t: HEADER + t.encode()),
    st.lists(st.lists(CELL, max_size=6), max_size=6).map(
        lambda rows: HEADER + "\n".join(",".join(r) for r in rows).encode()
    ),
)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(content=ANY_FILE)
def test_any_csv_bytes_give_holdings_or_a_hazid_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "inventory.csv"
    path.write_bytes(content)
    try:
        holdings, problems = validate_inventory(path)
    except HazidError:
        return
    assert list(problems.columns) == ["row", "column", "value", "problem"]
    if problems.empty:
        assert holdings["quantity_t"].map(math.isfinite).all()
        assert (holdings["quantity_t"] >= 0).all()


COLUMN_NAMES = st.sampled_from(
    ["site_id", "lon", "lat", "substance", "quantity", "quantity_t", "cas", "category", "unit",
     "grade", "country", "groups", "isolated_small", "notes", "Quantity", "LAT"]
)  # fmt: skip


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    columns=st.lists(COLUMN_NAMES, min_size=5, max_size=5),
    rows=st.lists(st.tuples(*[st.text(max_size=6)] * 5), min_size=1, max_size=5),
)
def test_any_string_table_gives_holdings_or_problems(columns, rows):
    holdings, problems = validate_inventory(pd.DataFrame(rows, columns=columns))
    if problems.empty:
        assert holdings["site_id"].ne("").all()
        assert holdings["lon"].between(-180, 180).all()


# ------------------------------------------------------------------------------------------
# Consequence zones: a zone never shrinks when the quantity grows
# ------------------------------------------------------------------------------------------
ZONE_SETTINGS = settings(derandomize=True, max_examples=200, deadline=None)
#: two masses (kg) from 1 g to 10 Mt, tiny and huge ratios between them alike
MASSES = st.tuples(
    st.floats(min_value=1e-3, max_value=1e10, allow_nan=False),
    st.one_of(
        st.floats(min_value=1e-3, max_value=1e10, allow_nan=False),
        st.floats(min_value=0.0, max_value=1e-9).map(lambda e: 1.0 + e),  # a nudge above 1
    ),
).map(lambda t: (t[0], t[0] * t[1]) if t[1] < 2.0 else tuple(sorted(t)))
HEAT_KJ_KG = st.floats(min_value=1e3, max_value=1.3e5)


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    return min(pair), max(pair)


@ZONE_SETTINGS
@given(masses=MASSES, hc=HEAT_KJ_KG)
def test_explosion_zone_never_shrinks_with_quantity(masses, hc):
    small, large = _ordered(masses)
    assert zones.vce_distance_m(large, hc) >= zones.vce_distance_m(small, hc)


@ZONE_SETTINGS
@given(masses=MASSES, hc=HEAT_KJ_KG, radiative=st.floats(min_value=0.05, max_value=1.0))
def test_fireball_zone_never_shrinks_with_quantity(masses, hc, radiative):
    small, large = _ordered(masses)
    far = zones.fireball_distance_m(large, hc, radiative_fraction=radiative)
    near = zones.fireball_distance_m(small, hc, radiative_fraction=radiative)
    assert far >= near


@ZONE_SETTINGS
@given(
    masses=MASSES,
    liquid=st.sampled_from(["gasoline", "diesel", "crude_oil", "methanol", "n_heptane"]),
    dike=st.one_of(st.just(math.nan), st.floats(min_value=1.0, max_value=1e6)),
)
def test_pool_fire_zone_never_shrinks_with_quantity(masses, liquid, dike):
    p = zones.load_substance_properties().loc[liquid]
    small, large = _ordered(masses)

    def reach(m: float) -> float:
        area = zones.pool_area_m2(m, p.liquid_density_kg_m3, dike_area_m2=dike)
        return zones.pool_fire_distance_m(
            area,
            p.heat_of_combustion_kj_kg,
            p.heat_of_vaporisation_kj_kg,
            p.liquid_heat_capacity_kj_kg_k,
            p.boiling_point_k,
        )

    assert reach(large) >= reach(small)


@ZONE_SETTINGS
@given(
    masses=MASSES,
    endpoint=st.floats(min_value=0.1, max_value=5_000.0),
    weather=st.sampled_from(["worst", "alternative"]),
    terrain=st.sampled_from(["rural", "urban"]),
)
def test_toxic_zone_never_shrinks_with_quantity(masses, endpoint, weather, terrain):
    small, large = _ordered(masses)
    d_small, c_small = zones.plume_distance_m(
        small / 600.0, endpoint, weather=weather, terrain=terrain
    )
    d_large, c_large = zones.plume_distance_m(
        large / 600.0, endpoint, weather=weather, terrain=terrain
    )
    assert d_large >= d_small
    assert c_large >= c_small  # once capped, always capped


#: (substance_key, categories) as classify writes them, incl. unidentified substances
ZONE_HOLDINGS = [
    ("chlorine", "H2;P4;E1"),
    ("ammonia", "H2;P2;E1"),
    ("hydrogen_sulphide", "H1;P2;E1"),
    ("ethylene_oxide", "H2;P2"),
    ("propane", "P2"),
    ("lpg", "P2"),
    ("hydrogen", "P2"),
    ("gasoline", "P5a;E2"),
    ("diesel", "P5c;E2"),
    ("crude_oil", "P5a;E2"),
    ("methanol", "H2;H3;P5c"),
    ("", "H2;E1"),
    ("", "P5c;E2"),
    ("", "P2"),
    ("sodium_cyanide", "H1;E1"),
]
ZONE_HOLDING = st.tuples(
    st.sampled_from(["A", "B"]),
    st.sampled_from(ZONE_HOLDINGS),
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False),
    st.booleans(),  # indoor
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    base=st.lists(ZONE_HOLDING, min_size=1, max_size=5),
    grow=st.data(),
    factor=st.one_of(st.floats(min_value=1.0, max_value=1e4), st.just(1.0 + 1e-12), st.just(1.0)),
    weather=st.sampled_from(["worst", "alternative"]),
    terrain=st.sampled_from(["rural", "urban"]),
)
def test_consequence_distances_never_shrink_when_a_holding_grows(
    base, grow, factor, weather, terrain
):
    holdings = pd.DataFrame(
        [
            {"site_id": s, "substance_key": k, "categories": c, "quantity_t": q, "indoor": i}
            for s, (k, c), q, i in base
        ]
    )
    which = grow.draw(st.integers(min_value=0, max_value=len(base) - 1))
    grown = holdings.copy()
    grown.loc[which, "quantity_t"] = holdings.loc[which, "quantity_t"] * factor
    grown.loc[which, "quantity_t"] += 0.0 if factor > 1 else 1e-9  # grows even from 0 t
    kw = {"weather": weather, "terrain": terrain}
    old = zones.consequence_distances(holdings, **kw).set_index(["site_id", "hazard"])
    new = zones.consequence_distances(grown, **kw).set_index(["site_id", "hazard"])
    assert set(old.index) <= set(new.index)  # no zone disappears
    for key in old.index:
        assert new.at[key, "zone_km"] >= old.at[key, "zone_km"], key
        assert new.at[key, "undetermined"] >= old.at[key, "undetermined"], key


# ------------------------------------------------------------------------------------------
# River pathway: the downstream countries do not depend on the order of the reach rows
# ------------------------------------------------------------------------------------------
FOUR_COUNTRIES = gpd.GeoDataFrame(
    {"iso_a3": ["AAA", "BBB", "CCC", "DDD"]},
    geometry=[
        shapely.box(68, 40, 69, 41),
        shapely.box(69, 40, 70, 41),
        shapely.box(68, 41, 69, 42),
        shapely.box(69, 41, 70, 42),
    ],
    crs=4326,
)


def toy_hydrorivers(seed: int, n: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Random HydroRIVERS-schema tree over four countries, and sites on and off its nodes."""
    rng = np.random.default_rng(seed)
    parent = np.r_[-1, [rng.integers(0, i) for i in range(1, n)]].astype(int)
    head = rng.uniform([68.05, 40.05], [69.95, 41.95], (n, 2))  # upstream end of each reach
    mouth = np.array([70.3, 41.0])  # the outlet, east of the countries
    tail = np.where(parent[:, None] >= 0, head[np.maximum(parent, 0)], mouth)
    ids = rng.choice(np.arange(10_000, 99_999), n, replace=False)
    lines = shapely.linestrings(np.stack([head, tail], axis=1))
    network = gpd.GeoDataFrame(
        {
            "HYRIV_ID": ids,
            "NEXT_DOWN": np.where(parent >= 0, ids[np.maximum(parent, 0)], 0),
            "LENGTH_KM": shapely.length(lines) * 100.0,
            "UPLAND_SKM": rng.uniform(100.0, 10_000.0, n),
            "DIS_AV_CMS": rng.uniform(1.0, 300.0, n),
        },
        geometry=lines,
        crs=4326,
    )
    # half the sites exactly on a node (equally near every reach meeting there), half off it
    spots = np.vstack([head, head + rng.normal(0.0, 0.02, (n, 2))])
    sites = gpd.GeoDataFrame(
        {"site_id": [f"s{i}" for i in range(2 * n)], "water_mass_kg": 1e4},
        geometry=shapely.points(spots),
        crs=4326,
    )
    country = FOUR_COUNTRIES.sindex.query(sites.geometry, predicate="within")
    own = np.full(2 * n, "", dtype=object)
    own[country[0]] = FOUR_COUNTRIES["iso_a3"].to_numpy()[country[1]]
    sites["site_country"] = own
    return network, sites


def _water(network: gpd.GeoDataFrame, sites: gpd.GeoDataFrame):
    reaches = hazid.build_network(network, borders=FOUR_COUNTRIES)
    affected, paths = hazid.trace_water(sites, reaches, FOUR_COUNTRIES, snap_km=5.0)
    rows = {(r.site_id, r.affected): (r.river_km, r.arrival_h) for r in affected.itertuples()}
    countries = {r.site_id: set(filter(None, r.countries.split(";"))) for r in paths.itertuples()}
    return rows, countries


@settings(derandomize=True, max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), n=st.integers(2, 25), data=st.data())
def test_downstream_countries_do_not_depend_on_reach_order(seed, n, data):
    network, sites = toy_hydrorivers(seed, n)
    order = data.draw(st.permutations(range(n)))
    rows, countries = _water(network, sites)
    rows2, countries2 = _water(network.iloc[order].reset_index(drop=True), sites)
    assert set(rows2) == set(rows)
    assert countries2 == countries
    for key, (km, hours) in rows.items():
        assert rows2[key] == pytest.approx((km, hours), rel=1e-9, abs=1e-9, nan_ok=True), key


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=12),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(),
            st.booleans(),
        ),
        max_size=20,
    ),
    st.sampled_from(["object", "string[pyarrow]"]),
)
def test_map_texts_are_escaped_at_once_as_value_by_value(values, dtype):
    from hazid.maps.content import _esc, _esc_series

    s = pd.Series(values, dtype=object)
    if dtype != "object":
        s = pd.Series([v if v is None else str(v) for v in values], dtype=dtype)
    expected = [_esc(v) for v in s.tolist()]
    for at_once_from in (0, 10**9):  # string kernels, and value by value
        assert _esc_series(s, at_once_from=at_once_from).tolist() == expected
        assert _esc_series(s, at_once_from=at_once_from).index.equals(s.index)


@SETTINGS
@given(
    st.lists(
        st.one_of(st.none(), st.floats(), st.integers(-(10**12), 10**12), st.text(max_size=4)),
        max_size=20,
    )
)
def test_map_numbers_are_formatted_at_once_as_value_by_value(values):
    from hazid.maps.content import _fmt, _num_col

    df = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    expected = [_fmt(v) for v in pd.to_numeric(df["v"], errors="coerce").tolist()]
    assert _num_col(df, "v").tolist() == expected


@SETTINGS
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.sampled_from(["S1", "S2", "S3"])), st.text(max_size=3)),
        max_size=12,
    )
)
def test_rows_are_grouped_by_site_as_pandas_groups_them(rows):
    from hazid.maps.content import _joined_by_site
    from hazid.maps.rows import rows_by_site

    df = pd.DataFrame({"site_id": [r[0] for r in rows], "text": [r[1] for r in rows]}, dtype=object)
    joined = _joined_by_site(df["text"], df["site_id"])
    expected = df["text"].groupby(df["site_id"].to_numpy(), sort=False).agg("".join)
    assert joined.to_dict() == expected.to_dict()
    assert list(joined.index) == list(expected.index)
    where = rows_by_site(df)
    indices = df.groupby(df["site_id"].astype(str), sort=False).indices
    assert where.keys() == indices.keys()
    assert all(np.array_equal(where[k], indices[k]) for k in indices)
