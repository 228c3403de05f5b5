"""Texts of whole columns (hazid.output.arrowtext) are those written value by value."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.escape import clean_float
from hazid.output.arrowtext import float_texts


def _csv_text(v: float) -> str:
    """The CSV text of a float, value by value (hazid.output.results)."""
    return "" if v != v else repr(clean_float(v))


def _cell_text(v: float) -> str:
    """The text of a number cell of results.xlsx, value by value (hazid.output.workbook)."""
    return f"{float(f'{v:.15g}'):.16g}" if math.isfinite(v) else ""


def _same_as_pandas(df: pd.DataFrame, folder) -> None:
    """``write_csv`` of ``df`` gives the bytes pandas writes of its spreadsheet-safe copy."""
    from hazid.output.results import spreadsheet_safe, write_csv

    path = write_csv(df, folder / "fast.csv")
    spreadsheet_safe(df).to_csv(
        folder / "ref.csv", index=False, lineterminator="\n", encoding="utf-8-sig"
    )
    assert path.read_bytes() == (folder / "ref.csv").read_bytes()


def _check(values: np.ndarray) -> None:
    values = np.asarray(values, dtype=np.float64)
    as_list = values.tolist()
    short = float_texts(values, short=True, fallback=_csv_text).to_pylist()
    assert short == [_csv_text(v) for v in as_list]
    g16 = float_texts(values, short=False, fallback=_cell_text).to_pylist()
    assert g16 == [_cell_text(v) for v in as_list]


SPECIAL = [
    0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -1.0, 10.0, 0.1, 0.001, 1e-4, 1e-5, 1e-8,
    9.99999999e-9, 1e15, 1e16, 1e17, 1e22, 1e100, 1e-100, 5e-324, 1.7976931348623157e308,
    999999999999999.5, 999999999999999.0, 99999999999999.95, 0.1 + 0.2, 1.7999999999999998,
    0.9999999999999999, 123456789012345.67, 2.5e-7, -2.5e-7, 12345.0, 1e14, 1e13 + 0.5,
    0.30000000000000004, 100.0, 1000000.0, 2**53, 2.0**60, -123.456,
]  # fmt: skip


def test_float_texts_of_special_values_are_those_written_one_by_one():
    _check(np.array(SPECIAL))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_float_texts_of_random_values_are_those_written_one_by_one(seed):
    rng = np.random.default_rng(seed)
    n = 50_000
    values = np.concatenate(
        [
            rng.random(n) * 10.0 ** rng.integers(-12, 20, n),
            -rng.random(n) * 10.0 ** rng.integers(-12, 20, n),
            np.round(rng.random(n) * 10.0 ** rng.integers(0, 8, n)) / 10.0 ** rng.integers(0, 8, n),
            rng.random(n) / rng.random(n),
            rng.integers(0, 2**53, n).astype(float),
            rng.integers(-(10**6), 10**6, n).astype(float),
            (rng.integers(0, 10**15, n) + 0.5) / 10.0 ** rng.integers(0, 15, n),
            10.0 ** rng.integers(-9, 17, n) * (1 + rng.integers(-3, 4, n) * 2.0**-52),
            rng.integers(0, 2**64, n, dtype=np.uint64).view(np.float64),
        ]
    )
    _check(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=40))
def test_float_texts_of_any_floats_are_those_written_one_by_one(values):
    _check(np.array(values, dtype=np.float64))


def test_float_texts_of_nothing():
    assert float_texts(np.array([]), short=True, fallback=_csv_text).to_pylist() == []


#: characters that the CSV quoting, the formula escaping or the XML escaping care about
_TRICKY = st.sampled_from(
    [",", '"', "\n", "\r", "\t", "=", "+", "-", "@", " ", "\u00a0", "\u3000", "&", "<", ">",
     "\x01", "\x1f", "\ufffe", "\uffff", "\uff08", "Ч", "é", "a", "1", "'"]
)  # fmt: skip
_TEXTS = st.lists(
    st.one_of(
        st.none(),
        st.text(_TRICKY, max_size=6),
        st.text(max_size=6),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.sampled_from([b",", b'"\r\n', b"&<>\xef"]), st.booleans())
def test_rows_with_are_the_texts_holding_the_characters(texts, anywhere, controls):
    import pyarrow as pa

    from hazid.output.arrowtext import FORMULA_BYTES, rows_with

    col = pa.array(texts, pa.large_string())
    below = 0x20 if controls else 0
    got = rows_with(col.slice(1), anywhere, first=FORMULA_BYTES, below=below).tolist()
    want = [
        i
        for i, v in enumerate(texts[1:])
        if v
        and (
            any(b in anywhere or b < below for b in v.encode("utf-8"))
            or v.encode("utf-8")[0] in FORMULA_BYTES
        )
    ]
    assert got == want


@settings(max_examples=200, deadline=None)
@given(_TEXTS, st.sampled_from(["str", object]))
def test_csv_text_columns_are_those_pandas_writes(tmp_path_factory, texts, dtype):
    import pandas as pd

    df = pd.DataFrame({"t": pd.Series(texts, dtype=dtype), "n": range(len(texts))})
    _same_as_pandas(df, tmp_path_factory.mktemp("csv"))


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_sheet_text_cells_are_those_written_one_by_one(texts):
    import pandas as pd

    from hazid.output.workbook import _cell, _sheet_xml

    df = pd.DataFrame({"t": pd.Series(texts, dtype="str")})
    xml = b"".join(
        p.encode("utf-8") if isinstance(p, str) else p for p in _sheet_xml(df, ["t"])
    ).decode("utf-8")
    want = "".join(
        f'<row r="{r}">{_cell(f"A{r}", v)}</row>'
        for r, v in enumerate(df["t"].astype(object), start=2)
    )
    assert xml[xml.index('<row r="2">') : xml.index("</sheetData>")] == want


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"])
def test_csv_integer_columns_are_those_pandas_writes(tmp_path, dtype):
    import pandas as pd

    from hazid.output.results import spreadsheet_safe, write_csv

    info = np.iinfo(dtype)
    rng = np.random.default_rng(5)
    ends = np.array([info.min, info.max, 0, 1, info.min + 1, info.max - 1], dtype=dtype)
    values = np.concatenate([ends, rng.integers(info.min, info.max, 50, dtype=dtype)])
    df = pd.DataFrame({"i": values, "t": ["x"] * len(values)})
    path = write_csv(df, tmp_path / "fast.csv")
    spreadsheet_safe(df).to_csv(
        tmp_path / "ref.csv", index=False, lineterminator="\n", encoding="utf-8-sig"
    )
    assert path.read_bytes() == (tmp_path / "ref.csv").read_bytes()


_OBJECTS = st.lists(
    st.one_of(
        st.none(),
        st.just(pd.NA),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(_TRICKY, max_size=5),
        st.sampled_from([np.float64(0.0), np.float64(1.5), np.bool_(True), np.int64(3)]),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(_OBJECTS)
def test_csv_object_columns_are_those_pandas_writes(tmp_path_factory, values):

    df = pd.DataFrame({"o": pd.Series(values, dtype=object), "n": range(len(values))})
    _same_as_pandas(df, tmp_path_factory.mktemp("csv"))


@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "uint8", "uint64"])
def test_longest_text_of_integers_and_booleans_is_that_of_every_value(dtype):
    from hazid.output.sheetcells import longest_text

    rng = np.random.default_rng(11)
    if dtype == "bool":
        cases = [[True], [False], [True, False], rng.random(20) < 0.5]
    else:
        info = np.iinfo(dtype)
        cases = [
            [info.min],
            [info.max],
            [0, -1 if info.min < 0 else 1],
            [info.min, info.max],
            rng.integers(info.min, info.max, 20, dtype=dtype),
            rng.integers(-9 if info.min < 0 else 0, 100, 20),
        ]
    for values in cases:
        col = pd.Series(np.array(values, dtype=dtype))
        assert longest_text(col) == max(len(str(v)) for v in col.tolist())
