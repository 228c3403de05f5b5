"""CLP Annex VI provenance of ``substances.csv`` and the categories it decides.

Hand-worked cases use the Convention thresholds of Annex I Part II
(``/work/shared/reference/annex1_part2.csv``): chlorine (item 10) 25 t, propylene oxide (21)
50 t, phosphine (29) 1 t, bis(2-dimethylaminoethyl)(methyl)amine (39) 200 t, tert-butyl
acrylate (43) 500 t. A named substance counts against its Part II threshold in every summation
group its Part I categories reach (Annex I note 4).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from hazid import tables
from hazid.annex import classify
from hazid.inventory import read_inventory

INDEX_NUMBER = re.compile(r"\b(\d{3})-(\d{3})-(\d{2})-([\dX])\b")


def index_check_digit_ok(index: str) -> bool:
    """Check digit of an Annex VI index number ABC-RST-VW-Y (weights 1-8, modulo 11, 10 = X)."""
    digits = [int(c) for c in index.replace("-", "")[:8]]
    rest = sum(w * d for w, d in enumerate(digits, start=1)) % 11
    return index[-1] == ("X" if rest == 10 else str(rest))


def holdings(rows):
    """One site's holdings: rows are (substance, quantity in tonnes)."""
    df = pd.DataFrame(
        [
            {"site_id": "A", "lon": "69.2", "lat": "41.3", "substance": s, "quantity": str(q)}
            for s, q in rows
        ]
    )
    df["category"] = ""
    return read_inventory(df)


def by_key() -> pd.DataFrame:
    return tables.substances().set_index("key")


@pytest.mark.parametrize(
    ("index", "ok"),
    [
        ("017-001-00-7", True),  # chlorine
        ("603-023-00-X", True),  # ethylene oxide: remainder 10 is written X
        ("082-002-00-1", True),  # lead alkyls
        ("082-002-00-5", False),  # the number formerly given for lead alkyls
        ("613-027-00-4", False),
    ],
)
def test_index_check_digit_hand_worked(index, ok):
    assert index_check_digit_ok(index) is ok


def test_every_annex_vi_index_number_in_source_is_well_formed():
    found = 0
    for key, source in by_key()["source"].items():
        for m in INDEX_NUMBER.finditer(source):
            found += 1
            assert index_check_digit_ok(m.group(0)), (key, m.group(0))
    assert found >= 40


def test_verified_rows_name_index_and_atp():
    src = by_key()["source"]
    expected = {
        "arsenic_pentoxide": ("033-004-00-6", "CLP00"),
        "ethyleneimine": ("613-001-00-1", "CLP00"),
        "ethylene_oxide": ("603-023-00-X", "ATP14"),
        "propylene_oxide": ("603-055-00-4", "ATP09"),
        "mboca": ("612-078-00-9", "CLP00"),
        "methyl_isocyanate": ("615-001-00-7", "ATP01"),
        "toluene_diisocyanate": ("615-006-00-4", "CLP00"),
        "arsine": ("033-006-00-7", "CLP00"),
        "phosphine": ("015-181-00-1", "ATP15"),
        "hydrazine": ("007-008-00-3", "CLP00"),
        "dimethyl_sulphate": ("016-023-00-4", "CLP00"),
        "piperidine": ("613-027-00-3", "CLP00"),
        "bis_dimethylaminoethyl_methylamine": ("612-109-00-6", "CLP00"),
        "tert_butyl_acrylate": ("607-245-00-8", "ATP01corr"),
        "dazomet": ("613-008-00-X", "CLP00"),
        "methyl_acrylate": ("607-034-00-0", "ATP21"),
        "mercury": ("080-001-00-0", "ATP01"),
        "boron_trifluoride": ("005-001-00-X", "CLP00"),  # EUH014 from R14 (ICSC 0231)
    }
    for key, (index, atp) in expected.items():
        assert index in src[key] and f"ATP column {atp}" in src[key], key
        assert "unverified" not in src[key], key
        assert "annex_vi_clp_table_atp22_en.xlsx" in src[key], key
    assert "082-002-00-1" in src["lead_alkyls"] and "unverified (reason:" in src["lead_alkyls"]
    # no Annex VI entry, self-classification read on the registrant's SDS
    assert "not listed in CLP Annex VI" in src["methylpyridine_3"]
    assert "unverified" not in src["methylpyridine_3"]


@pytest.mark.parametrize(
    ("key", "categories", "groups"),
    [
        ("propylene_oxide", "H2;P5a", "health;physical"),  # + Acute Tox. 3 H331 (ATP09)
        ("phosphine", "H1;P2;E1", "health;physical;environmental"),  # Acute Tox. 1 (ATP15)
        ("tert_butyl_acrylate", "P5c;E2", "physical;environmental"),  # Acute Tox. 4*, Chronic 2
        ("bis_dimethylaminoethyl_methylamine", "", ""),  # Acute Tox. 3* dermal, 4* oral only
    ],
)
def test_categories_follow_the_annex_vi_entry(key, categories, groups):
    row = by_key().loc[key]
    assert row["categories"] == categories
    assert row["groups"] == groups


def test_propylene_oxide_counts_in_the_health_sum():
    # 35/50 of item 21 in health (new) and physical, plus 10/25 of chlorine (item 10, H2;P4;E1).
    res = classify(holdings([("propylene oxide", 35), ("chlorine", 10)]))
    s = res.sites.iloc[0]
    assert s.health_ratio == pytest.approx(35 / 50 + 10 / 25)
    assert s.physical_ratio == pytest.approx(35 / 50 + 10 / 25)
    assert s.hazardous and "health sum 1.10 >= 1" in s.reasons
    alone = classify(holdings([("chlorine", 10)])).sites.iloc[0]
    assert alone.health_ratio == pytest.approx(10 / 25) and not alone.hazardous


def test_tert_butyl_acrylate_leaves_health_for_environment():
    res = classify(holdings([("tert-butyl acrylate", 250)]))
    s = res.sites.iloc[0]
    assert s.health_ratio == 0
    assert s.physical_ratio == pytest.approx(250 / 500)
    assert s.environmental_ratio == pytest.approx(250 / 500)
    assert not s.hazardous


def test_bis_dimethylaminoethyl_methylamine_counts_only_against_item_39():
    res = classify(holdings([("bis(2-dimethylaminoethyl)(methyl)amine", 150)]))
    h, s = res.holdings.iloc[0], res.sites.iloc[0]
    assert h.annex_entry == "II-39" and h.threshold_t == 200
    assert h.ratio == pytest.approx(150 / 200)
    assert s.health_ratio == 0 and s.physical_ratio == 0 and s.environmental_ratio == 0
    assert not s.hazardous


def test_phosphine_keeps_its_groups_with_h1():
    res = classify(holdings([("phosphine", 0.5)]))
    h, s = res.holdings.iloc[0], res.sites.iloc[0]
    assert h.categories == "H1;P2;E1" and h.threshold_t == 1
    assert s.health_ratio == s.physical_ratio == s.environmental_ratio == pytest.approx(0.5)
