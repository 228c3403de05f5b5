"""Tests of hazid.notify and hazid.maps.static on a hand-built three-country case.

Countries are squares in EPSG:4326: KAZ 65-70E x 42-45N, UZB 65-70E x 40-42N (south of KAZ),
KGZ 70-75E x 40-45N (east of both).

- Site A (KAZ, 68.0E 42.1N, about 11.1 km north of UZB) holds 50 t chlorine: toxic zone 23 km
  reaches UZB (margin 11.9 km) and a river trace runs due south into UZB.
- Site D (KAZ, 69.97E 43.0N, about 2.4 km west of KGZ): toxic zone 4 km, margin 1.6 km, inside
  the 5 km uncertainty band -> consult.
- Site B (KAZ) is hazardous but far from every border (domestic only).
- Site C (KAZ, 1.1 km from UZB) is not hazardous; an air row even reaches UZB, yet it is never
  notified.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import geopandas as gpd
import jsonschema
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.image import imread
from shapely.geometry import LineString, Point, box

from hazid.errors import (
    ChoiceError,
    CRSError,
    DataSourceError,
    GeodataError,
    InventoryError,
    OutputError,
)
from hazid.maps.static import _legend_loc, local_crs, static_map
from hazid.notify import (
    NOT_PROVIDED,
    determine,
    not_notified,
    notification_schema,
    read_contacts,
)
from hazid.notify.activity import (
    _CountryWindows,
    _intersection_area_km2,
    _intersection_length_km,
)
from hazid.notify.decide import _assess
from hazid.notify.dossier import prepare_dossiers
from hazid.notify.method import _site_values
from hazid.output import dossiers
from hazid.output.dossiers import regenerate, write_notifications
from hazid.output.results import write_csv

DATE = "2025-03-14"
MAP_SIZE = (800, 600)


def circle(lon: float, lat: float, km: float):
    g = gpd.GeoSeries([Point(0, 0).buffer(km * 1000, 128)], crs=local_crs(lon, lat))
    return g.to_crs(4326).iloc[0]


def make_case() -> dict:
    borders = gpd.GeoDataFrame(
        {
            "iso_a3": ["KAZ", "UZB", "KGZ"],
            "name": ["Kazakhstan", "Uzbekistan", "Kyrgyzstan"],
        },
        geometry=[box(65, 42, 70, 45), box(65, 40, 70, 42), box(70, 40, 75, 45)],
        crs="EPSG:4326",
    )
    sites = pd.DataFrame(
        {
            "site_id": ["A", "B", "C", "D"],
            "site_name": ["Shymkent Chlor", "Inland Gas", "Border Bakery", "Taraz Water"],
            "operator": ["ChemCo", "GasCo", "BreadCo", ""],
            "country": ["KAZ", "KAZ", "KAZ", "KAZ"],
            "lon": [68.0, 66.5, 69.0, 69.97],
            "lat": [42.1, 44.0, 42.01, 43.0],
            "address": ["1 Industrial Rd, Shymkent", "", "", ""],
            "activity_type": ["chlor-alkali plant", "", "bakery", ""],
            "hazardous": [True, True, False, True],
            "health_ratio": [2.0, 0.0, 0.0, 1.2],
            "physical_ratio": [2.5, 3.0, 0.0, 1.2],
            "environmental_ratio": [2.0, 0.0, 0.0, 1.2],
            "max_single_ratio": [2.0, 3.0, 0.0, 1.2],
            "reasons": [
                "Chlorine 50 t >= 25 t (II-10)",
                "LPG 600 t >= 200 t (II-18)",
                "",
                "Chlorine 30 t >= 25 t (II-10)",
            ],
            "regime": ["convention"] * 4,
            "annex_version": ["convention-2015"] * 4,
            "site_country": ["KAZ", "KAZ", "KAZ", "KAZ"],
            "border_km": [11.12, 220.0, 1.11, 2.44],
            "nearest_foreign": ["UZB", "UZB", "UZB", "KGZ"],
        }
    )
    sites = gpd.GeoDataFrame(
        sites, geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326"
    )
    holdings = pd.DataFrame(
        {
            "site_id": ["A", "A", "B", "C", "D"],
            "substance": ["Chlorine", "LPG", "LPG", "Flour", "Chlorine"],
            "substance_key": ["chlorine", "lpg", "lpg", "", "chlorine"],
            "cas": ["7782-50-5", "", "", "", "7782-50-5"],
            "categories": ["H2;P4;E1", "P2", "P2", "", "H2;P4;E1"],
            "groups": [
                "health;physical;environmental",
                "physical",
                "physical",
                "",
                "health;physical;environmental",
            ],
            "annex_entry": ["II-10", "II-18", "II-18", "", "II-10"],
            "threshold_t": [25.0, 200.0, 200.0, np.nan, 25.0],
            "quantity_t": [50.0, 100.0, 600.0, 20.0, 30.0],
            "ratio": [2.0, 0.5, 3.0, np.nan, 1.2],
        }
    )
    affected = pd.DataFrame(
        {
            "site_id": ["A", "A", "A", "C", "D"],
            "affected": ["UZB", "UZB", "UZB", "UZB", "KGZ"],
            "pathway": ["air", "air", "water", "air", "air"],
            "hazard": ["toxic", "explosion", "", "fire", "toxic"],
            "zone_km": [23.0, 0.6, np.nan, 1.5, 4.0],
            "border_km": [11.12, 11.12, np.nan, 1.11, 2.44],
            "margin_km": [11.88, -10.52, np.nan, 0.39, 1.56],
            "uncertain": [False, False, np.nan, False, False],
            "river": ["", "", "Syr Darya", "", ""],
            "river_km": [np.nan, np.nan, 212.0, np.nan, np.nan],
            "arrival_h": [np.nan, np.nan, 31.2, np.nan, np.nan],
            "peak_h": [np.nan, np.nan, 35.0, np.nan, np.nan],
            "peak_mg_l": [np.nan, np.nan, 0.8, np.nan, np.nan],
            "snap_km": [np.nan, np.nan, 0.4, np.nan, np.nan],
        }
    )
    zones = gpd.GeoDataFrame(
        {
            "site_id": ["A", "A", "D"],
            "hazard": ["toxic", "explosion", "toxic"],
            "substance_key": ["chlorine", "lpg", "chlorine"],
            "zone_km": [23.0, 0.6, 4.0],
            "model": ["gaussian", "tnt", "gaussian"],
            "capped": [False, False, False],
            "default_used": [False, False, False],
            "note": ["", "", ""],
        },
        geometry=[circle(68.0, 42.1, 23.0), circle(68.0, 42.1, 0.6), circle(69.97, 43.0, 4.0)],
        crs="EPSG:4326",
    )
    river_paths = gpd.GeoDataFrame(
        {"site_id": ["A"], "countries": ["KAZ;UZB"], "river": ["Syr Darya"], "length_km": [122.1]},
        geometry=[LineString([(68.0, 42.1), (68.0, 41.0)])],
        crs="EPSG:4326",
    )
    run = {
        "date": DATE,
        "regime": "convention",
        "annex_version": "convention-2015",
        "borders": "toy squares (test)",
        "rivers": "toy line (test)",
        "uncertainty_km": 5.0,
        "zones": {"cap_km": 40, "weather": "F 1.5 m/s"},
        "limitations": ["Toy geometries only."],
    }
    return {
        "sites": sites,
        "holdings": holdings,
        "affected": affected,
        "zones": zones,
        "river_paths": river_paths,
        "borders": borders,
        "run": run,
    }


CONTACTS_CSV = (
    "Country,Competent_Authority,Focal_Point,IAN_Contact,EMAIL,notes\n"
    "KAZ,Ministry of Emergency Situations,Industrial Safety Committee,IAN desk Astana,"
    "ian@example.kz,ignored\n"
)


@pytest.fixture(scope="module")
def case() -> dict:
    return make_case()


@pytest.fixture(scope="module")
def written(case, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("run1")
    contacts = out / "contacts.csv"
    contacts.write_text(CONTACTS_CSV, encoding="utf-8")
    summary = write_notifications(
        out,
        case["sites"],
        case["holdings"],
        case["affected"],
        zones=case["zones"],
        river_paths=case["river_paths"],
        borders=case["borders"],
        contacts=contacts,
        run=case["run"],
        map_size_px=MAP_SIZE,
        map_dpi=100,
    )
    return {"dir": out / "notifications", "summary": summary, "contacts": contacts}


# ------------------------------------------------------------------------------- determine


def test_determine_statuses(case):
    d = determine(case["sites"], case["affected"])
    assert d[["site_id", "origin", "affected", "status", "pathways"]].values.tolist() == [
        ["D", "KAZ", "KGZ", "consult", "air"],
        ["A", "KAZ", "UZB", "notify", "air;water"],
    ]
    a = d.loc[d["site_id"] == "A"].iloc[0]
    assert a["evidence"] == (
        "air: toxic zone 23.0 km reaches UZB 11.1 km away (margin 11.9 km); "
        "air: explosion zone 0.6 km stops 10.5 km short of UZB 11.1 km away (margin -10.5 km); "
        "water: Syr Darya, 212 km, arrival 31 h, peak 0.8 mg/L"
    )
    # the explosion row (status none) does not count for the smallest margin
    assert a["margin_km"] == pytest.approx(11.88)
    assert a["arrival_h"] == pytest.approx(31.2)
    dd = d.loc[d["site_id"] == "D"].iloc[0]
    assert dd["evidence"] == (
        "air: toxic zone 4.0 km reaches KGZ 2.4 km away (margin 1.6 km, within the 5.0 km "
        "uncertainty)"
    )
    assert "C" not in set(d["site_id"]) and "B" not in set(d["site_id"])


def test_determine_uncertainty_band_can_be_disabled(case):
    d = determine(case["sites"], case["affected"], uncertainty_km=0.0)
    assert d.set_index("site_id").loc["D", "status"] == "notify"


def _one(rows: dict, **extra) -> pd.DataFrame:
    base = {"site_id": "S", "affected": "UZB"}
    return pd.DataFrame([{**base, **r} for r in rows], **extra)


SITE = pd.DataFrame({"site_id": ["S"], "site_country": ["KAZ"], "hazardous": [True]})


@pytest.mark.parametrize(
    ("row", "status"),
    [
        ({"pathway": "air", "margin_km": 6.0, "uncertain": False}, "notify"),
        ({"pathway": "air", "margin_km": 6.0, "uncertain": True}, "consult"),
        ({"pathway": "air", "margin_km": 6.0, "uncertain": "True"}, "consult"),
        ({"pathway": "air", "margin_km": -4.9, "uncertain": False}, "consult"),
        ({"pathway": "air", "margin_km": -5.0, "uncertain": False}, "none"),
        ({"pathway": "air", "margin_km": np.nan, "uncertain": False}, "consult"),
        ({"pathway": "water", "arrival_h": 10.0, "peak_mg_l": np.nan}, "notify"),
        ({"pathway": "water", "arrival_h": np.nan, "peak_mg_l": 1.0}, "consult"),
    ],
)
def test_row_rules(row, status):
    assert determine(SITE, _one([row])).loc[0, "status"] == status


@pytest.mark.parametrize(
    ("row", "status", "suffix"),
    [
        ({"arrival_h": 50.0, "peak_mg_l": 5.0}, "none", " (beyond the 48 h horizon)"),
        ({"arrival_h": 20.0, "peak_mg_l": 0.05}, "none", " (below the 0.1 mg/L threshold)"),
        ({"arrival_h": 20.0, "peak_mg_l": 0.1}, "notify", ""),
        (
            {"arrival_h": 20.0, "peak_mg_l": np.nan},
            "consult",
            " (the 0.1 mg/L threshold could not be tested)",
        ),
    ],
)
def test_water_horizon_and_threshold(row, status, suffix):
    aff = _one([{"pathway": "water", "river": "Chu", "river_km": 8.25, **row}])
    d = determine(SITE, aff, horizon_h=48, threshold_mg_l=0.1)
    assert d.loc[0, "status"] == status
    assert d.loc[0, "evidence"].endswith(suffix)
    assert d.loc[0, "evidence"].startswith("water: Chu, 8.2 km, arrival ")


def test_pair_takes_strongest_status_and_ignores_domestic_rows():
    aff = _one(
        [
            {"pathway": "air", "hazard": "fire", "margin_km": -20.0},
            {"pathway": "air", "hazard": "toxic", "margin_km": 2.0},
            {"pathway": "air", "hazard": "toxic", "margin_km": 9.0, "affected": "KAZ"},
        ]
    )
    d = determine(SITE, aff)
    assert d[["affected", "status", "pathways"]].values.tolist() == [["UZB", "consult", "air"]]
    assert d.loc[0, "margin_km"] == 2.0


def test_origin_falls_back_to_inventory_country_then_unk():
    sites = pd.DataFrame(
        {
            "site_id": ["S", "T"],
            "country": ["kaz", ""],
            "site_country": ["", np.nan],
            "hazardous": [1, "yes"],
        }
    )
    aff = pd.DataFrame(
        {
            "site_id": ["S", "T"],
            "affected": ["uzb", "UZB"],
            "pathway": ["AIR", "air"],
            "margin_km": [9.0, 9.0],
        }
    )
    assert determine(sites, aff)[["origin", "affected"]].values.tolist() == [
        ["KAZ", "UZB"],
        ["UNK", "UZB"],
    ]


def test_not_notified_lists_non_hazardous_and_domestic(case):
    d = determine(case["sites"], case["affected"])
    nn = not_notified(case["sites"], d)
    assert nn[["site_id", "hazardous", "reason"]].values.tolist() == [
        ["B", True, "hazardous activity; no effect found to reach another Party"],
        ["C", False, "not a hazardous activity under Annex I"],
    ]
    assert nn.set_index("site_id").loc["C", "border_km"] == pytest.approx(1.11)


def test_a_site_without_any_consequence_model_is_not_assessed_not_safe(case):
    d = determine(case["sites"], case["affected"])
    nn = not_notified(case["sites"], d, unmodelled=["B", "C"]).set_index("site_id")
    assert nn.loc["B", "reason"].startswith("hazardous activity; effects not assessed: no air")
    assert nn.loc["C", "reason"] == "not a hazardous activity under Annex I"
    # through the dossiers: a hazardous site with no zone and no mass released to water
    sites = case["sites"].assign(water_mass_kg=0.0)
    ds = prepare_dossiers(sites, case["holdings"], case["affected"], zones=case["zones"])
    assert "B" not in set(case["zones"]["site_id"])
    assert "effects not assessed" in ds.not_notified.set_index("site_id").loc["B", "reason"]


def test_site_given_twice_is_read_from_its_last_row():
    sites = pd.DataFrame(
        {
            "site_id": [" S", "T", "S "],
            "site_name": ["first", "other", "last"],
            "site_country": ["KAZ", "KAZ", "KGZ"],
            "hazardous": [False, True, True],
        }
    )
    rows = _assess(sites, _one([{"pathway": "air", "margin_km": 6.0}]), uncertainty_km=5.0,
                   horizon_h=None, threshold_mg_l=None)  # fmt: skip
    assert rows[["site_id", "site_name", "origin", "hazardous"]].values.tolist() == [
        ["S", "last", "KGZ", True]
    ]
    assert rows["origin"].dtype == object and rows["hazardous"].dtype == bool


def test_determine_errors():
    with pytest.raises(InventoryError, match="missing required column 'pathway'"):
        determine(SITE, pd.DataFrame({"site_id": ["S"], "affected": ["UZB"]}))
    with pytest.raises(InventoryError, match="site_id is not in the sites table"):
        determine(SITE, pd.DataFrame({"site_id": ["X"], "affected": ["UZB"], "pathway": ["air"]}))
    allowed = "'air', 'water', 'tailings'"
    with pytest.raises(ChoiceError, match=f"pathway must be one of {allowed}; got 'soil'"):
        determine(SITE, _one([{"pathway": "soil"}]))
    with pytest.raises(InventoryError, match="missing required column 'hazardous'"):
        determine(SITE.drop(columns="hazardous"), _one([{"pathway": "air"}]))


# -------------------------------------------------------------------------------- contacts


def test_read_contacts_case_insensitive(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(CONTACTS_CSV + "uzb,,,,\n", encoding="utf-8")
    c = read_contacts(p)
    assert c["country"].tolist() == ["KAZ", "UZB"]
    assert c.loc[0, "ian_contact"] == "IAN desk Astana"
    assert c.loc[1].tolist()[1:] == ["", "", "", "", ""]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("nation,email\nKAZ,a@b.kz\n", "missing required column 'country'"),
        ("country,email\nKazakhstan,a@b.kz\n", "row 1, country: country must be an ISO 3166"),
        ("country\nKAZ\nKAZ\n", "row 2, country: country listed twice"),
        ("country,email\nKAZ,astana ministry\n", "email: not an e-mail address"),
        ("", "cannot read as a UTF-8 CSV file"),
    ],
)
def test_read_contacts_errors(tmp_path, text, match):
    p = tmp_path / "c.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InventoryError, match=match):
        read_contacts(p)


def test_read_contacts_bad_bytes_and_missing(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes(b"country\n\xff\xfeKAZ\n")
    with pytest.raises(InventoryError, match="cannot read as a UTF-8 CSV file"):
        read_contacts(p)
    with pytest.raises(DataSourceError, match="contacts file not found"):
        read_contacts(tmp_path / "nope.csv")


# --------------------------------------------------------------------------------- outputs


def test_summary_and_matrix(written):
    d = written["dir"]
    assert (d / "summary.csv").read_text(encoding="utf-8-sig") == (
        "origin,affected,status,n_activities,n_notify,n_consult,n_screened,pathways,"
        "margin_km,arrival_h,dossier,voluntary\n"
        "KAZ,KGZ,consult,1,0,1,1,air,1.56,,KAZ-KGZ,true\n"
        "KAZ,UZB,notify,1,1,0,1,air;water,11.88,31.2,KAZ-UZB,true\n"
    )  # floats at full precision, as in every CSV of a results folder
    assert (d / "matrix.csv").read_text(encoding="utf-8-sig") == (
        "origin,KAZ,KGZ,UZB\nKAZ,0,1,1\nKGZ,0,0,0\nUZB,0,0,0\n"
    )
    nn = pd.read_csv(d / "not_notified.csv", dtype=str, keep_default_na=False)
    assert nn[["site_id", "hazardous", "reason"]].values.tolist() == [
        ["B", "true", "hazardous activity; no effect found to reach another Party"],
        ["C", "false", "not a hazardous activity under Annex I"],
    ]
    assert sorted(p.name for p in d.iterdir()) == [
        "KAZ-KGZ.html",
        "KAZ-KGZ.json",
        "KAZ-KGZ.md",
        "KAZ-KGZ_D-3f39d5c3.png",
        "KAZ-UZB.html",
        "KAZ-UZB.json",
        "KAZ-UZB.md",
        "KAZ-UZB_A-559aead0.png",
        "activities.csv",
        "matrix.csv",
        "not_notified.csv",
        "summary.csv",
    ]


def test_json_dossier_valid_and_complete(written):
    schema = notification_schema()
    docs = {}
    for stem in ("KAZ-UZB", "KAZ-KGZ"):
        doc = json.loads((written["dir"] / f"{stem}.json").read_text(encoding="utf-8"))
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
        docs[stem] = doc
    doc = docs["KAZ-UZB"]
    assert doc["status"] == "notify" and doc["date"] == DATE
    assert doc["party_of_origin"] == {
        "iso_a3": "KAZ",
        "name": "Kazakhstan",
        "competent_authority": "Ministry of Emergency Situations",
        "focal_point": "Industrial Safety Committee",
        "ian_contact": "IAN desk Astana",
        "email": "ian@example.kz",
        "convention_party": True,
        "party_since": "2001-04-11",
    }
    assert doc["affected_party"]["email"] is None  # never invented
    (act,) = doc["activities"]
    assert act["site_id"] == "A" and act["operator"] == "ChemCo"
    assert (act["lon"], act["lat"]) == (68.0, 42.1)
    assert act["address"] == "1 Industrial Rd, Shymkent"
    assert act["type"] == "chlor-alkali plant"
    assert act["reasons"] == "Chlorine 50 t >= 25 t (II-10)"
    assert [s["substance"] for s in act["substances"]] == ["Chlorine", "LPG"]
    assert act["substances"][0] | {} == {
        "substance": "Chlorine",
        "substance_key": "chlorine",
        "cas": "7782-50-5",
        "annex_entry": "II-10",
        "categories": "H2;P4;E1",
        "groups": "health;physical;environmental",
        "quantity_t": 50.0,
        "threshold_t": 25.0,
        "ratio": 2.0,
    }
    toxic = next(e for e in act["air"] if e["hazard"] == "toxic")
    assert toxic["margin_km"] == 11.88 and toxic["status"] == "notify"
    # circular segment of a 23 km zone whose centre is 11.12 km from the border:
    # r^2 acos(d/r) - d sqrt(r^2 - d^2) = 340 km2 (hand-worked)
    r, dd = 23.0, 11.12
    seg = r**2 * np.arccos(dd / r) - dd * np.sqrt(r**2 - dd**2)
    assert toxic["area_in_affected_km2"] == pytest.approx(seg, rel=0.01)
    explosion = next(e for e in act["air"] if e["hazard"] == "explosion")
    assert explosion["area_in_affected_km2"] == 0.0 and explosion["status"] == "none"
    (water,) = act["water"]
    assert water["river"] == "Syr Darya" and water["arrival_h"] == 31.2
    assert water["peak_mg_l"] == 0.8
    # one degree of meridian at 41.5 N is 111.05 km
    assert water["river_km_in_affected"] == pytest.approx(111.05, abs=0.2)
    assert act["map"] == "KAZ-UZB_A-559aead0.png"
    assert doc["method"]["regime"] == "convention"
    assert doc["data_sources"] == {"borders": "toy squares (test)", "rivers": "toy line (test)"}
    assert doc["run_parameters"] == {
        "annex_version": "convention-2015",
        "regime": "convention",
        "uncertainty_km": "5",
        "zones.cap_km": "40",
        "zones.weather": "F 1.5 m/s",
    }
    assert doc["limitations"][0].startswith("Dense gases (chlorine, ammonia) are treated")
    assert doc["limitations"][-1] == "Toy geometries only."
    assert docs["KAZ-KGZ"]["status"] == "consult"
    assert docs["KAZ-KGZ"]["activities"][0]["air"][0]["uncertain"] is True


def test_schema_rejects_missing_field(written):
    doc = json.loads((written["dir"] / "KAZ-UZB.json").read_text(encoding="utf-8"))
    del doc["activities"][0]["substances"][0]["annex_entry"]
    with pytest.raises(jsonschema.ValidationError, match="'annex_entry' is a required property"):
        jsonschema.validate(doc, notification_schema(), cls=jsonschema.Draft202012Validator)


def test_markdown_dossier_content(written):
    md = (written["dir"] / "KAZ-UZB.md").read_text(encoding="utf-8")
    for line in (
        "# Notification of hazardous activities: Kazakhstan to Uzbekistan",
        "Prepared on the basis of Annex III of the Convention on the Transboundary Effects of "
        "Industrial Accidents (Helsinki, 1992).",
        "- **Party of origin:** Kazakhstan (KAZ), Party to the Convention since 11 April 2001",
        "- **Affected Party:** Uzbekistan (UZB), not a Party to the Convention",
        "- **Status:** notify \u2013 effects of at least one activity can reach the affected Party",
        "- **Date:** 14 March 2025",
        "- **Time for a reply (Annex III, paragraph 3(b)):** 60 days, by 13 May 2025",
        "this notification is a voluntary exchange of information",
        "Prepared with hazid ",
        "| Competent authority | Ministry of Emergency Situations | not provided |",
        "| IAN System contact | IAN desk Astana | not provided |",
        "| A | Shymkent Chlor | ChemCo | notify | air; water | 11.9 | 31 |",
        "## Activity 1: Shymkent Chlor (A)",
        "- **Location:** 42.10000\u00b0 N, 68.00000\u00b0 E (WGS 84)",
        "- **Address:** 1 Industrial Rd, Shymkent",
        "- **Type of activity:** chlor-alkali plant",
        "- **Why hazardous:** Chlorine 50 t \\>= 25 t (II-10)",
        "- **Annex I regime / version:** Convention (Annex I) / convention-2015",
        "- **Ratios (health / physical / environmental / largest single):** "
        "2.00 / 2.50 / 2.00 / 2.00",
        "| Chlorine | 7782-50-5 | II-10 | H2;P4;E1 | 50 | 25 | 2.00 |",
        "| LPG |  | II-18 | P2 | 100 | 200 | 0.50 |",
        "| toxic | Chlorine | 23.0 | 11.1 | 11.9 | yes | 341.8 | not assessed | notify |",
        "| explosion | LPG | 0.6 | 11.1 | -10.5 | no | 0.0 | not assessed | none |",
        "| Syr Darya | 212 | 31 | 35 | 0.8 | 111.1 | notify |",
        "- air: toxic zone 23.0 km reaches UZB 11.1 km away (margin 11.9 km)",
        "- water: Syr Darya, 212 km, arrival 31 h, peak 0.8 mg/L",
        "![Map of Shymkent Chlor (A)](KAZ-UZB_A-559aead0.png)",
        "- **Borders:** toy squares (test)",
        "| Position uncertainty of zones and borders (km) | 5 |",
        "- Toy geometries only.",
    ):
        assert line in md, line
    assert "zones.cap_km" not in md  # internal keys stay in the JSON
    assert "Border Bakery" not in md and "Taraz" not in md


def test_html_self_contained(written):
    html = (written["dir"] / "KAZ-UZB.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert '<img src="data:image/png;base64,' in html
    assert "<td>Syr Darya</td>" in html and "Kazakhstan (KAZ)" in html
    assert 'class="status-notify"' in html
    for ref in ('src="http', "href=", "<script", "<link", "url("):
        assert ref not in html, ref


def test_dossier_links_interactive_map_of_the_pair(case, tmp_path):
    args = (tmp_path, case["sites"], case["holdings"], case["affected"])
    out = tmp_path / "notifications"
    link = '<a href="KAZ-UZB_map.html">KAZ-UZB_map.html</a>'
    write_notifications(*args, maps=False, run={"date": DATE})
    assert "_map.html" not in (out / "KAZ-UZB.html").read_text(encoding="utf-8")
    assert "_map.html" not in (out / "KAZ-UZB.md").read_text(encoding="utf-8")
    # by default a pair is linked when its interactive map is already beside the dossier
    (out / "KAZ-UZB_map.html").write_text("<html></html>", encoding="utf-8")
    write_notifications(*args, maps=False, run={"date": DATE})
    html = (out / "KAZ-UZB.html").read_text(encoding="utf-8")
    assert link in html
    assert "[KAZ-UZB_map.html](KAZ-UZB_map.html)" in (out / "KAZ-UZB.md").read_text(
        encoding="utf-8"
    )
    assert "_map.html" not in (out / "KAZ-KGZ.html").read_text(encoding="utf-8")
    assert (out / "KAZ-UZB_map.html").is_file()  # the map itself is left alone
    # hazid notify (regenerate) keeps the link
    root = write_results_dir(case, tmp_path / "results")
    (root / "notifications").mkdir()
    (root / "notifications" / "KAZ-UZB_map.html").write_text("<html></html>", encoding="utf-8")
    regenerate(root, maps=False)
    assert link in (root / "notifications" / "KAZ-UZB.html").read_text(encoding="utf-8")
    write_notifications(*args, maps=False, run={"date": DATE}, map_links=True)
    assert '<a href="KAZ-KGZ_map.html">' in (out / "KAZ-KGZ.html").read_text(encoding="utf-8")
    write_notifications(*args, maps=False, run={"date": DATE}, map_links=False)
    assert "_map.html" not in (out / "KAZ-UZB.html").read_text(encoding="utf-8")


def test_figures_agree_between_tables_evidence_and_json(tmp_path):
    # 31.6549 rounds to 31.65 in the JSON; every text shows 31.6 (not 31.7 from the raw value)
    sites = pd.DataFrame(
        {"site_id": ["S"], "lon": [68.0], "lat": [42.5], "site_country": ["KAZ"],
         "hazardous": [True]}
    )  # fmt: skip
    aff = _one([{"pathway": "air", "hazard": "toxic", "zone_km": 40.0, "border_km": 8.3451,
                 "margin_km": 31.6549, "uncertain": False}])  # fmt: skip
    write_notifications(
        tmp_path, sites, pd.DataFrame(columns=["site_id"]), aff, run={"date": DATE}, maps=False
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["activities"][0]["air"][0]["margin_km"] == 31.65
    md = (tmp_path / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert "| toxic |  | 40.0 | 8.3 | 31.6 | yes | not assessed | not assessed | notify |" in md
    assert "- air: toxic zone 40.0 km reaches UZB 8.3 km away (margin 31.6 km)" in md
    assert "31.7" not in md


@pytest.mark.parametrize(
    ("sx", "sy", "loc"),
    [
        (0.5, 0.5, "lower right"),  # site in the middle: the usual corner
        (0.95, 0.1, "upper left"),  # site in the lower right: the legend moves away
        (0.8, 0.4, "upper left"),
        (0.1, 0.9, "lower right"),
    ],
)
def test_legend_stays_clear_of_the_site(sx, sy, loc):
    assert _legend_loc(sx, sy) == loc


def test_png_maps_are_real_images(written):
    for name in ("KAZ-UZB_A-559aead0.png", "KAZ-KGZ_D-3f39d5c3.png"):
        p = written["dir"] / name
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 10_000
        assert struct.unpack(">II", data[16:24]) == MAP_SIZE
        img = imread(p)
        assert img.shape[:2] == (MAP_SIZE[1], MAP_SIZE[0])
        colours = np.unique(img[..., :3].reshape(-1, 3), axis=0)
        assert len(colours) > 50


def test_rerun_is_byte_identical(case, written, tmp_path):
    write_notifications(
        tmp_path,
        case["sites"],
        case["holdings"],
        case["affected"],
        zones=case["zones"],
        river_paths=case["river_paths"],
        borders=case["borders"],
        contacts=written["contacts"],
        run=case["run"],
        map_size_px=MAP_SIZE,
        map_dpi=100,
    )
    first = sorted(written["dir"].iterdir())
    second = sorted((tmp_path / "notifications").iterdir())
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_dossiers_written_by_several_processes_are_the_same(case, tmp_path, monkeypatch):
    def write(folder: Path) -> list[Path]:
        write_notifications(
            folder,
            case["sites"],
            case["holdings"],
            case["affected"],
            zones=case["zones"],
            river_paths=case["river_paths"],
            borders=case["borders"],
            run=case["run"],
            maps=False,
            lang="en,ru",
        )
        return sorted((folder / "notifications").iterdir())

    monkeypatch.setattr(dossiers, "WORKERS", 1)
    one = write(tmp_path / "one")
    monkeypatch.setattr(dossiers, "WORKERS", 2)
    monkeypatch.setattr(dossiers, "PARALLEL_FROM", 1)
    two = write(tmp_path / "two")
    assert len([p for p in two if p.suffix == ".json"]) >= 2  # the processes did write them
    assert [p.name for p in one] == [p.name for p in two]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_geodesic_length_is_the_number_pyproj_gives():
    from pyproj import Geod

    from hazid.notify.activity import _geodesic_length_m

    rng = np.random.default_rng(3)
    lines = [
        shapely.LineString(np.cumsum(rng.normal(0, 0.3, (n, 2)), axis=0) + np.array([60.0, 45.0]))
        for n in (2, 3, 50, 400)
    ]
    geoms = [
        *lines,
        shapely.MultiLineString(lines),
        shapely.MultiLineString([lines[0], lines[3], lines[1]]),
        shapely.Point(1, 2).buffer(1.0).exterior,
    ]
    geod = Geod(ellps="WGS84")
    for g in geoms:  # the same float, not a close one
        assert _geodesic_length_m(g) == geod.geometry_length(g)


def test_country_windows_give_the_intersections_of_the_whole_outline():
    # a detailed outline (2,000 short edges) with a few long straight ones
    country = shapely.union_all(
        [shapely.Point(70, 45).buffer(5, quad_segs=500), box(64, 38, 66, 41)]
    )
    windows = _CountryWindows(country)
    rng = np.random.default_rng(1)
    zones = [
        shapely.Point(x, y).buffer(r)
        for x, y, r in rng.uniform([61, 39, 0.1], [79, 51, 1], (40, 3))
    ]
    paths = [
        shapely.LineString(np.cumsum(rng.normal(0, 0.05, (200, 2)), axis=0) + np.array([x, y]))
        for x, y in rng.uniform([61, 39], [79, 51], (40, 2))
    ]
    for z in zones:
        assert _intersection_area_km2(z, windows) == _intersection_area_km2(z, country)
    for p in paths:
        assert _intersection_length_km(p, windows) == _intersection_length_km(p, country)
    piece = windows.around(shapely.Point(75, 45).buffer(0.5))
    assert shapely.get_num_coordinates(piece) < shapely.get_num_coordinates(country) / 2
    assert _intersection_length_km(shapely.LineString([(0, 0), (1, 1)]), windows) == 0.0


def test_rerun_replaces_stale_dossiers(case, tmp_path):
    out = tmp_path / "notifications"
    out.mkdir()
    (out / "KAZ-TJK.md").write_text("old", encoding="utf-8")
    (out / "my-notes.txt").write_text("keep", encoding="utf-8")
    write_notifications(
        tmp_path, case["sites"], case["holdings"], case["affected"], maps=False, run={"date": DATE}
    )
    assert not (out / "KAZ-TJK.md").exists()
    assert (out / "my-notes.txt").read_text(encoding="utf-8") == "keep"
    md = (out / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert "![Map" not in md and "| Competent authority | not provided | not provided |" in md
    assert "| toxic |  | 23.0 | 11.1 | 11.9 | yes | not assessed | not assessed | notify |" in md
    assert "- **Borders:** not stated" in md


def test_date_defaults_to_today(case, tmp_path, monkeypatch):
    import datetime as dt

    import hazid.notify.dossier as dossier

    class FixedDate(dt.date):
        @classmethod
        def today(cls):
            return cls(2031, 1, 2)

    monkeypatch.setattr(dossier._dt, "date", FixedDate)
    write_notifications(tmp_path, case["sites"], case["holdings"], case["affected"], maps=False)
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["date"] == "2031-01-02"


def test_contacts_as_dataframe(case, tmp_path):
    contacts = pd.DataFrame({"COUNTRY": ["UZB"], "Email": ["desk@example.uz"]})
    write_notifications(
        tmp_path,
        case["sites"],
        case["holdings"],
        case["affected"],
        contacts=contacts,
        maps=False,
        run={"date": DATE},
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["affected_party"]["email"] == "desk@example.uz"
    assert doc["affected_party"]["name"] == "Uzbekistan"  # built-in name of a Central Asian Party
    assert doc["party_of_origin"]["email"] is None
    md = (tmp_path / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert f"| E-mail | {NOT_PROVIDED} | desk@example\\.uz |" in md  # no autolink


def test_write_errors(case, tmp_path):
    args = (case["sites"], case["holdings"], case["affected"])
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot prepare"):
        write_notifications(blocker, *args, maps=False)
    (tmp_path / "r" / "notifications" / "summary.csv").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"cannot write .*summary\.csv"):
        write_notifications(tmp_path / "r", *args, maps=False)
    no_crs = case["zones"].set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="zones layer has no CRS"):
        write_notifications(tmp_path, *args, zones=no_crs, maps=False)
    with pytest.raises(GeodataError, match="borders layer lacks column"):
        write_notifications(tmp_path, *args, borders=case["borders"].drop(columns="iso_a3"))
    plain = pd.DataFrame(case["sites"].drop(columns=["lon", "lat", "geometry"]))
    with pytest.raises(GeodataError, match="sites need lon and lat"):
        write_notifications(tmp_path, plain, *args[1:], maps=False)
    geo = case["sites"].drop(columns=["lon", "lat"]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="sites layer has no CRS"):
        write_notifications(tmp_path, geo, *args[1:], maps=False)


def test_sites_from_point_geometry(case, tmp_path):
    geo = case["sites"].drop(columns=["lon", "lat"]).to_crs(3857)
    write_notifications(
        tmp_path, geo, case["holdings"], case["affected"], maps=False, run={"date": DATE}
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["activities"][0]["lat"] == pytest.approx(42.1)


# ------------------------------------------------------------------------------ static map


def test_static_map_errors(case, tmp_path):
    with pytest.raises(GeodataError, match="site 'Z' is not in the sites table"):
        static_map(case["sites"], "Z", tmp_path / "z.png")
    bad = pd.DataFrame({"site_id": ["Q"], "lon": [np.nan], "lat": [40.0]})
    with pytest.raises(GeodataError, match="site 'Q' has no coordinates"):
        static_map(bad, "Q", tmp_path / "q.png")
    with pytest.raises(CRSError, match="borders layer has no CRS"):
        static_map(
            case["sites"],
            "A",
            tmp_path / "a.png",
            borders=case["borders"].set_crs(None, allow_override=True),
        )
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot write map"):
        static_map(case["sites"], "A", blocker / "a.png", size_px=(300, 200), dpi=100)


def test_static_map_without_layers(case, tmp_path):
    p = static_map(case["sites"], "B", tmp_path / "b.png", size_px=(640, 480), dpi=80)
    assert struct.unpack(">II", p.read_bytes()[16:24]) == (640, 480)


# ------------------------------------------------------------------------------ regenerate


def write_results_dir(case, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(case["sites"].drop(columns="geometry")).to_csv(root / "sites.csv", index=False)
    case["holdings"].to_csv(root / "holdings.csv", index=False)
    case["affected"].to_csv(root / "affected.csv", index=False)
    gpkg = root / "results.gpkg"
    case["sites"].to_file(gpkg, layer="sites")
    for layer in ("zones", "river_paths", "borders"):
        case[layer].to_file(gpkg, layer=layer)
    (root / "run.json").write_text(json.dumps(case["run"]), encoding="utf-8")
    return root


def test_regenerate_matches_direct_write(case, written, tmp_path):
    root = write_results_dir(case, tmp_path / "results")
    summary = regenerate(root, contacts=written["contacts"])
    assert summary["status"].tolist() == ["consult", "notify"]
    # maps are drawn at the default size here: compare everything else byte for byte
    for name in (
        "summary.csv",
        "matrix.csv",
        "activities.csv",
        "not_notified.csv",
        "KAZ-UZB.json",
        "KAZ-UZB.md",
        "KAZ-KGZ.json",
        "KAZ-KGZ.md",
    ):
        assert (root / "notifications" / name).read_bytes() == (
            written["dir"] / name
        ).read_bytes(), name
    data = (root / "notifications" / "KAZ-UZB_A-559aead0.png").read_bytes()
    assert struct.unpack(">II", data[16:24]) == (1200, 900)


def test_regenerate_sites_from_gpkg_without_optional_files(case, tmp_path):
    root = write_results_dir(case, tmp_path / "results")
    (root / "sites.csv").unlink()
    (root / "run.json").unlink()
    summary = regenerate(root, maps=False)
    assert summary["dossier"].tolist() == ["KAZ-KGZ", "KAZ-UZB"]


def test_regenerate_errors(case, tmp_path):
    with pytest.raises(DataSourceError, match="results folder not found"):
        regenerate(tmp_path / "missing")
    root = write_results_dir(case, tmp_path / "results")
    (root / "run.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InventoryError, match="invalid JSON"):
        regenerate(root, maps=False)
    (root / "run.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InventoryError, match="must hold a JSON object"):
        regenerate(root, maps=False)
    (root / "run.json").unlink()
    (root / "affected.csv").write_bytes(b"site_id,affected\n\xff\xfe,UZB\n")
    with pytest.raises(InventoryError, match="cannot read as CSV"):
        regenerate(root, maps=False)
    (root / "holdings.csv").unlink()
    with pytest.raises(DataSourceError, match=r"holdings\.csv not found"):
        regenerate(root, maps=False)
    (root / "sites.csv").unlink()
    (root / "results.gpkg").unlink()
    with pytest.raises(DataSourceError, match=r"neither sites\.csv nor a sites layer"):
        regenerate(root, maps=False)


def test_run_json_layout_of_a_hazid_run(case, tmp_path):
    run = {
        "date": DATE,
        "parameters": {"regime": "seveso-lower", "cluster_km": None, "uncertainty_km": 0},
        "inputs": {"inventory": {"name": "inv.csv", "sha256": "abcdef0123456789"}},
        "versions": {"numpy": "2.4"},
        "stages": {"annex": "done"},
        "counts": {"sites": 4},
        "warnings": ["toxic zone of A capped at 40 km"],
        "finished_utc": "2025-03-14T10:00:00+00:00",
    }
    summary = write_notifications(
        tmp_path, case["sites"], case["holdings"], case["affected"], run=run, maps=False
    )
    assert summary["status"].tolist() == ["notify", "notify"]  # no uncertainty band
    doc = json.loads((tmp_path / "notifications" / "KAZ-KGZ.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, notification_schema(), cls=jsonschema.Draft202012Validator)
    assert doc["method"]["regime"] == "seveso-lower"
    assert doc["method"]["annex_version"] == "convention-2015"  # from the sites table
    assert doc["data_sources"] == {
        "borders": "not stated",
        "inventory": "inv.csv (SHA-256 abcdef0123456789)",  # in full
        "rivers": "not stated",
    }
    assert doc["run_parameters"] == {  # no finished_utc: the dossier has its date
        "regime": "seveso-lower",
        "uncertainty_km": "0",
    }
    assert doc["limitations"][-1] == "toxic zone of A capped at 40 km"


def test_regime_and_annex_version_from_the_sites_found_once_per_run(case, monkeypatch):
    # without them in the run, every dossier names the sites' distinct values, found once
    sites = case["sites"].copy()
    sites["regime"] = [" convention", "seveso-lower", "convention ", None]
    calls = []
    monkeypatch.setattr(
        "hazid.notify.dossier._site_values", lambda run, s: calls.append(1) or _site_values(run, s)
    )
    ds = prepare_dossiers(sites, case["holdings"], case["affected"], run={"date": DATE})
    docs = [ds.document(p.origin, p.affected, p.status, {}) for p in ds.pairs().itertuples()]
    assert len(docs) == 2 and calls == [1]
    for doc in docs:
        assert doc["method"]["regime"] == "convention; seveso-lower"
        assert doc["method"]["annex_version"] == "convention-2015"
    assert ds.meta["method"]["regime"] == "convention; seveso-lower"


def test_parameters_named_as_in_hazid_screen(case, tmp_path):
    # hazid.screen records horizon_days, water_threshold_mg_l and weather under parameters
    run = {
        "date": DATE,
        "parameters": {
            "horizon_days": 1.0,
            "water_threshold_mg_l": 0.5,
            "weather": "alternative",
        },
        "limitations": ["dense gases (chlorine, ...) are modelled as neutral gases"],
    }
    write_notifications(
        tmp_path, case["sites"], case["holdings"], case["affected"], run=run, maps=False
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["method"]["horizon_h"] == 24.0
    assert doc["method"]["threshold_mg_l"] == 0.5
    water = doc["activities"][0]["water"][0]
    # arrival 31.2 h is beyond the 24 h horizon
    assert water["status"] == "none"
    assert water["evidence"].endswith("(beyond the 24 h horizon)")
    lim = doc["limitations"]
    assert any("stability class D, wind 3 m/s" in x for x in lim)
    assert not any("stability class F" in x for x in lim)
    # the run's own dense-gas sentence replaces the default one: said once
    assert sum("dense gas" in x.lower() for x in lim) == 1
    md = (tmp_path / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert "- **River horizon (h):** 24" in md
    assert "- **River concentration threshold (mg/L):** 0.5" in md


def test_empty_affected_writes_empty_tables(case, tmp_path):
    summary = write_notifications(
        tmp_path, case["sites"], case["holdings"], case["affected"].iloc[:0], run={"date": DATE}
    )
    assert summary.empty
    out = tmp_path / "notifications"
    assert sorted(p.name for p in out.iterdir()) == [
        "activities.csv",
        "matrix.csv",
        "not_notified.csv",
        "summary.csv",
    ]
    nn = pd.read_csv(out / "not_notified.csv", dtype=str, keep_default_na=False)
    assert nn["reason"].tolist() == [
        "hazardous activity; no effect found to reach another Party",
        "hazardous activity; no effect found to reach another Party",
        "not a hazardous activity under Annex I",
        "hazardous activity; no effect found to reach another Party",
    ]


def test_contacts_name_column_wins(case, tmp_path):
    contacts = pd.DataFrame({"country": ["UZB"], "name": ["Republic of Uzbekistan"]})
    write_notifications(
        tmp_path,
        case["sites"],
        case["holdings"],
        case["affected"],
        borders=case["borders"],
        contacts=contacts,
        maps=False,
        run={"date": DATE},
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["affected_party"]["name"] == "Republic of Uzbekistan"
    assert doc["party_of_origin"]["name"] == "Kazakhstan"


def test_regenerate_undoes_the_spreadsheet_escaping(case, tmp_path):
    root = write_results_dir(case, tmp_path / "results")
    sites = pd.DataFrame(case["sites"].drop(columns="geometry"))
    sites.loc[sites["site_id"] == "A", "site_name"] = "=1+1 plant"
    write_csv(sites, root / "sites.csv")  # the writer of results folders escapes "=1+1 ..."
    assert "'=1+1 plant" in (root / "sites.csv").read_text(encoding="utf-8-sig")
    regenerate(root, maps=False)
    md = (root / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert "=1+1 plant" in md
    assert "'=1+1 plant" not in md


def test_river_length_in_a_party_consulted_for_a_gap_is_not_assessed():
    from shapely.geometry import LineString, box

    from hazid.notify.activity import _water_effect

    line = [LineString([(0.5, 0.0), (2.5, 0.0)])]  # 1 degree inside the square
    party = box(1.0, -1.0, 2.0, 1.0)
    row = {"river": "", "river_km": float("nan"), "arrival_h": float("nan"), "status": "consult"}
    assert _water_effect(row, line, party, "gap")["river_km_in_affected"] is None
    reached = _water_effect(row | {"river_km": 55.0}, line, party, "trace")
    assert reached["river_km_in_affected"] == pytest.approx(111.2, abs=0.2)
