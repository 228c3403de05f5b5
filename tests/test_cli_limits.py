"""The inventory input limits from the command line: ``--max-rows`` and ``--max-file-mb``."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import hazid
from hazid.cli import app
from hazid.errors import ChoiceError, InventoryError
from hazid.inventory import InputLimits

runner = CliRunner()

#: Three data rows (chlorine, 30 t: a hazardous activity) in 117 bytes.
ROWS = "site_id,lon,lat,substance,quantity\n" + "".join(
    f"S{i},69.2,41.3,chlorine,30\n" for i in range(3)
)
OFF = ["--no-air", "--no-water", "--no-map", "--no-static-maps", "--quiet"]


def _text(output: str) -> str:
    """The output as one line: table borders and wrapping removed."""
    return " ".join(re.sub(r"[│┃┆|]", " ", output).split())


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "screen"])
def test_more_rows_than_max_rows_are_refused_naming_the_option(command, inventory, tmp_path):
    extra = ["--out", str(tmp_path / "out"), *OFF] if command == "screen" else []
    res = runner.invoke(app, [command, str(inventory), "--max-rows", "2", *extra])
    assert res.exit_code == 2, res.output
    assert "more than 2 data rows: split it or raise the row limit (--max-rows," in _text(
        res.output
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["validate", "screen"])
def test_as_many_rows_as_max_rows_pass(command, inventory, tmp_path):
    extra = ["--out", str(tmp_path / "out"), *OFF] if command == "screen" else []
    res = runner.invoke(app, [command, str(inventory), "--max-rows", "3", *extra])
    assert res.exit_code == 0, res.output
    if command == "screen":
        sites = pd.read_csv(tmp_path / "out" / "sites.csv")
        assert len(sites) == 3 and sites["hazardous"].all()


@pytest.mark.parametrize("command", ["validate", "screen"])
def test_a_file_larger_than_max_file_mb_is_refused_naming_the_option(command, inventory, tmp_path):
    extra = ["--out", str(tmp_path / "out"), *OFF] if command == "screen" else []
    res = runner.invoke(app, [command, str(inventory), "--max-file-mb", "0.0001", *extra])
    assert res.exit_code == 2, res.output
    text = _text(res.output)
    assert "the file is 0.0 MB (at most 0.0 MB are read): split it or raise the size" in text
    assert "(--max-file-mb, InputLimits.max_file_mb)" in text
    ok = runner.invoke(app, ["validate", str(inventory), "--max-file-mb", "0.001"])
    assert ok.exit_code == 0, ok.output  # 117 bytes <= 1,000 bytes


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-rows", "0"), ("--max-rows", "-5"), ("--max-file-mb", "0"), ("--max-file-mb", "inf")],
)
def test_a_limit_not_greater_than_zero_is_refused_before_any_work(option, value, inventory):
    res = runner.invoke(app, ["validate", str(inventory), option, value])
    assert res.exit_code == 2
    assert re.search(rf"error: {option} must be a number greater than 0; got -?\w+", res.output)
    assert "OK" not in res.output


def test_screen_checks_the_limits_before_the_results_folder(inventory, tmp_path):
    res = runner.invoke(app, ["screen", str(inventory), "-o", str(tmp_path), "--max-rows", "0"])
    assert res.exit_code == 2 and "--max-rows must be a number greater than 0" in res.output


def test_help_shows_the_options_and_their_defaults():
    for command in ("validate", "screen"):
        text = _text(runner.invoke(app, [command, "--help"], terminal_width=200).output)
        assert "--max-rows" in text and "[default: 500000]" in text
        assert "--max-file-mb" in text and "[default: 100.0]" in text


def test_the_pipeline_passes_its_limits_to_the_reader(inventory):
    with pytest.raises(InventoryError) as err:
        hazid.screen(inventory, borders=False, rivers=False, limits=InputLimits(max_rows=2))
    assert err.value.problems["problem"].str.contains("more than 2 data rows").all()
    res = hazid.screen(inventory, borders=False, rivers=False, limits=InputLimits(max_rows=3))
    assert len(res.sites) == 3


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [("max_rows", 0, "0"), ("max_file_mb", -1.0, "-1.0"), ("max_columns", float("nan"), "nan"),
     ("max_cell_chars", "10", "'10'"), ("max_unzipped_mb", True, "True")],
)  # fmt: skip
def test_input_limits_refuse_a_limit_not_greater_than_zero(field, value, shown):
    with pytest.raises(
        ChoiceError, match=rf"^{field} must be a number greater than 0; got {shown}$"
    ):
        InputLimits(**{field: value})
