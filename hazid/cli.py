"""Command line interface: ``hazid validate``, ``hazid screen``.

The CLI only wires the library together; every option maps to a keyword of a public function.
Exit codes: 0 success, 2 invalid input (the problems are printed), 1 any other hazid error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from hazid import __version__
from hazid.errors import HazidError, InventoryError
from hazid.inventory import validate_inventory
from hazid.pipeline import screen as run_screen
from hazid.pipeline import write_results

app = typer.Typer(
    name="hazid",
    help="Identify hazardous activities (UNECE Industrial Accidents Convention, Annex I) "
    "and the Parties to notify.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def _problem_table(problems: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("row", "column", "value", "problem"):
        table.add_column(col, overflow="fold")
    for rec in problems.itertuples(index=False):
        row = "" if pd.isna(rec.row) else str(int(rec.row))
        table.add_row(row, str(rec.column), str(rec.value), str(rec.problem))
    return table


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"hazid {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def validate(
    inventory: Annotated[Path, typer.Argument(help="Inventory file (CSV, XLSX, GPKG, GeoJSON).")],
) -> None:
    """Check an inventory and print every problem (exit 2 when there are any)."""
    if not inventory.is_file():
        err_console.print(f"[red]error:[/red] inventory file not found: {inventory}")
        raise typer.Exit(1)
    try:
        holdings, problems = validate_inventory(inventory)
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    if len(problems):
        console.print(_problem_table(problems, f"{inventory.name}: {len(problems)} problem(s)"))
        raise typer.Exit(2)
    console.print(
        f"{inventory.name}: OK, {len(holdings)} holdings at {holdings['site_id'].nunique()} sites"
    )


@app.command()
def screen(
    inventory: Annotated[Path, typer.Argument(help="Inventory file (CSV, XLSX, GPKG, GeoJSON).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory (replaced).")],
    regime: Annotated[
        str, typer.Option(help="Thresholds: convention, seveso-lower or seveso-upper.")
    ] = "convention",
    cluster_km: Annotated[
        float | None,
        typer.Option(
            "--cluster-km", help="Also classify sites within D km of each other together."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")] = False,
) -> None:
    """Screen an inventory under Annex I and write the results into --out."""
    if not inventory.is_file():
        err_console.print(f"[red]error:[/red] inventory file not found: {inventory}")
        raise typer.Exit(1)
    status = None if quiet else console.status("screening")

    def progress(label: str) -> None:
        if status is not None:
            status.update(label)

    try:
        if status is not None:
            status.start()
        try:
            results = run_screen(inventory, regime=regime, cluster_km=cluster_km, progress=progress)
            progress("writing results")
            write_results(results, out)
        finally:
            if status is not None:
                status.stop()
    except InventoryError as err:
        err_console.print(_problem_table(err.problems, f"{inventory.name}: invalid inventory"))
        err_console.print("nothing was written")
        raise typer.Exit(2) from err
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err
    if not quiet:
        counts = results.run["counts"]
        summary = Table(title=f"hazid {__version__}: {inventory.name}")
        summary.add_column("")
        summary.add_column("value", justify="right")
        summary.add_row("sites", str(counts["sites"]))
        summary.add_row("holdings", str(counts["holdings"]))
        summary.add_row("hazardous activities", str(counts["hazardous"]))
        summary.add_row("regime", regime)
        console.print(summary)
        console.print(f"results in {out}")


def main() -> None:
    """Entry point of the ``hazid`` console script."""
    app()
