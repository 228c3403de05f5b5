"""Broken zone-model data tables are reported, never read as safe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import hazid
from hazid.errors import AnnexDataError, ChoiceError, DataSourceError
from hazid.zones import _base, consequence_distances, defaults, oca, properties

DATA = Path(hazid.__file__).parent / "data"


def _clear():
    defaults._defaults_table.cache_clear()
    properties._properties_table.cache_clear()
    oca._index.cache_clear()
    oca._cells.cache_clear()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the data tables the zones read, for one test to break."""
    for name in ("substance_properties.csv", "category_default_distances.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "oca", tmp_path / "oca")

    def data_file(name):
        path = tmp_path / name
        if not path.is_file():
            raise DataSourceError(f"hazid data table {name} is missing from the installation")
        return path

    for module in (defaults, properties, oca):
        monkeypatch.setattr(module, "_data_file", data_file)
    _clear()
    yield tmp_path
    _clear()


def _edit(path, change):
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(table).to_csv(path, index=False)


def test_missing_table_is_a_data_source_error():
    with pytest.raises(DataSourceError, match=r"nope\.csv is missing from the installation"):
        _base._data_file("nope.csv")


def test_broken_category_defaults(data_dir):
    path = data_dir / "category_default_distances.csv"
    _edit(path, lambda t: t.drop(columns=["representative"]))
    with pytest.raises(AnnexDataError, match="lacks columns: representative"):
        defaults.load_category_defaults()
    shutil.copy(DATA / "category_default_distances.csv", path)
    _clear()
    _edit(path, lambda t: t.assign(hazard=t.hazard.where(t.code != "P4", "smoke")))
    with pytest.raises(AnnexDataError, match="unknown hazards: \\['smoke'\\]"):
        defaults.load_category_defaults()
    shutil.copy(DATA / "category_default_distances.csv", path)
    _clear()
    _edit(path, lambda t: t.assign(zone_km=t.zone_km.where(t.code != "H2", "40")))
    with pytest.raises(AnnexDataError, match="exactly one of representative"):
        defaults.load_category_defaults()


def test_representative_must_be_in_the_property_table(data_dir):
    path = data_dir / "category_default_distances.csv"
    rep = "representative"
    _edit(path, lambda t: t.assign(**{rep: t[rep].where(t.code != "H2", "unobtainium")}))
    h = pd.DataFrame(
        {"site_id": ["A"], "substance_key": [""], "categories": ["H2"], "quantity_t": [1.0]}
    )
    with pytest.raises(ChoiceError, match="'unobtainium' is not in the property table"):
        consequence_distances(h)


def test_broken_property_table(data_dir):
    path = data_dir / "substance_properties.csv"
    _edit(path, lambda t: t.drop(columns=["boiling_point_k"]))
    with pytest.raises(AnnexDataError, match="lacks columns: boiling_point_k"):
        properties.load_substance_properties()
    shutil.copy(DATA / "substance_properties.csv", path)
    _clear()
    _edit(path, lambda t: pd.concat([t, t.iloc[[0]]]))
    with pytest.raises(AnnexDataError, match="repeats keys: \\['chlorine'\\]"):
        properties.load_substance_properties()


def test_broken_oca_tables(data_dir):
    _edit(data_dir / "oca" / "tables.csv", lambda t: t.drop(columns=["status"]))
    with pytest.raises(AnnexDataError, match=r"tables\.csv lacks columns: status"):
        oca.table_lookup(1, 760.0)
    shutil.copy(DATA / "oca" / "tables.csv", data_dir / "oca" / "tables.csv")
    _clear()
    t1 = data_dir / "oca" / "oca_t01_neutral_worst_10min_rural.csv"
    _edit(t1, lambda t: t.drop(columns=["bound"]))
    with pytest.raises(AnnexDataError, match="oca table 1 lacks columns: bound"):
        oca.table_lookup(1, 760.0)
    shutil.copy(DATA / "oca" / t1.name, t1)
    _clear()
    _edit(t1, lambda t: t.assign(x=t.x.where(t.index != 3, "5")))
    with pytest.raises(AnnexDataError, match="keys are not strictly increasing"):
        oca.table_lookup(1, 760.0)
