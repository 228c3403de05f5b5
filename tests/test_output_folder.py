"""The results folder never destroys a file hazid did not write, and survives kills."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hazid.errors import OutputError
from hazid.output import folder
from hazid.output.folder import MARKER, atomic_results_dir, check_results_dir


def _results(target: Path, text: str = "old") -> Path:
    with atomic_results_dir(target, overwrite=True) as tmp:
        (tmp / "sites.csv").write_text(text)
        (tmp / "notifications").mkdir()
        (tmp / "notifications" / "summary.csv").write_text(text)
    return target


def _content(target: Path) -> dict[str, str]:
    return {
        p.relative_to(target).as_posix(): p.read_text()
        for p in sorted(target.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def test_new_folder_is_created_with_its_parents(tmp_path):
    target = tmp_path / "a" / "b" / "results"
    _results(target)
    assert _content(target) == {"notifications/summary.csv": "old", "sites.csv": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no temporary folder left


def test_empty_folder_is_used(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    _results(target)
    assert _content(target)["sites.csv"] == "old"


def test_earlier_results_need_overwrite(tmp_path):
    target = _results(tmp_path / "results")
    with pytest.raises(OutputError, match="add --overwrite to replace them"):
        check_results_dir(target)
    with atomic_results_dir(target, overwrite=True) as tmp:
        (tmp / "sites.csv").write_text("new")
    assert _content(target) == {"sites.csv": "new"}


def test_foreign_file_in_results_is_never_deleted(tmp_path):
    target = _results(tmp_path / "results")
    (target / "my_notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match=r"holds files hazid did not write \(my_notes.txt\)"):
        check_results_dir(target, overwrite=True)
    assert (target / "my_notes.txt").read_text() == "keep me"


def test_other_non_empty_folder_is_refused(tmp_path):
    docs = tmp_path / "Documents"
    (docs / "sub").mkdir(parents=True)
    (docs / "letter.docx").write_text("x")
    (docs / "sub" / "photo.jpg").write_text("y")
    with (
        pytest.raises(OutputError, match="holds files hazid did not write"),
        atomic_results_dir(docs, overwrite=True) as tmp,
    ):
        (tmp / "sites.csv").write_text("new")
    assert (docs / "letter.docx").read_text() == "x"
    assert (docs / "sub" / "photo.jpg").read_text() == "y"


def test_folder_holding_the_input_is_refused(tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    inventory = docs / "inventory.csv"
    inventory.write_text("site_id\n")
    with pytest.raises(OutputError, match=r"contains the input file inventory\.csv"):
        check_results_dir(docs, overwrite=True, inputs=[inventory])
    with pytest.raises(OutputError, match=r"contains the input file inventory\.csv"):
        check_results_dir(tmp_path, overwrite=True, inputs=[inventory])
    assert inventory.is_file()


@pytest.mark.parametrize("out", [".", ".."])
def test_current_folder_and_parent_are_refused(tmp_path, monkeypatch, out):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(OutputError, match="current folder or one of its parents"):
        check_results_dir(Path(out))


def test_file_and_link_are_refused(tmp_path):
    f = tmp_path / "results"
    f.write_text("x")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        check_results_dir(f)
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(OutputError, match="is a symbolic link"):
        check_results_dir(tmp_path / "link")


def test_read_only_results_are_not_replaced(tmp_path):
    target = _results(tmp_path / "results")
    target.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="is read-only"):
            check_results_dir(target, overwrite=True)
    finally:
        target.chmod(0o755)
    assert _content(target)["sites.csv"] == "old"


def test_read_only_parent_is_detected_before_computing(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="is read-only"):
            check_results_dir(parent / "results")
    finally:
        parent.chmod(0o755)


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        target = _results(tmp_path / "results")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_failure_inside_the_block_keeps_the_old_results(tmp_path):
    target = _results(tmp_path / "results")
    with (
        pytest.raises(RuntimeError, match="boom"),
        atomic_results_dir(target, overwrite=True) as tmp,
    ):
        (tmp / "sites.csv").write_text("new")
        raise RuntimeError("boom")
    assert _content(target)["sites.csv"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_fallback_swap_without_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(folder, "_exchange", lambda a, b: False)
    target = _results(tmp_path / "results")
    _results(target, "new")
    assert _content(target)["sites.csv"] == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from hazid.output import folder

    target, stage, ready = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])

    def pause(name):
        if name == stage:
            ready.write_text(name)
            time.sleep(60)

    if stage == "between-renames":
        folder._exchange = lambda a, b: False
        rename = os.rename

        def slow_rename(a, b):
            rename(a, b)
            if ".hazid-old-" in str(b):
                pause(stage)

        folder.os.rename = slow_rename
    with folder.atomic_results_dir(target, overwrite=True) as tmp:
        (tmp / "sites.csv").write_text("new")
        pause("writing")
    pause("done")
    """
)


def _run_child(tmp_path: Path, target: Path, stage: str, sig: int) -> None:
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    ready = tmp_path / f"ready-{stage}"
    proc = subprocess.Popen([sys.executable, str(script), str(target), stage, str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "the child ended before reaching its stage"
            assert time.monotonic() < deadline, "the child did not reach its stage"
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("stage", ["writing", "between-renames", "done"])
def test_sigkill_at_any_stage_leaves_complete_results(tmp_path, stage):
    work = tmp_path / "work"
    work.mkdir()
    target = _results(work / "results")
    _run_child(tmp_path, target, stage, signal.SIGKILL)
    expected = "new" if stage == "done" else "old"
    if stage == "between-renames":
        # the only window of the two-rename fallback: the old results wait beside the target
        assert not target.exists()
    # the next run puts things right before it writes anything
    done = folder.recover_results_dir(target)
    assert _content(target)["sites.csv"] == expected
    assert sorted(p.name for p in work.iterdir()) == ["results"], done
    check_results_dir(target, overwrite=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_remove_the_temporary_folder(tmp_path, sig):
    work = tmp_path / "work"
    work.mkdir()
    target = _results(work / "results")
    _run_child(tmp_path, target, "writing", sig)
    assert sorted(p.name for p in work.iterdir()) == ["results"]
    assert _content(target)["sites.csv"] == "old"


def test_stale_folder_without_marker_is_named_not_deleted(tmp_path):
    target = tmp_path / "results"
    stale = tmp_path / ".results.hazid-tmp-999999999"
    stale.mkdir()
    (stale / "x.txt").write_text("not ours")
    done = folder.recover_results_dir(target)
    assert done == [f"left {stale.name} in place: it does not carry hazid's marker"]
    assert (stale / "x.txt").is_file()
