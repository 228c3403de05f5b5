"""Annex I classification against hand-worked cases and the reference tables."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hazid import tables
from hazid.annex import classify, cluster_sites
from hazid.errors import ChoiceError
from hazid.inventory import read_inventory

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def inv(rows, **extra):
    """Holdings of one or more sites: rows are (site_id, substance, quantity[, category])."""
    recs = []
    for r in rows:
        site, sub, q, *rest = r
        rec = {"site_id": site, "lon": "69.2", "lat": "41.3", "substance": sub, "quantity": str(q)}
        rec["category"] = rest[0] if rest else ""
        recs.append(rec)
    df = pd.DataFrame(recs)
    for k, v in extra.items():
        df[k] = v
    return read_inventory(df)


def site(result, sid="A"):
    return result.sites.set_index("site_id").loc[sid]


def test_summation_health_chlorine_plus_ammonia():
    res = classify(inv([("A", "chlorine", 20), ("A", "ammonia", 150)]))
    s = site(res)
    assert s.hazardous
    assert s.health_ratio == pytest.approx(0.8 + 0.75)
    assert s.max_single_ratio == pytest.approx(0.8)
    assert "health sum 1.55 >= 1" in s.reasons


def test_named_substance_uses_part2_threshold_not_h2():
    res = classify(inv([("A", "methanol", 4000)]))
    s = site(res)
    assert not s.hazardous
    h = res.holdings.iloc[0]
    assert h.annex_entry == "II-22" and h.threshold_t == 5000 and h.ratio == pytest.approx(0.8)
    assert s.health_ratio == pytest.approx(0.8)  # methanol counts in health with 5000 t


def test_o_categories_never_summed():
    res = classify(inv([("A", "reactive", 300, "O1"), ("A", "very toxic", 12, "H1")]))
    s = site(res)
    assert not s.hazardous
    assert s.health_ratio == pytest.approx(0.6)
    assert s.physical_ratio == 0 and s.environmental_ratio == 0
    assert s.max_single_ratio == pytest.approx(0.6)


def test_lowest_part1_threshold_applies():
    res = classify(inv([("A", "x", 60, "P5c;H2;E1")]))
    h = res.holdings.iloc[0]
    assert h.annex_entry == "I-H2" and h.threshold_t == 200  # H2 200 = E1 200 < P5c 50000
    res = classify(inv([("A", "x", 60, "P5a;H2")]))
    assert res.holdings.iloc[0].annex_entry == "I-P5a"
    assert site(res).hazardous  # 60 >= 50


def test_single_substance_reason_text():
    res = classify(inv([("A", "Chlorine", 30)]))
    assert site(res).reasons == "Chlorine 30 t >= 25 t (Part II item 10)"


def test_same_substance_in_two_rows_added():
    res = classify(inv([("A", "chlorine", 10), ("A", "chlorine", 20)]))  # not a pasted row
    assert site(res).max_single_ratio == pytest.approx(1.2)
    assert site(res).hazardous


def test_group_threshold_per_group_for_unnamed():
    # E1 200 t and H2 200 t: 150 t -> 0.75 in health and environmental, not physical
    res = classify(inv([("A", "x", 150, "H2;E1"), ("A", "y", 60, "E2")]))
    s = site(res)
    assert s.health_ratio == pytest.approx(0.75)
    assert s.environmental_ratio == pytest.approx(0.75 + 60 / 500)
    assert not s.hazardous


def test_physical_and_environmental_sums():
    res = classify(inv([("A", "propane", 120), ("A", "hydrogen", 25)]))  # 0.6 + 0.5
    assert site(res).physical_ratio == pytest.approx(1.1) and site(res).hazardous
    res = classify(inv([("A", "x", 150, "E1"), ("A", "y", 130, "E2")]))  # 0.75 + 0.26
    assert site(res).environmental_ratio == pytest.approx(1.01) and site(res).hazardous


def test_exact_one_is_hazardous_with_float_sum():
    res = classify(inv([("A", "x", 160, "H2"), ("A", "y", 40, "H2")]))  # 0.8 + 0.2
    assert site(res).hazardous


def test_named_substance_groups_from_table_and_override():
    res = classify(inv([("A", "chlorine", 10)]))
    assert res.holdings.iloc[0].groups == "health;physical;environmental"
    assert site(res).physical_ratio == pytest.approx(0.4)
    res = classify(inv([("A", "chlorine", 10)], groups=["health"]))
    assert site(res).physical_ratio == 0 and site(res).health_ratio == pytest.approx(0.4)


def test_two_percent_rule_only_with_flag():
    rows = [("A", "x", 196, "H2"), ("A", "y", 4, "H2")]  # 0.98 + 0.02
    assert site(classify(inv(rows))).hazardous
    res = classify(inv(rows, isolated_small=["false", "true"]))
    s = site(res)
    assert not s.hazardous and s.health_ratio == pytest.approx(0.98)
    assert "isolated small quantities: y" in s.reasons
    assert res.holdings["in_sum"].tolist() == [True, False]
    # above 2 % the flag does not remove it
    res = classify(inv([("A", "x", 190, "H2"), ("A", "y", 10, "H2")], isolated_small=["", "true"]))
    assert site(res).hazardous


@pytest.mark.parametrize(
    ("regime", "threshold", "hazardous"),
    [("convention", 25, False), ("seveso-upper", 25, False), ("seveso-lower", 10, True)],
)
def test_regimes(regime, threshold, hazardous):
    res = classify(inv([("A", "chlorine", 20)]), regime=regime)
    assert res.holdings.iloc[0].threshold_t == threshold
    assert bool(site(res).hazardous) == hazardous
    assert site(res).regime == regime and site(res).annex_version == "convention-2015"


def test_bad_regime_and_version():
    with pytest.raises(ChoiceError, match="regime must be one of 'convention'"):
        classify(inv([("A", "chlorine", 1)]), regime="eu")
    with pytest.raises(ChoiceError, match="annex_version must be one of"):
        classify(inv([("A", "chlorine", 1)]), annex_version="convention-1992")


def test_sites_sorted_and_output_columns():
    res = classify(inv([("B", "chlorine", 1), ("A", "chlorine", 1), ("C", "x", 1, "H1")]))
    assert res.sites["site_id"].tolist() == ["A", "B", "C"]
    assert res.sites.crs.to_epsg() == 4326
    for col in ("site_id", "substance", "cas", "annex_entry", "threshold_t", "quantity_t", "ratio"):
        assert col in res.holdings.columns


def test_cluster_classified_as_a_whole():
    df = pd.DataFrame(
        {
            "site_id": ["A", "B", "C"],
            "lon": ["69.0", "69.005", "70.0"],
            "lat": ["41.0", "41.0", "41.0"],
            "substance": ["chlorine", "chlorine", "chlorine"],
            "quantity": ["15", "15", "15"],
        }
    )
    holdings = read_inventory(df)
    assert not classify(holdings).sites["hazardous"].any()
    res = classify(holdings, cluster_km=1.0)
    s = res.sites.set_index("site_id")
    assert s.loc["A", "cluster_id"] == s.loc["B", "cluster_id"] == "C001"
    assert s.loc["C", "cluster_id"] == ""
    assert s.loc["A", "hazardous"] and s.loc["B", "hazardous"] and not s.loc["C", "hazardous"]
    assert "cluster C001 (A, B) is hazardous as a whole" in s.loc["A", "reasons"]


def test_cluster_distance_is_geodesic():
    # 0.01 degree of longitude at 60 N is about 557 m
    s = pd.DataFrame({"site_id": ["a", "b"], "lon": [10.0, 10.01], "lat": [60.0, 60.0]})
    assert cluster_sites(s, 0.6).tolist() == ["C001", "C001"]
    assert cluster_sites(s, 0.5).tolist() == ["", ""]
    with pytest.raises(ValueError, match="cluster_km must be positive"):
        cluster_sites(s, 0)


def test_package_tables_match_reference():
    p1, p2 = tables.annex_part1(), tables.annex_part2()
    assert (p1["convention_t"] == p1["seveso_upper_t"]).all()
    assert (p2["convention_t"] == p2["seveso_upper_t"]).all()
    assert len(p1) == 21 and p2["item"].tolist() == list(range(1, 49))
    if REFERENCE.is_dir():
        ref1 = pd.read_csv(REFERENCE / "annex1_part1.csv")
        ref2 = pd.read_csv(REFERENCE / "annex1_part2.csv")
        assert ref1["convention_t"].tolist() == p1["convention_t"].tolist()
        assert ref2["seveso_lower_t"].tolist() == p2["seveso_lower_t"].tolist()


def test_substance_tables_consistent():
    subs, syn = tables.substances(), tables.synonyms()
    codes = set(tables.annex_part1()["code"])
    assert set(syn["key"]) <= set(subs["key"])
    for cats in subs["categories"]:
        assert {c for c in cats.split(";") if c} <= codes
    named = set(pd.to_numeric(subs["part2_item"], errors="coerce").dropna().astype(int))
    named |= set(tables.grades()["part2_item"].astype(int))
    assert named == set(range(1, 49))


def test_hydrogen_cyanide_is_h2_and_p5a_not_h1():
    # CLP Annex VI 006-006-00-X: Acute Tox. 2* H330 (no dermal Cat. 1), Flam. Liq. 1, Aquatic 1.
    # Thresholds (part1.csv, Convention): H2 200 t, P5a 50 t, E1 200 t; H1 would be 20 t.
    res = classify(inv([("A", "hydrogen cyanide", 25)]))
    h = res.holdings.iloc[0]
    assert h.categories == "H2;P5a;E1"
    assert h.annex_entry == "I-P5a" and h.threshold_t == 50
    s = site(res)
    assert not s.hazardous
    assert s.health_ratio == pytest.approx(25 / 200)
    assert s.physical_ratio == pytest.approx(25 / 50)
    assert site(classify(inv([("A", "hcn", 50)]))).hazardous


@pytest.mark.parametrize(
    ("grade", "quantity", "categories", "hazardous", "health"),
    [
        ("", 150, "H1;P8", True, 150 / 20),  # no grade: the stricter (> 70 %) entry
        ("> 70 %", 150, "H1;P8", True, 150 / 20),  # 007-004-00-1, Acute Tox. 1 -> H1 20 t
        ("Fuming", 19, "H1;P8", False, 19 / 20),
        ("65-70 %", 150, "H2;P8", False, 150 / 200),  # 007-030-00-3, Acute Tox. 3 -> H2 200 t
        ("65 - 70 %", 200, "H2;P8", True, 1.0),
    ],
)
def test_nitric_acid_grades(grade, quantity, categories, hazardous, health):
    res = classify(inv([("A", "nitric acid", quantity)], grade=grade))
    h = res.holdings.iloc[0]
    assert h.categories == categories
    s = site(res)
    assert bool(s.hazardous) is hazardous
    assert s.health_ratio == pytest.approx(health)
    assert s.physical_ratio == pytest.approx(quantity / 200)  # P8, Ox. Liq. 2/3


def test_nitric_acid_grade_does_not_override_given_category():
    res = classify(inv([("A", "nitric acid", 150, "P8")], grade="> 70 %"))
    assert res.holdings.iloc[0].categories == "P8" and not site(res).hazardous


def test_no_substance_row_unverified_without_reason():
    subs = tables.substances()
    for key, source in zip(subs["key"], subs["source"], strict=True):
        assert source.strip(), key
        if "unverified" in source:
            assert re.search(r"unverified \(reason: .{10,}\)", source), key
    by_key = subs.set_index("key")["source"]
    assert "006-006-00-X" in by_key["hydrogen_cyanide"]
    assert "007-004-00-1" in by_key["nitric_acid"] and "007-030-00-3" in by_key["nitric_acid"]
    assert "2020/1182" in by_key["nitric_acid"]


def test_category_grades_are_separate_from_part2_grades():
    assert "nitric_acid" not in set(tables.grades()["key"])
    cg = tables.category_grades()
    assert set(cg["key"]) == {"nitric_acid"}
    codes = set(tables.annex_part1()["code"])
    for cats in cg["categories"]:
        assert set(cats.split(";")) <= codes
