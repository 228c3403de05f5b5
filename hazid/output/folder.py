"""The results folder: checked before any computation, swapped in whole, never destroying a file.

hazid writes a run into a fresh temporary folder beside the target and swaps it in at the end.
The rules, in the order they are checked by :func:`check_results_dir`:

- the target may not exist yet (it is created, with its parents), or be an empty folder;
- a folder that holds an earlier hazid run (it carries the marker file ``.hazid-results``, which
  lists every file hazid wrote there) is replaced only with ``overwrite=True``, and only when it
  holds no file hazid did not write;
- any other non-empty folder, a folder that contains an input file, the current folder or one
  of its parents, a read-only folder and a file are refused before anything is computed.

The swap is crash-safe. On Linux the new folder and the old one are exchanged in one atomic
``renameat2(RENAME_EXCHANGE)`` call, so at every instant the target holds either the old or the
new complete results. Elsewhere the old folder is first renamed aside; a run killed between the
two renames leaves the old results beside the target, and the next run puts them back. Temporary
folders are removed on Ctrl-C, ``SIGTERM`` and ``SIGHUP``; those left by a killed run (the
process that made them is gone) are removed by the next run into the same place. New folders
follow the user's umask.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import logging
import os
import re
import shutil
import signal
import stat
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hazid.errors import OutputError

logger = logging.getLogger(__name__)

__all__ = ["MARKER", "atomic_results_dir", "check_results_dir", "recover_results_dir"]

#: Marker file that identifies a hazid results folder; it lists the files hazid wrote.
MARKER = ".hazid-results"

_TMP = "hazid-tmp"
_OLD = "hazid-old"


def _sibling(target: Path, kind: str, pid: int | None = None) -> Path:
    return target.with_name(f".{target.name}.{kind}-{os.getpid() if pid is None else pid}")


def _siblings(target: Path, kind: str) -> list[tuple[Path, int]]:
    """Temporary or aside folders of ``target`` left in its parent, with their process ids."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{kind}-(\d+)")
    if not target.parent.is_dir():
        return []
    found = []
    for p in target.parent.iterdir():
        m = pattern.fullmatch(p.name)
        if m and p.is_dir() and not p.is_symlink():
            found.append((p, int(m.group(1))))
    return sorted(found)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_results(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def _written(folder: Path) -> set[str]:
    """Files that the marker of a hazid results folder says hazid wrote."""
    try:
        listed = json.loads((folder / MARKER).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(p) for p in listed}


def _present(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if not p.is_dir() or p.is_symlink()
    }


def recover_results_dir(target: str | Path) -> list[str]:
    """Clean up after an earlier run into ``target`` that was killed.

    An aside folder of a run killed between the two renames of a swap is put back when the
    target is missing, or removed when the new results are in place. Temporary folders of runs
    whose process is gone are removed. Only folders that carry hazid's marker are touched.

    Parameters
    ----------
    target : str or Path
        The results folder.

    Returns
    -------
    list of str
        What was done, one sentence each (also logged as warnings).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> recover_results_dir(pathlib.Path(tempfile.mkdtemp()) / "results")
    []
    """
    target = Path(target)
    done: list[str] = []
    for old, pid in _siblings(target, _OLD):
        if _alive(pid) or not _is_results(old):
            continue
        if not target.exists():
            os.rename(old, target)
            done.append(f"restored the previous results of {target.name} left by a killed run")
        else:
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed the previous results of {target.name} left by a killed run")
    for tmp, pid in _siblings(target, _TMP):
        if _alive(pid):
            continue
        if _is_results(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
            done.append(f"removed the unfinished results of a killed run ({tmp.name})")
        else:
            done.append(f"left {tmp.name} in place: it does not carry hazid's marker")
    for line in done:
        logger.warning("%s", line)
    return done


def _refuse(target: Path, why: str) -> OutputError:
    return OutputError(f"--out {target.name or target}: {why}; nothing was computed or written")


def _check_place(target: Path, inputs: Iterable[str | Path]) -> None:
    """Refuse the current folder, its parents and folders holding an input file."""
    real = target.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise _refuse(
            target,
            "is the current folder or one of its parents; give a new folder, e.g. --out results",
        )
    for item in inputs:
        p = Path(item).resolve()
        if p == real or real in p.parents:
            raise _refuse(target, f"contains the input file {Path(item).name}")


def _nearest_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return Path(path.anchor or ".")


def _writable(folder: Path) -> bool:
    """Writable for this process, and not marked read-only by its owner (even for root)."""
    return os.access(folder, os.W_OK | os.X_OK) and bool(folder.stat().st_mode & stat.S_IWUSR)


def _check_writable(target: Path) -> None:
    probe = target if target.exists() else _nearest_existing(target.parent)
    if not _writable(probe):
        raise _refuse(target, f"the folder {probe.name or probe} is read-only")
    if target.exists() and not _writable(target.parent):
        raise _refuse(target, "its parent folder is read-only, so it cannot be replaced")


def check_results_dir(
    target: str | Path, *, overwrite: bool = False, inputs: Iterable[str | Path] = ()
) -> Path:
    """Check that ``target`` may receive a results folder, before anything is computed.

    Parameters
    ----------
    target : str or Path
        The results folder (``--out``).
    overwrite : bool, default False
        Allow replacing an earlier hazid results folder.
    inputs : iterable of path
        Input files of the run: a folder that contains one is refused.

    Returns
    -------
    Path
        ``target`` as a Path.

    Raises
    ------
    OutputError
        When the target is a file, a symbolic link, the current folder or a parent of it, holds
        an input file, is not writable, is a non-empty folder hazid did not write, or is an
        earlier results folder and ``overwrite`` is False (the message says what to do).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> check_results_dir(out) == out
    True
    """
    target = Path(target)
    recover_results_dir(target)
    if target.is_symlink():
        raise _refuse(target, "is a symbolic link; give the folder it points to")
    if target.exists() and not target.is_dir():
        raise _refuse(target, "exists and is not a folder")
    _check_place(target, inputs)
    _check_writable(target)
    if not target.exists() or not any(target.iterdir()):
        return target
    if not _is_results(target):
        raise _refuse(
            target,
            "is a folder that holds files hazid did not write; give a new or empty folder",
        )
    foreign = sorted(_present(target) - _written(target) - {MARKER})
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise _refuse(target, f"holds files hazid did not write ({shown}); move them first")
    if not overwrite:
        raise _refuse(target, "holds earlier hazid results; add --overwrite to replace them")
    return target


_libc = None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False when the system cannot."""
    global _libc
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # file system without exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_in(tmp: Path, target: Path) -> None:
    """Put ``tmp`` at ``target``: the old folder, if any, is removed once the new one is in."""
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old results
        return
    aside = _sibling(target, _OLD)
    os.rename(target, aside)
    os.rename(tmp, target)
    shutil.rmtree(aside, ignore_errors=True)


class _Terminated(SystemExit):
    """Raised by the SIGTERM/SIGHUP handler so that temporary folders are removed."""


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into an exception while a results folder is being written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated(128 + signum)

    names = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), handler) for name in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)


def _write_marker(folder: Path) -> None:
    files = sorted(_present(folder) - {MARKER})
    text = json.dumps({"written_by": "hazid", "files": files}, indent=1, ensure_ascii=False)
    (folder / MARKER).write_text(text + "\n", encoding="utf-8")


@contextmanager
def atomic_results_dir(
    target: str | Path, *, overwrite: bool = False, inputs: Iterable[str | Path] = ()
) -> Iterator[Path]:
    """Give a temporary folder that becomes ``target`` only if the block succeeds.

    The target is checked with :func:`check_results_dir` first. The temporary folder is made
    beside the target (same file system), with the user's umask; it is removed on any
    exception, Ctrl-C, ``SIGTERM`` or ``SIGHUP``.

    Parameters
    ----------
    target : str or Path
        The results folder.
    overwrite : bool, default False
        Allow replacing an earlier hazid results folder.
    inputs : iterable of path
        Input files of the run (a folder that contains one is refused).

    Yields
    ------
    Path
        The temporary folder to write into.

    Raises
    ------
    OutputError
        See :func:`check_results_dir`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> with atomic_results_dir(out) as tmp:
    ...     _ = (tmp / "a.txt").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['.hazid-results', 'a.txt']
    """
    target = check_results_dir(target, overwrite=overwrite, inputs=inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, _TMP)
    with _terminate_cleanly():
        if tmp.exists():  # left by an earlier run of this very process id
            shutil.rmtree(tmp)
        os.mkdir(tmp)  # mode 0o777 less the umask, like any folder the user makes
        try:
            _write_marker(tmp)
            yield tmp
            _write_marker(tmp)
            _swap_in(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
            raise
    logger.info("results written to %s", target.name)
