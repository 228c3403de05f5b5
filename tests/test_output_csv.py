"""The CSV tables of a run: formula escaping the same for every kind of text column."""

import pandas as pd
import pytest

from hazid.escape import spreadsheet_text
from hazid.output.results import spreadsheet_safe, write_csv

CELLS = ["=1+1", "x", None, " \u00a0-2", "\t3", "\u3000@a", "a=b", "", "+", "-12"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_text_columns_escaped_as_spreadsheet_text(dtype):
    col = pd.Series(CELLS, dtype=dtype)
    got = spreadsheet_safe(pd.DataFrame({"a": col}))["a"]
    want = [spreadsheet_text(v) for v in col]
    assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want]
    assert got.iloc[0] == "'=1+1" and got.iloc[3] == "' \u00a0-2" and got.iloc[6] == "a=b"


def test_mixed_object_column_keeps_values_and_escapes_text(tmp_path):
    df = pd.DataFrame({"a": ["=1", 1, True, 2.0000000000000004, "-x"]})
    path = write_csv(df, tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "a",
        "'=1",
        "1",
        "true",
        "2.0",
        "'-x",
    ]
