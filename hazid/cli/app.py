"""The ``hazid`` application: its options, consoles and the shared pieces of every command."""

from __future__ import annotations

import logging
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperOption

from hazid._version import __version__
from hazid.inventory.limits import InputLimits

_display_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: typer.Context) -> str | None:
    """Show on/off flags in ``--help`` without a ``<bool>`` type."""
    return None if self.is_flag else _display_type(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]

app = typer.Typer(
    name="hazid",
    help="Identify hazardous activities (UNECE Industrial Accidents Convention, Annex I) "
    "and the Parties to notify.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

#: What a command leaves for the end of the console script's process (a list once
#: :func:`keep_for_exit` is called, by :func:`hazid.cli.main`; None otherwise, as when the
#: commands are called from tests or another program: then nothing is kept). That process ends
#: without freeing its objects one by one, so a national screening's millions of geometries are
#: not freed when the command returns (0.3-0.7 s).
left_for_exit: list[object] | None = None


def keep_for_exit() -> None:
    """Keep from now on what the commands leave for the end of the process (the console script)."""
    global left_for_exit
    left_for_exit = []


def leave_for_exit(obj: object) -> None:
    """Keep ``obj`` until the console script's process ends (see :data:`left_for_exit`)."""
    if left_for_exit is not None:
        left_for_exit.append(obj)


def _problem_table(problems: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("row", "column", "value", "problem"):
        table.add_column(col, overflow="fold")
    for rec in problems.itertuples(index=False):
        row = "" if pd.isna(rec.row) else str(int(rec.row))
        table.add_row(row, str(rec.column), str(rec.value), str(rec.problem))
    return table


class _Once(logging.Filter):
    """Let each warning through once; the summary then leaves out what was already shown."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        if text in self.seen:
            return False
        self.seen.add(text)
        return True


_once = _Once()


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"hazid {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
    verbose: Annotated[bool, Opt("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _once.seen.clear()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(_once)
    ctx.call_on_close(lambda: [h.removeFilter(_once) for h in handlers])


#: The option constructor of every command.
Opt = typer.Option

#: ``--max-rows`` of every command reading an inventory.
MaxRows = Annotated[
    int,
    Opt(
        "--max-rows",
        help="Most data rows an inventory may have; a longer one is refused unparsed.",
    ),
]
#: ``--max-file-mb`` of every command reading an inventory.
MaxFileMb = Annotated[
    float,
    Opt(
        "--max-file-mb",
        help="Largest inventory file, in MB (10**6 bytes); a larger one is refused unread.",
    ),
]


def _limits(max_rows: int, max_file_mb: float) -> InputLimits:
    """Check ``--max-rows`` and ``--max-file-mb`` before any work (exit 2); make the limits."""
    for option, value in (("--max-rows", max_rows), ("--max-file-mb", max_file_mb)):
        if not 0 < value < float("inf"):
            err_console.print(
                f"[red]error:[/red] {option} must be a number greater than 0; got {value}"
            )
            raise typer.Exit(2)
    return InputLimits(max_rows=max_rows, max_file_mb=max_file_mb)
