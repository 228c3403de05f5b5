"""The command line end to end, and the installed package's data."""

from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hazid
from hazid.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "examples" / "central_asia_demo.csv"
runner = CliRunner()


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_package_data_found_in_installed_package():
    base = resources.files("hazid") / "data"
    for rel in ("annex1/convention-2015/part1.csv", "annex1/convention-2015/part2.csv",
                "annex1/convention-2015/PROVENANCE.md", "substances.csv", "synonyms.csv",
                "grades.csv"):  # fmt: skip
        assert (base / rel).is_file(), rel


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and hazid.__version__ in result.output


def test_validate_clean_and_bad(tmp_path):
    ok = runner.invoke(app, ["validate", str(DEMO)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    bad = tmp_path / "bad.csv"
    bad.write_text("site_id,lon,lat,substance,quantity\nA,69,41,chlorine,-5\nB,69,95,foo,1\n")
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "quantity is negative" in res.output and "unknown substance" in res.output
    aliased = tmp_path / "aliased.csv"
    aliased.write_text("Facility ID,Latitude,Longitude,Chemical,Qty\nA,41,69,chlorine,5\n")
    res = runner.invoke(app, ["validate", str(aliased)])
    assert res.exit_code == 0 and "'Facility ID' read as 'site_id'" in res.output
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_screen_demo_end_to_end(tmp_path):
    out = tmp_path / "results"
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "hazardous activities" in res.output
    sites = read_csv(out / "sites.csv")
    assert list(sites[0])[:14] == [
        "site_id", "site_name", "country", "lon", "lat", "hazardous", "health_ratio",
        "physical_ratio", "environmental_ratio", "max_single_ratio", "reasons", "regime",
        "annex_version", "cluster_id",
    ]  # fmt: skip
    assert [s["site_id"] for s in sites] == sorted(s["site_id"] for s in sites)
    by_id = {s["site_id"]: s for s in sites}
    assert by_id["KG-001"]["hazardous"] == "true"  # 20 t chlorine + 150 t ammonia
    assert float(by_id["KG-001"]["health_ratio"]) == pytest.approx(1.55)
    assert by_id["KZ-002"]["hazardous"] == "false"
    holdings = read_csv(out / "holdings.csv")
    assert list(holdings[0])[:8] == [
        "site_id", "substance", "cas", "annex_entry", "threshold_t", "quantity_t", "ratio", "groups"
    ]  # fmt: skip
    assert {h["annex_entry"] for h in holdings} >= {"II-10", "II-35", "I-H1"}
    run = json.loads((out / "run.json").read_text())
    assert run["parameters"]["regime"] == "convention"
    assert run["annex"]["version"] == "convention-2015"
    assert run["inputs"]["inventory"]["name"] == DEMO.name
    assert len(run["inputs"]["inventory"]["sha256"]) == 64
    assert run["versions"]["hazid"] == hazid.__version__
    assert run["counts"]["sites"] == len(sites)


def test_screen_regime_changes_result(tmp_path):
    out = tmp_path / "lower"
    res = runner.invoke(
        app, ["screen", str(DEMO), "--out", str(out), "--regime", "seveso-lower", "--quiet"]
    )
    assert res.exit_code == 0, res.output
    by_id = {s["site_id"]: s for s in read_csv(out / "sites.csv")}
    assert by_id["KZ-008"]["hazardous"] == "true"  # 18 t chlorine >= 10 t (lower tier)
    assert by_id["KZ-008"]["regime"] == "seveso-lower"


def test_screen_bad_regime_and_invalid_inventory_write_nothing(tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(out), "--regime", "eu"])
    assert res.exit_code == 1 and "regime must be one of" in res.output
    assert not out.exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("site_id,lon,lat,substance,quantity\nA,69,41,chlorine,ten\n")
    res = runner.invoke(app, ["screen", str(bad), "--out", str(out)])
    assert res.exit_code == 2 and "nothing was written" in res.output
    assert not out.exists()


def test_screen_cluster_option(tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text(
        "site_id,lon,lat,substance,quantity\nA,69.0,41.0,chlorine,15\nB,69.005,41.0,chlorine,15\n"
    )
    out = tmp_path / "r"
    res = runner.invoke(app, ["screen", str(inv), "--out", str(out), "--cluster-km", "1"])
    assert res.exit_code == 0, res.output
    sites = read_csv(out / "sites.csv")
    assert [s["cluster_id"] for s in sites] == ["C001", "C001"]
    assert [s["hazardous"] for s in sites] == ["true", "true"]


def test_data_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path))
    res = runner.invoke(app, ["data", "list"])
    assert res.exit_code == 0 and "ne_10m_countries" in res.output
    res = runner.invoke(app, ["data", "path", "ne_10m_rivers"])
    assert res.exit_code == 1 and "hazid data fetch ne_10m_rivers" in res.output
    res = runner.invoke(app, ["data", "fetch", "nope"])
    assert res.exit_code == 1 and "dataset must be one of" in res.output


