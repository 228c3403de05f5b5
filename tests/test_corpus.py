"""Bad-input corpus: every malformed inventory gives a clear error or warning, never a traceback.

The corpus is ``tests/corpus/inventories/`` (plain-text cases, committed) plus the binary cases
that ``tests/corpus/make_corpus.py`` writes; ``expected.toml`` there gives each file's outcome.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hazid.errors
from hazid.cli import app
from hazid.errors import HazidError, InventoryError
from hazid.inventory import read_inventory, validate_inventory

CORPUS = Path(__file__).resolve().parent / "corpus"
INVENTORIES = CORPUS / "inventories"
EXPECTED: dict[str, dict] = tomllib.loads((INVENTORIES / "expected.toml").read_text("utf-8"))
runner = CliRunner()


def _make_corpus():
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The whole corpus in one directory: committed text files and generated binary ones."""
    directory = tmp_path_factory.mktemp("corpus")
    for path in INVENTORIES.iterdir():
        if path.name != "expected.toml":
            shutil.copy(path, directory / path.name)
    _make_corpus().build(directory)
    return directory


def _problem_texts(err: HazidError) -> list[str]:
    if isinstance(err, InventoryError):
        return [str(p) for p in err.problems["problem"]]
    return [str(err)]


def test_corpus_is_complete_and_every_file_has_an_expectation(corpus):
    on_disk = {p.name for p in corpus.iterdir()}
    assert on_disk == set(EXPECTED)
    committed = {p.name for p in INVENTORIES.iterdir()} - {"expected.toml"}
    generated = {name for name, exp in EXPECTED.items() if exp.get("generated")}
    assert committed == set(EXPECTED) - generated  # nothing generated is committed, and back
    assert len(EXPECTED) >= 30
    outcomes = {exp["outcome"] for exp in EXPECTED.values()}
    assert outcomes == {"error", "warning", "ok"}
    for name, exp in EXPECTED.items():
        assert exp["outcome"] == "ok" or exp.get("match"), name
        assert not exp.get("geo") or exp["outcome"] != "error", name


def test_corpus_generation_is_deterministic(tmp_path):
    make = _make_corpus()
    first = make.build(tmp_path / "a")
    second = make.build(tmp_path / "b")
    assert first == second
    for name in first:
        if name.endswith(".gpkg"):
            continue  # SQLite files carry write timestamps; their content is compared below
        a, b = (tmp_path / d / name for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes(), name
    # rebuilding in place is harmless
    assert make.build(tmp_path / "a") == first
    for name in first:
        if name.endswith(".gpkg") and EXPECTED[name]["outcome"] != "error":
            a = read_inventory(tmp_path / "a" / name)
            b = read_inventory(tmp_path / "b" / name)
            assert a.drop(columns="row").equals(b.drop(columns="row")), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_reads_as_expected(corpus, name, caplog):
    exp = EXPECTED[name]
    path = corpus / name
    if exp["outcome"] == "error":
        error_class = getattr(hazid.errors, exp.get("raises", "InventoryError"))
        # only hazid's own errors may come out: a raw pandas or decoding error fails here
        with pytest.raises(HazidError) as info:
            read_inventory(path)
        err = info.value
        assert isinstance(err, error_class), repr(err)
        texts = _problem_texts(err)
        for pattern in exp["match"]:
            assert any(re.search(pattern, t) for t in texts), (pattern, texts)
        if isinstance(err, InventoryError):
            assert name in str(err)  # the message names the file
            problems = err.problems
            assert list(problems.columns) == ["row", "column", "value", "problem"]
            assert problems["value"].str.len().max() <= 250  # long cells are shortened
            # validate_inventory reports the same problems without raising
            _, again = validate_inventory(path)
            assert again["problem"].tolist() == problems["problem"].tolist()
        return
    with caplog.at_level(logging.WARNING, logger="hazid.inventory"):
        holdings = read_inventory(path)
    assert len(holdings) >= 1
    assert holdings["quantity_t"].map(math.isfinite).all()
    assert holdings["lon"].between(-180, 180).all() and holdings["lat"].between(-90, 90).all()
    warnings = holdings.attrs["warnings"]
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if exp["outcome"] == "ok":
        assert warnings == [] and logged == [], (warnings, logged)
    else:
        for pattern in exp["match"]:
            assert any(re.search(pattern, w) for w in warnings), (pattern, warnings)
            assert any(re.search(pattern, m) for m in logged), (pattern, logged)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_screen_on_corpus_file(corpus, name, tmp_path):
    exp = EXPECTED[name]
    parent = tmp_path / "parent"
    parent.mkdir()
    out = parent / "results"
    result = runner.invoke(app, ["screen", str(corpus / name), "--out", str(out), "--quiet"])
    # a raw exception would surface here as result.exception (and exit code 1)
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    if exp["outcome"] == "error" or "screen_error" in exp:
        assert result.exit_code == exp.get("screen_exit", 2), result.output
        if "screen_error" in exp:  # found only against the borders, during the screening
            assert exp["screen_error"] in " ".join(result.output.split())
        assert not out.exists()
        assert list(parent.iterdir()) == []  # no temporary directory left behind
        if exp.get("raises", "InventoryError") == "InventoryError":
            assert "nothing was written" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert (out / "sites.csv").is_file() and (out / "run.json").is_file()
        assert [p.name for p in parent.iterdir()] == ["results"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_validate_on_corpus_file(corpus, name):
    exp = EXPECTED[name]
    result = runner.invoke(app, ["validate", str(corpus / name)])
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    assert result.exit_code == (2 if exp["outcome"] == "error" else 0), result.output
