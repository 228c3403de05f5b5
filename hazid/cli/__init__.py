"""Command line interface: ``hazid validate``, ``hazid screen``, ``hazid notify``, ...

The CLI only wires the library together; every option maps to a keyword of a public function.
Exit codes: 0 success, 2 invalid input (the problems are printed; an inventory that fails
validation, a layer without CRS or unusable geometry), 1 any other hazid error. Each module
registers its commands on :data:`hazid.cli.app.app`.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import importlib
import os
import sys

from hazid.cli.app import app, keep_for_exit

__all__ = ["app", "main"]

# the commands, registered in the order ``hazid --help`` lists them
for _module in ("inventory", "screen", "data", "process"):
    importlib.import_module(f"hazid.cli.{_module}")


def main() -> None:
    """Entry point of the ``hazid`` console script.

    When the command has finished, the process ends without freeing its objects one by one:
    the output is flushed and the exit handlers run (logging, processes, temporary files),
    then :func:`os._exit` ends it. A national screening holds gigabytes of geometries, whose
    release would otherwise add seconds after the work is done (the command's results too:
    :func:`hazid.cli.app.leave_for_exit`). An uncaught error ends the process the usual way,
    with its traceback.

    The objects made by loading the modules (hundreds of thousands: pandas, geopandas,
    shapely, folium, ...) live as long as the process: they are moved out of the garbage
    collector's reach first (:func:`gc.freeze`), so that its full collections do not walk
    them again and again (about 2.5 s of CPU in all processes of a national run), and the
    processes forked later do not copy their memory pages by touching them.

    Freed memory is kept for reuse (:func:`_keep_freed_memory`), Arrow's included
    (:func:`_arrow_from_malloc`).
    """
    gc.freeze()
    if _keep_freed_memory():
        _arrow_from_malloc()
    keep_for_exit()  # the commands' large results, never freed (os._exit)
    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    _end(code)


#: ``mallopt`` parameters of glibc's ``malloc.h``
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Blocks up to this size come from the heap, and freed memory up to it stays there (bytes).
_KEEP_BYTES = 1 << 30


def _keep_freed_memory() -> bool:
    """Ask the C library to reuse freed memory instead of returning it and asking again.

    By default glibc gives large blocks (numpy arrays, GEOS buffers, texts) their own pages
    and returns them when freed, and trims the top of the heap; the next block then asks the
    kernel for new pages, which it clears one page fault at a time. A national run made about
    1.2 million such faults, about 1 s of CPU. With large blocks taken from the heap and
    freed memory kept in it (``mallopt``: ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``), it
    makes a fifth fewer; the peak memory of the run grew by about 3 % (a tenth with a million
    sites: 5.6 GB). The memory goes back to the system when the process ends. Returns False
    where the C library has no ``mallopt`` (not glibc) or refuses it.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library of the process
    except (OSError, AttributeError, TypeError):  # TypeError: no CDLL(None) on Windows
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))


def _arrow_from_malloc() -> bool:
    """Let Arrow take its buffers from the C library's ``malloc``, whose freed memory is kept.

    Arrow's default allocator (mimalloc in the pyarrow wheels) keeps its own pages and gives
    them back to the system soon after they are freed. With glibc keeping freed memory
    (:func:`_keep_freed_memory`), Arrow's buffers (the text columns of pandas, the CSV and
    workbook texts, the river layers read) are better taken from the same heap: a national
    run's peak memory fell by about 100 MB, with a little less system time. An allocator chosen
    with ``ARROW_DEFAULT_MEMORY_POOL`` is left alone. Returns whether Arrow's default changed.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    try:
        import pyarrow as pa
    except ImportError:
        return False
    pa.set_memory_pool(pa.system_memory_pool())
    return True


def _end(code: object) -> None:
    """End the process with ``code`` as :class:`SystemExit` would, without tearing it down."""
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")  # what SystemExit does with a message
        code = 1
    atexit._run_exitfuncs()  # the handlers a normal exit runs
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