def test_notify_on_missing_results(tmp_path):
    res = runner.invoke(app, ["notify", str(tmp_path / "none")])
    assert res.exit_code == 1 and "error" in res.output


# --- --out never destroys a user's files -------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_out_folder_holding_user_files_and_the_input_is_refused(tmp_path):
    docs = tmp_path / "Documents"
    (docs / "old").mkdir(parents=True)
    (docs / "letter.txt").write_text("keep")
    (docs / "old" / "notes.txt").write_text("keep too")
    inventory = docs / "inventory.csv"
    inventory.write_bytes(DEMO.read_bytes())
    before = _tree(docs)
    res = runner.invoke(app, ["screen", str(inventory), "--out", str(docs), "--quiet"])
    assert res.exit_code == 2
    assert "contains the input file inventory.csv" in res.output
    assert _tree(docs) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("x")
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(other), "--quiet", "--overwrite"])
    assert res.exit_code == 2 and "holds files hazid did not write" in res.output
    assert (other / "a.txt").read_text() == "x"


def test_out_rerun_needs_overwrite(tmp_path):
    out = tmp_path / "results"
    args = ["screen", str(DEMO), "--out", str(out), "--quiet", "--no-air", "--no-map"]
    assert runner.invoke(app, args).exit_code == 0
    assert (out / ".hazid-results").is_file()
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


@pytest.mark.parametrize("out", [".", ".."])
def test_out_dot_is_refused_with_a_message(tmp_path, monkeypatch, out):
    (tmp_path / "w").mkdir()
    monkeypatch.chdir(tmp_path / "w")
    res = runner.invoke(app, ["screen", str(DEMO), "--out", out, "--quiet"])
    assert res.exit_code == 2
    assert "current folder" in res.output and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]
    assert not any((tmp_path / "w").iterdir())


def test_help_shows_flags_without_type_noise():
    res = runner.invoke(app, ["screen", "--help"], env={"COLUMNS": "120"})
    assert res.exit_code == 0
    assert "--overwrite" in res.output and "<bool>" not in res.output


def test_screening_results_repr_is_a_short_summary():
    import pandas as pd

    res = hazid.screen(
        pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
                      "substance": ["chlorine"], "quantity": ["30"]}),
        borders=False, rivers=False,
    )  # fmt: skip
    text = repr(res)
    assert text.splitlines()[0].startswith("ScreeningResults (hazid ")
    assert "sites: 1 rows" in text and "zones: not computed" in text
    assert len(text.splitlines()) < 20


def test_swapped_coordinates_are_refused_before_writing(tmp_path):
    inv = tmp_path / "inv.csv"
    inv.write_text(
        "site_id,site_name,country,lon,lat,substance,quantity\n"
        "TM-01,Ashgabat water works,TKM,37.95,58.38,chlorine,30\n",
        encoding="utf-8",
    )
    out = tmp_path / "results"
    args = ["screen", str(inv), "--out", str(out), "--no-water", "--quiet"]
    res = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert res.exit_code == 2
    assert "look swapped" in " ".join(res.output.split())
    assert not out.exists()


def test_console_summary_in_russian(tmp_path):
    out = tmp_path / "results"
    args = ["screen", str(DEMO), "--out", str(out), "--no-air", "--no-map", "--lang", "ru"]
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "опасные виды деятельности" in res.output and "результаты в папке" in res.output
    assert "hazardous activities" not in res.output


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip


