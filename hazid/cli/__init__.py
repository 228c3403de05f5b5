"""Command line interface: ``hazid validate``, ``hazid screen``, ``hazid notify``, ...

The CLI only wires the library together; every option maps to a keyword of a public function.
Exit codes: 0 success, 2 invalid input (the problems are printed; an inventory that fails
validation, a layer without CRS or unusable geometry), 1 any other hazid error. Each module
registers its commands on :data:`hazid.cli.app.app`.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys

from hazid.cli.app import app

__all__ = ["app", "main"]

# the commands, registered in the order ``hazid --help`` lists them
for _module in ("inventory", "screen", "data", "process"):
    importlib.import_module(f"hazid.cli.{_module}")


def main() -> None:
    """Entry point of the ``hazid`` console script.

    When the command has finished, the process ends without freeing its objects one by one:
    the output is flushed and the exit handlers run (logging, processes, temporary files),
    then :func:`os._exit` ends it. A national screening holds gigabytes of geometries, whose
    release would otherwise add seconds after the work is done. An uncaught error ends the
    process the usual way, with its traceback.

    The objects made by loading the modules (hundreds of thousands: pandas, geopandas,
    shapely, folium, ...) live as long as the process: they are moved out of the garbage
    collector's reach first (:func:`gc.freeze`), so that its full collections do not walk
    them again and again (about 2.5 s of CPU in all processes of a national run), and the
    processes forked later do not copy their memory pages by touching them.
    """
    gc.freeze()
    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    _end(code)


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
