"""Tests of hazid.tailings: facility table, dam-break relations, river entry, ranking."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely import LineString, Point, box

from hazid import rivers as rv
from hazid import tailings as tl
from hazid.errors import (
    ChoiceError,
    GeodataError,
    InventoryError,
    RelationError,
    TailingsError,
)

GEOD = Geod(ellps="WGS84")
TWO = gpd.GeoDataFrame(
    {"iso_a3": ["AAA", "BBB"]},
    geometry=[box(0.0, -2.0, 1.0, 2.0), box(1.0, -2.0, 2.0, 2.0)],
    crs=4326,
)


def chain(n=10, x0=0.05, dx=0.2, qa=100.0, upland=1000.0):
    """A straight river along the equator from AAA into BBB, with hydrology."""
    geoms = [LineString([(x0 + i * dx, 0.0), (x0 + (i + 1) * dx, 0.0)]) for i in range(n)]
    length = [GEOD.geometry_length(g) / 1000.0 for g in geoms]
    return gpd.GeoDataFrame(
        {
            "reach_id": np.arange(1, n + 1),
            "next_down": np.r_[np.arange(2, n + 1), 0],
            "length_km": length,
            "upland_skm": upland * (1 + np.arange(n)),
            "dis_av_cms": qa * (1 + np.arange(n)),
            "name": ["Big"] * n,
            "sink": [""] * (n - 1) + ["sea"],
        },
        geometry=geoms,
        crs=4326,
    )


def facilities(**extra):
    base = {
        "facility_id": ["near", "far"],
        "lat": [0.02, 0.5],  # 2.2 km and 55.6 km north of the river
        "lon": [0.05, 0.05],
        "tailings_volume_m3": [2.0e6, 2.0e6],
        "dam_height_m": [25.0, 25.0],
        "status": ["legacy", "closed"],
        "country": ["AAA", "AAA"],
        "contaminants": ["uranium=40 t; arsenic=50 mg/kg", "cyanide=1 t"],
        "tailings_density_t_m3": [1.5, 1.5],
    }
    base.update(extra)
    return tl.read_facilities(pd.DataFrame(base))


# --------------------------------------------------------------------------
# relations
# --------------------------------------------------------------------------


def test_shipped_relations_and_their_status():
    rel = tl.load_relations()
    assert set(rel.status) <= set(tl.RELATION_STATUSES)
    # Rico et al. (2008), abstract: r2 = 0.86 (VF on VT) and 0.57 (run-out)
    assert rel.loc["rico2008_vf", ["a", "b", "r2"]].astype(float).tolist() == [0.354, 1.01, 0.86]
    assert float(rel.loc["rico2008_dmax", "r2"]) == 0.57
    assert rel.loc["larrauri2018_vf", ["a", "b"]].astype(float).tolist() == [0.332, 0.95]
    # every relation says where it comes from and what was checked
    assert rel.source.str.len().gt(20).all() and rel.reason.str.len().gt(20).all()
    # no verified coefficient is claimed for a run-out relation
    assert (rel[rel.quantity == "runout_distance"].status == "unverified").all()


def test_released_volume_hand_worked():
    # VT = 1 Mm3 -> 0.354 Mm3; VT = 10 Mm3 -> 0.354 * 10**1.01 Mm3
    out = tl.released_volume([1e6, 10e6, 0.0, np.nan])
    assert out.released_m3[0] == pytest.approx(354_000.0)
    assert out.released_m3[1] == pytest.approx(0.354 * 10**1.01 * 1e6)
    assert np.isnan(out.released_m3[2]) and np.isnan(out.released_m3[3])
    assert np.isnan(out.released_low_m3[0])  # no scatter stated: no interval
    larrauri = tl.released_volume([10e6], relation="larrauri2018_vf")
    assert larrauri.released_m3[0] == pytest.approx(0.332 * 10**0.95 * 1e6)


def test_interval_from_log_scatter():
    rel = tl.get_relation("rico2008_vf")
    out = tl.apply_relation(rel, [4.0], sigma_log10=0.25, z=1.0)
    assert out.high[0] / out.value[0] == pytest.approx(10**0.25)
    assert out.low[0] * out.high[0] == pytest.approx(out.value[0] ** 2)


def test_unverified_relations_are_refused_unless_allowed():
    with pytest.raises(RelationError, match=r"unverified.*allow_unverified=True"):
        tl.runout_distance([20.0], [1e6])
    r = tl.runout_distance([20.0, 10.0], [1e6, 0.5e6], allow_unverified=True)
    assert r.runout_km.tolist() == pytest.approx([1.61 * 20.0**0.66, 1.61 * 5.0**0.66])
    with pytest.raises(RelationError, match="has no coefficients"):
        tl.runout_distance(
            [20.0], [1e6], [2e6], relation="larrauri2018_dmax", allow_unverified=True
        )
    with pytest.raises(RelationError, match="unknown relation 'nope'"):
        tl.get_relation("nope")
    with pytest.raises(RelationError, match="gives released_volume, not runout_distance"):
        tl.runout_distance([20.0], [1e6], relation="rico2008_vf")


def write_relations(tmp_path, **change):
    rel = tl.load_relations().reset_index(drop=True)
    for key, value in change.items():
        rel.loc[0, key] = value
    path = tmp_path / "rel.csv"
    rel.to_csv(path, index=False)
    return path


def test_relation_table_checks(tmp_path):
    with pytest.raises(RelationError, match="unknown status 'maybe'"):
        tl.load_relations(write_relations(tmp_path, status="maybe"))
    dup = write_relations(tmp_path, relation_id="rico2008_dmax")
    with pytest.raises(RelationError, match="repeated relation_id"):
        tl.load_relations(dup)
    path = tmp_path / "short.csv"
    tl.load_relations().drop(columns="reason").to_csv(path, index=False)
    with pytest.raises(RelationError, match=r"lacks column.*reason"):
        tl.load_relations(path)


def test_custom_relations_cap_and_stored_volume(tmp_path):
    rel = tl.load_relations(write_relations(tmp_path, a=2.0, b=1.0))  # rico2008_vf: VF = 2 VT
    out = tl.released_volume([1e6], relations=rel)
    assert out.released_m3[0] == 1e6 and out.capped[0]
    rel = tl.load_relations().copy()
    rel.loc["larrauri2018_dmax", ["a", "b", "status"]] = [2.0, 0.5, "verified"]
    r = tl.runout_distance([16.0], [2e6], [4e6], relation="larrauri2018_dmax", relations=rel)
    assert r.runout_km[0] == pytest.approx(2.0 * (16.0 * 2.0 * 2.0 / 4.0) ** 0.5)
    with pytest.raises(RelationError, match="needs the stored volume"):
        tl.runout_distance([16.0], [2e6], relation="larrauri2018_dmax", relations=rel)


def test_dam_break_uses_given_values_and_says_what_is_missing():
    f = facilities(runout_km=[None, 3.0])
    db = tl.dam_break(f)
    assert db.released_fraction.tolist() == pytest.approx([0.354 * 2.0**1.01 / 2.0] * 2)
    assert np.isnan(db.runout_km[0]) and db.runout_km[1] == 3.0
    assert db.note[0].startswith("run-out not assessed: relation 'rico2008_dmax' is unverified")
    assert db.runout_source[1] == "facility table" and db.note[1] == ""
    assert db.volume_source[0] == "rico2008_vf (secondary; r2 0.86; no interval)"
    db = tl.dam_break(f, allow_unverified=True, sigma_log10=0.3)
    vf = 0.354 * 2.0**1.01
    assert db.runout_km[0] == pytest.approx(1.61 * (25.0 * vf) ** 0.66)
    assert db.runout_high_km[0] == pytest.approx(db.runout_km[0] * 10 ** (1.96 * 0.3))
    rel = tl.load_relations().copy()
    rel.loc["rico2008_vf", "status"] = "unverified"
    with pytest.raises(RelationError, match="'rico2008_vf' is unverified"):
        tl.dam_break(f, relations=rel)


def test_number_of_cases_behind_each_fit(tmp_path):
    rel = tl.load_relations()
    # n from Huamanyauri, Huanchi, Huaman (Anddes), Rumbo Minero: 22 and 28 cases
    assert rel.loc[["rico2008_vf", "larrauri2018_vf"], "n_cases"].tolist() == [22.0, 28.0]
    assert np.isnan(rel.loc["rico2008_dmax", "n_cases"])
    path = tmp_path / "old.csv"
    rel.drop(columns="n_cases").to_csv(path, index=False)
    assert tl.load_relations(path).n_cases.isna().all()


# --------------------------------------------------------------------------
# documented failures
# --------------------------------------------------------------------------


def test_shipped_cases_transcribe_the_compilation():
    c = tl.load_cases()
    cols = ["dam_height_m", "stored_m3", "released_m3", "runout_km"]
    # CSP2 "Tailings Dam Failures 1915-2022" (31 Jan 2023), rows named in database_row
    assert c.loc["aznalcollar_1998", cols].tolist() == [27.0, 15e6, 6.8e6, 41.0]
    assert c.loc["merriespruit_1994", cols].tolist() == [31.0, 7.04e6, 0.6e6, 4.0]
    assert c.loc["mount_polley_2014", cols].tolist() == [40.0, 74e6, 23.6e6, 7.0]
    assert c.loc["brumadinho_2019", cols].tolist() == [87.0, 12e6, 9.57e6, 600.0]
    assert c.loc["fundao_2015", cols].tolist() == [110.0, 56.4e6, 43.7e6, 668.0]
    mailuu = c.loc["mailuu_suu_1958"]
    assert np.isnan(mailuu.dam_height_m)  # not documented in the compilation
    assert mailuu[cols[1:]].tolist() == [1.2e6, 0.6e6, 40.0]
    assert c.loc["mailuu_suu_1958", "cites"] == "Wikipedia (2017)"
    assert c.source.str.startswith("CSP2").all() and (c.status == "secondary").all()
    assert c.cites.str.len().gt(0).all() and c.case_id.is_unique
    assert c.cites.str.contains("Rico").sum() == 26
    assert c.cites.str.contains("Lar+auri").sum() == 6  # the compilation spells it both ways


def test_relation_residuals_hand_worked():
    r = tl.relation_residuals("rico2008_vf").set_index("case_id")
    pred = 0.354 * 74.0**1.01 * 1e6
    assert r.at["mount_polley_2014", "predicted"] == pytest.approx(pred)
    assert r.at["mount_polley_2014", "residual_log10"] == pytest.approx(np.log10(23.6e6 / pred))
    assert not r.at["itabirito_1986", "used"]  # stored volume not documented
    d = tl.relation_residuals("rico2008_dmax", allow_unverified=True).set_index("case_id")
    assert d.at["aznalcollar_1998", "predictor"] == pytest.approx(27.0 * 6.8)
    assert d.at["aznalcollar_1998", "predicted"] == pytest.approx(1.61 * (27.0 * 6.8) ** 0.66)
    assert not d.at["mailuu_suu_1958", "used"]  # dam height not documented
    with pytest.raises(RelationError, match="'rico2008_dmax' is unverified"):
        tl.relation_residuals("rico2008_dmax")


def write_cases(tmp_path, rows):
    c = tl.load_cases().reset_index(drop=True).iloc[:rows].copy()
    return c, tmp_path / "cases.csv"


def test_relation_check_refit_hand_worked(tmp_path):
    c, path = write_cases(tmp_path, 3)
    # three cases exactly on VF = 0.354 VT**1.01: no bias, no scatter, the refit recovers it
    c["stored_m3"] = [1e6, 10e6, 100e6]
    c["released_m3"] = [0.354 * v**1.01 * 1e6 for v in (1.0, 10.0, 100.0)]
    c.to_csv(path, index=False)
    s = tl.relation_check("rico2008_vf", cases=tl.load_cases(path))
    assert s.n == 3 and s.bias_log10 == pytest.approx(0.0, abs=1e-12)
    assert s.sd_log10 == pytest.approx(0.0, abs=1e-12)
    assert [s.refit_a, s.refit_b, s.refit_r2] == pytest.approx([0.354, 1.01, 1.0])
    # observed 0.354 VT * 10**(0.1, -0.1, 0): residuals from 0.354 VT**1.01 are 0.1, -0.11, -0.02
    c["released_m3"] = [0.354e6 * 10**0.1, 3.54e6 * 10**-0.1, 35.4e6]
    c.to_csv(path, index=False)
    s = tl.relation_check("rico2008_vf", cases=tl.load_cases(path))
    y = np.log10([0.354 * 10**0.1, 3.54 * 10**-0.1, 35.4])
    slope, icpt = np.polyfit([0.0, 1.0, 2.0], y, 1)
    assert s.refit_b == pytest.approx(slope) and s.refit_a == pytest.approx(10**icpt)
    assert s.sd_log10 == pytest.approx(np.std([0.1, -0.11, -0.02], ddof=1))
    two = tl.relation_check("rico2008_vf", cases=tl.load_cases(path).iloc[:2])
    assert two.n == 2 and np.isnan(two.refit_b)


def test_scatter_of_the_relations_on_documented_cases():
    c = tl.load_cases()
    rico_cited = c[c.cites.str.contains("Rico")]
    vf = tl.relation_check("rico2008_vf", cases=rico_cited)
    # 24 cases with VT and VF: the secondary coefficients scatter by a factor ~3 (1 sd)
    assert vf.n == 24
    assert [vf.bias_log10, vf.sd_log10] == pytest.approx([-0.113, 0.479], abs=1e-3)
    assert [vf.refit_a, vf.refit_b, vf.refit_r2] == pytest.approx([0.274, 1.032, 0.704], abs=1e-3)
    run = tl.relation_check("rico2008_dmax", cases=rico_cited, allow_unverified=True)
    assert run.n == 26 and run.sd_log10 == pytest.approx(0.693, abs=1e-3)
    assert run.refit_r2 == pytest.approx(0.420, abs=1e-3)
    larrauri_cited = c[c.cites.str.contains("Lar+auri")]
    lv = tl.relation_check("larrauri2018_vf", cases=larrauri_cited)
    assert lv.n == 6 and [lv.bias_log10, lv.sd_log10] == pytest.approx([-0.347, 0.704], abs=1e-3)
    every = tl.relation_check("rico2008_vf")
    assert every.n == 34 and every.sd_log10 == pytest.approx(0.518, abs=1e-3)


def on_the_line(tmp_path, scatter=0.3):
    """Four cases on VF = 0.354 VT**1.01 (Mm3), log10 VT = 0..3, residuals +d, -d, -d, +d.

    The residuals sum to zero and are orthogonal to log10 VT, so ordinary least
    squares returns a = 0.354 and b = 1.01 exactly, with SS_res = 4 d**2 and
    SS_tot = b**2 * 5 + 4 d**2: r2 = 1 - 0.36 / 5.4605 = 0.934 for d = 0.3.
    """
    c, path = write_cases(tmp_path, 4)
    vt = np.array([1.0, 10.0, 100.0, 1000.0])
    e = np.array([1.0, -1.0, -1.0, 1.0]) * scatter
    c["stored_m3"] = vt * 1e6
    c["released_m3"] = 0.354 * vt**1.01 * 10**e * 1e6
    c["fits"] = ["rico2008_vf", "rico2008_vf;larrauri2018_vf", "rico2008_vf", "rico2008_vf"]
    c.to_csv(path, index=False)
    return tl.load_cases(path)


def test_reproduce_fit_to_the_stated_digits(tmp_path):
    cases = on_the_line(tmp_path)
    rel = tl.load_relations().copy()
    rel.loc["rico2008_vf", ["r2", "n_cases"]] = [0.93, 4.0]
    r = tl.reproduce_fit("rico2008_vf", cases=cases, relations=rel)
    assert [r.refit_a, r.refit_b] == pytest.approx([0.354, 1.01], abs=1e-12)
    assert r.refit_r2 == pytest.approx(1 - 0.36 / 5.4605, abs=1e-9)
    assert r.n == 4 and r.reproduced and r.differs == ""
    # one unit in the last printed digit is a difference; so is a wrong number of cases
    rel.loc["rico2008_vf", ["a", "r2", "n_cases"]] = [0.355, 0.86, 22.0]
    r = tl.reproduce_fit("rico2008_vf", cases=cases, relations=rel)
    assert not r.reproduced and r.differs == "n;a;r2"
    # the shipped r2 = 0.86 is written with two decimals: 0.855 still rounds to it
    assert tl.cases._matches(0.86, 0.855) and not tl.cases._matches(0.86, 0.8549)
    assert tl.cases._decimals(1.01) == 2 and tl.cases._decimals(0.354) == 3
    lar = tl.reproduce_fit("larrauri2018_vf", cases=cases)  # one case only: no refit
    assert lar.n == 1 and lar.differs == "n;a;b"  # r2 not stated, not compared


def test_verified_needs_the_published_cases(tmp_path):
    # shipped: no relation is verified (the papers' case tables were not read)
    assert tl.check_verified() == []
    assert not (tl.load_relations().status == "verified").any()
    assert (tl.load_cases().fits == "").all()
    assert tl.reproduce_fit("rico2008_vf").differs == ("no case is marked as fitted by rico2008_vf")
    cases = on_the_line(tmp_path)
    rel = tl.load_relations().copy()
    rel.loc["rico2008_vf", ["status", "r2", "n_cases"]] = ["verified", 0.93, 4.0]
    assert tl.check_verified(cases=cases, relations=rel) == ["rico2008_vf"]
    rel.loc["rico2008_vf", "r2"] = 0.86
    with pytest.raises(RelationError, match=r"not reproduced: rico2008_vf: r2 \(stated"):
        tl.check_verified(cases=cases, relations=rel)
    with pytest.raises(RelationError, match="no case is marked as fitted by rico2008_vf"):
        tl.check_verified(relations=rel)


def test_case_table_checks(tmp_path):
    c, path = write_cases(tmp_path, 4)
    c.drop(columns="cites").to_csv(path, index=False)
    with pytest.raises(RelationError, match=r"case table lacks column\(s\): cites"):
        tl.load_cases(path)
    c.loc[1, "case_id"] = c.loc[0, "case_id"]
    c.loc[2, "source"] = ""
    c.loc[3, "status"] = "maybe"
    c.loc[0, "stored_m3"] = -5.0
    c.to_csv(path, index=False)
    with pytest.raises(RelationError, match="repeated case_id") as err:
        tl.load_cases(path)
    msg = str(err.value)
    assert "no source" in msg and "status 'maybe'" in msg
    assert "stored_m3 '-5.0' is not a positive number" in msg


# --------------------------------------------------------------------------
# facility table
# --------------------------------------------------------------------------


def test_facility_table_reports_every_problem_at_once():
    bad = pd.DataFrame(
        {
            "facility_id": ["a", "a", ""],
            "lat": [41.0, 95.0, "x"],
            "lon": [72.0, 72.0, 72.0],
            "tailings_volume_m3": [1e6, 0, 1e6],
            "dam_height_m": [20, 15, None],
            "status": ["legacy", "abandoned", "active"],
            "contaminants": ["u=1 t", "cn=5 furlongs", "as 3 t"],
            "flood_exposure": ["yes", "maybe", ""],
        }
    )
    with pytest.raises(TailingsError, match="10 problems in table") as err:
        tl.read_facilities(bad)
    p = err.value.problems
    got = set(zip(p.row.astype(int), p.column, strict=True))
    assert got == {
        (2, "lat"),
        (2, "tailings_volume_m3"),
        (2, "facility_id"),
        (2, "status"),
        (2, "flood_exposure"),
        (2, "contaminants"),
        (3, "lat"),
        (3, "dam_height_m"),
        (3, "facility_id"),
        (3, "contaminants"),
    }
    assert "cn=5 furlongs" in set(p.value)
    assert isinstance(err.value, InventoryError)
    with pytest.raises(TailingsError, match="status: column missing"):
        tl.read_facilities(bad.drop(columns="status"))


def test_facility_csv_and_contaminants(tmp_path):
    path = tmp_path / "tsf.csv"
    facilities().to_csv(path, index=False)
    f = tl.read_facilities(path)
    assert f.attrs["source"] == "tsf.csv"
    assert f.flood_exposure.tolist() == ["unknown", "unknown"]
    c = tl.contaminant_table(f)
    assert c[["contaminant", "kind", "amount"]].values.tolist() == [
        ["uranium", "mass", 40_000.0],
        ["arsenic", "concentration", 50.0],
        ["cyanide", "mass", 1000.0],
    ]


def test_released_contaminant_mass_hand_worked():
    f = facilities()
    db = tl.dam_break(f)
    m = tl.released_contaminants(f, db)
    frac = 0.354 * 2.0**1.01 / 2.0
    vf = frac * 2e6
    assert m.released_kg.tolist() == pytest.approx(
        [40_000.0 * frac, 50.0 * 1e-6 * 1.5 * 1000.0 * vf, 1000.0 * frac]
    )
    f2 = f.drop(columns="tailings_density_t_m3")
    m2 = tl.released_contaminants(f2, db)
    assert np.isnan(m2.released_kg[1])
    assert m2.mass_note[1] == "not assessed: concentration without tailings_density_t_m3"


# --------------------------------------------------------------------------
# river entry and the chain to an affected Party
# --------------------------------------------------------------------------


def test_runout_reaches_river_or_says_how_far():
    f = facilities(runout_km=[5.0, 5.0])
    conn = tl.runout_to_river(f, chain(), tl.dam_break(f), search_km=100.0)
    assert conn.reaches_river.tolist() == [True, False]
    assert conn.river_km[0] == pytest.approx(2.224, abs=0.01)  # 0.02 deg of latitude
    assert conn.tailings_note[0] == "run-out 5.0 km reaches Big 2.2 km from the dam"
    assert conn.tailings_note[1] == ("run-out 5.0 km does not reach a river: Big is 55.6 km away")
    near = tl.runout_to_river(f, chain(), tl.dam_break(f), search_km=10.0)
    assert near.tailings_note[1] == "run-out 5.0 km; no river reach within 10 km"
    f = facilities()
    unk = tl.runout_to_river(f, chain(), tl.dam_break(f))
    assert unk.reaches_river.isna().all()
    assert unk.tailings_note[0].endswith("tailings pathway not assessed")


def test_chain_from_tailings_row_to_affected_party():
    f = facilities()
    db = tl.dam_break(f, allow_unverified=True)
    net = chain()
    aff, conn = tl.trace_tailings(f, net, TWO, db, border_tolerance_km=0.0)
    assert conn.reaches_river.tolist() == [True, False]  # run-out ~ 12 km vs 2.2 and 55.6 km
    assert set(aff.facility_id) == {"near"}
    assert aff.affected.unique().tolist() == ["BBB"]
    assert (aff.pathway == "tailings").all()
    assert sorted(aff.contaminant) == ["arsenic", "uranium"]
    # the uranium peak equals the water trace of the same released mass from the dam
    u = aff.set_index("contaminant").loc["uranium"]
    site = gpd.GeoDataFrame(
        {"site_id": ["near"], "site_country": ["AAA"], "water_mass_kg": [u.released_kg]},
        geometry=[Point(0.05, 0.02)],
        crs=4326,
    )
    ref, _ = rv.trace_water(site, net, TWO, snap_km=3.0, border_tolerance_km=0.0)
    assert u.peak_mg_l == pytest.approx(ref.peak_mg_l[0])
    assert u.arrival_h == pytest.approx(ref.arrival_h[0])
    assert u.released_kg == pytest.approx(40_000.0 * db.released_fraction[0])
    assert u.entry_km == pytest.approx(conn.river_km[0])
    # arsenic (a concentration) scales the same peak by its mass
    a = aff.set_index("contaminant").loc["arsenic"]
    assert a.peak_mg_l / u.peak_mg_l == pytest.approx(a.released_kg / u.released_kg, rel=1e-6)


def test_trace_needs_country_and_handles_no_river():
    f = facilities()
    db = tl.dam_break(f, allow_unverified=True)
    with pytest.raises(GeodataError, match="'country' column"):
        tl.trace_tailings(f.drop(columns="country"), chain(), TWO, db)
    far = chain().assign(geometry=lambda d: d.geometry.translate(yoff=1.5))
    aff, conn = tl.trace_tailings(f, far, TWO, db)
    assert aff.empty and "pathway" in aff.columns
    assert not conn.reaches_river.any()
    # no contaminant mass: countries and times, no concentration
    f2 = facilities(contaminants=["", ""])
    aff, _ = tl.trace_tailings(f2, chain(), TWO, tl.dam_break(f2, allow_unverified=True))
    assert aff.affected.tolist() == ["BBB"] and np.isnan(aff.peak_mg_l[0])
    assert aff.contaminant[0] == ""


# --------------------------------------------------------------------------
# ranking
# --------------------------------------------------------------------------


def test_hazard_inputs_and_pareto_ranking():
    f = facilities(tailings_volume_m3=[2e6, 1e6], flood_exposure=["no", "yes"])
    inp = tl.hazard_inputs(f)
    kg = 40_000.0 + 50.0 * 1e-6 * 1.5 * 1000.0 * 2e6
    assert inp.stored_contaminant_kg.tolist() == pytest.approx([kg, 1000.0])
    ranked = tl.rank_facilities(inp)
    # near: more volume and mass, not flood exposed; far: flood exposed -> neither dominates
    assert ranked["rank"].tolist() == [1, 1]
    ranked = tl.rank_facilities(inp, criteria=["tailings_volume_m3", "stored_contaminant_kg"])
    assert ranked.facility_id.tolist() == ["near", "far"] and ranked["rank"].tolist() == [1, 2]
    assert ranked.dominated_by.tolist() == [0, 1]
    with pytest.raises(ChoiceError, match="criteria must be columns"):
        tl.rank_facilities(inp, criteria=["thi"])
    assert set(tl.THI_TERMS.term) == {
        "capacity",
        "toxicity",
        "management",
        "natural_conditions",
        "dam_safety",
    }
    assert tl.THI_TERMS.definition.str.contains("not found").all()


# --------------------------------------------------------------------------
# the whole chain in one call, and map zones
# --------------------------------------------------------------------------


def test_assess_tailings_lists_what_is_not_assessed():
    table = facilities()
    res = tl.assess_tailings(table)
    assert res.affected is None and res.connections is None
    assert res.warnings[0].startswith("run-out not assessed for 2 facilities: run-out not")
    assert res.warnings[1] == "tailings pathway not assessed: no river network"
    res = tl.assess_tailings(table, network=chain())
    assert res.warnings[-1] == "tailings pathway not assessed: no country borders"
    res = tl.assess_tailings(table, network=chain(), borders=TWO)
    assert res.affected.empty
    assert res.warnings[-1] == "tailings pathway not assessed (no run-out) for: near, far"
    res = tl.assess_tailings(
        table, network=chain(), borders=TWO, allow_unverified=True, border_tolerance_km=0.0
    )
    assert res.warnings == []
    assert (res.affected.site_id == res.affected.facility_id).all()
    assert res.affected.affected.unique().tolist() == ["BBB"]
    assert res.ranking.facility_id.tolist() == ["near", "far"]


def test_runout_zones_are_geodesic_circles():
    f = facilities()
    db = tl.dam_break(f, allow_unverified=True)
    zones = tl.runout_zones(f, db)
    r = db.runout_km[0]
    # 1 degree of latitude on the sphere of radius 6,371.0088 km
    km_per_deg = 2 * np.pi * 6371.0088 / 360.0
    inside = Point(0.05, 0.02 + (r - 0.2) / km_per_deg)
    outside = Point(0.05, 0.02 + (r + 0.2) / km_per_deg)
    assert zones.geometry[0].contains(inside) and not zones.geometry[0].contains(outside)
    assert (zones.pathway == "tailings").all()
    zones = tl.runout_zones(f, tl.dam_break(f))
    assert zones.geometry.is_empty.all() and zones.runout_km.isna().all()
