"""Command line interface: ``hazid validate``, ``hazid screen``, ``hazid notify``, ...

The CLI only wires the library together; every option maps to a keyword of a public function.
Exit codes: 0 success, 2 invalid input (the problems are printed; an inventory that fails
validation, a layer without CRS or unusable geometry), 1 any other hazid error. Each module
registers its commands on :data:`hazid.cli.app.app`.
"""

from __future__ import annotations

import importlib

from hazid.cli.app import app

__all__ = ["app", "main"]

# the commands, registered in the order ``hazid --help`` lists them
for _module in ("inventory", "screen", "data", "process"):
    importlib.import_module(f"hazid.cli.{_module}")


def main() -> None:
    """Entry point of the ``hazid`` console script."""
    app()
