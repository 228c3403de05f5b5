"""The CSV tables of a run: formula escaping the same for every kind of text column."""

import numpy as np
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


TRICKY_TEXT = [
    "=1+1", "a,b", 'say "hi"', "two\nlines", "cr\rx", "", None, "Чимкент", ' "=x', '=a,"b"',
]  # fmt: skip
TRICKY_FLOATS = [
    float("nan"), float("inf"), float("-inf"), -0.0, 1e15, 1e16, 1.7999999999999998,
    1e-5, 123456789012345.67, 0.1 + 0.2,
]  # fmt: skip


def test_csv_written_a_column_at_a_time_is_the_one_pandas_writes(tmp_path):
    df = pd.DataFrame(
        {
            "text": pd.Series(TRICKY_TEXT, dtype="str"),
            "f": TRICKY_FLOATS,
            "b": [True, False] * 5,
            "i": list(range(-5, 5)),
            "u": pd.Series(range(10), dtype="uint8"),
            "quote,d": ["q"] * 10,
        }
    )
    path = write_csv(df, tmp_path / "fast.csv")
    spreadsheet_safe(df).to_csv(
        tmp_path / "ref.csv", index=False, lineterminator="\n", encoding="utf-8-sig"
    )
    assert path.read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert '"two\nlines"' in path.read_text(encoding="utf-8-sig")


def test_floats_cleaned_a_column_at_a_time_are_clean_float():
    from hazid.escape import clean_float
    from hazid.output.arrowtext import clean_floats

    rng = np.random.default_rng(7)
    n = 200_000
    values = np.concatenate(
        [
            rng.random(n) * 10.0 ** rng.integers(-10, 18, n),
            np.round(rng.random(n) * 1000, 3),
            rng.random(n) / rng.random(n),
            rng.integers(0, 2**53, n).astype(float),
            (rng.integers(0, 10**15, n) + 0.5) / 10.0 ** rng.integers(0, 15, n),
            [0.5, 2.5, 1234567890123455.0, 999999999999999.5, 99999999999999.95, 1e-8, 1e15],
            [9.999999999999999e14, 0.1 + 0.2, 1.7999999999999998, -0.0, np.nan, np.inf],
            # a hair below a power of ten, where log10 rounds up to the power
            [999999.9999999993, 99999999999999.94, 9.999999999999993e-08, 99999.99999999993],
            10.0 ** rng.integers(-9, 17, n) * (1 + rng.integers(-3, 4, n) * 2.0**-52),
        ]
    )
    x, exact = clean_floats(values)
    want = np.array([clean_float(v) for v in values.tolist()])
    assert exact.mean() > 0.7  # the others are left to clean_float
    assert (x[exact].view(np.int64) == want[exact].view(np.int64)).all()