def test_the_console_script_ends_with_the_command_s_exit_code_and_output():
    version = subprocess.run(
        [sys.executable, "-c", "from hazid.cli import main; main()", "--version"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert version.returncode == 0 and version.stdout.startswith("hazid ")
    missing = subprocess.run(
        [sys.executable, "-c", "from hazid.cli import main; main()", "validate", "nope.csv"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "inventory file not found: nope.csv" in missing.stderr


def _at_exit_of_main(setup: str, value: str, env: dict[str, str] | None = None) -> str:
    """What ``value`` is when the console script (``hazid --version``) has ended its command.

    ``setup``: lines run first (imports); ``value`` is printed by an exit handler.
    """
    code = (
        f"import atexit, sys\n{setup}"
        "import hazid.cli\n"
        f"atexit.register(lambda: print('value', {value}, flush=True))\n"
        "sys.argv = ['hazid', '--version']\n"
        "hazid.cli.main()\n"
    )
    done = _python(code, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("value")[1].strip()


def test_the_console_script_keeps_the_loaded_modules_out_of_the_garbage_collector():
    frozen = int(_at_exit_of_main("import gc\n", "gc.get_freeze_count()"))
    assert frozen > 50_000  # the modules' objects: pandas, geopandas, shapely, folium, ...


def test_the_console_script_keeps_the_commands_results_until_it_ends():
    kept = _at_exit_of_main(
        "import importlib\n", "type(importlib.import_module('hazid.cli.app').left_for_exit)"
    )
    assert kept == "<class 'list'>"  # never freed: the process ends


def test_the_screen_command_leaves_its_results_only_to_the_console_script(tmp_path, monkeypatch):
    from hazid.pipeline.results import ScreeningResults

    module = sys.modules["hazid.cli.app"]
    assert module.left_for_exit is None  # called as here (tests, another program): none kept
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(tmp_path / "a"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert module.left_for_exit is None
    kept: list[object] = []
    monkeypatch.setattr(module, "left_for_exit", kept)  # as the console script sets it
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(tmp_path / "b"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert len(kept) == 1 and isinstance(kept[0], ScreeningResults)
    assert len(kept[0].sites) == 32


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_console_script_keeps_freed_memory_for_reuse():
    code = (
        "import atexit, resource, sys\n"
        "import numpy as np\n"
        "import hazid.cli\n"
        "def again():\n"
        "    block = np.ones(6_250_000)\n"  # 50 MB written, then freed
        "    del block\n"
        "    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "    np.ones(6_250_000)\n"
        "    print('faults', resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n"
        "atexit.register(again)\n"
        "sys.argv = ['hazid', '--version']\n"
    )
    kept = _python(code + "hazid.cli.main()\n")
    assert kept.returncode == 0, kept.stderr
    assert int(kept.stdout.split("faults")[1]) < 10  # the same pages again
    default = _python(code + "again()\n")
    assert int(default.stdout.split("faults")[1]) > 100  # new pages from the kernel


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_console_script_gives_arrow_the_c_librarys_malloc():
    pool = ("import pyarrow as pa\n", "pa.default_memory_pool().backend_name")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _at_exit_of_main(*pool, env=env) == "system"
    chosen = {**env, "ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}
    assert _at_exit_of_main(*pool, env=chosen) == "jemalloc"  # the user's choice


def test_freed_memory_is_not_kept_without_mallopt(monkeypatch):
    import ctypes

    from hazid import cli

    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # a C library without it
    assert cli._keep_freed_memory() is False

    def refuse(name):
        raise OSError("no C library")

    monkeypatch.setattr(ctypes, "CDLL", refuse)
    assert cli._keep_freed_memory() is False


def test_ending_runs_the_exit_handlers_and_says_a_message():
    handler = "import atexit; atexit.register(lambda: print('handler ran', flush=True))\n"
    done = _python(handler + "from hazid.cli import _end; print('out'); _end(3)")
    assert (done.returncode, done.stdout) == (3, "out\nhandler ran\n")
    said = _python("from hazid.cli import _end; _end('a message')")
    assert (said.returncode, said.stderr) == (1, "a message\n")
