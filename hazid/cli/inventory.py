"""``hazid validate`` and ``hazid template``: inventories before a screening."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hazid.cli.app import MaxFileMb, MaxRows, _limits, _problem_table, app, console, err_console
from hazid.errors import HazidError
from hazid.inventory import validate_inventory
from hazid.inventory.limits import InputLimits
from hazid.inventory.template import write_template


@app.command()
def validate(
    inventory: Annotated[Path, typer.Argument(help="Inventory file (CSV, XLSX, GPKG, GeoJSON).")],
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of an XLSX workbook (default: the active one).")
    ] = None,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="Add up rows repeated exactly.")
    ] = False,
    max_rows: MaxRows = InputLimits.max_rows,
    max_file_mb: MaxFileMb = InputLimits.max_file_mb,
) -> None:
    """Check an inventory and print every problem (exit 2 when there are any)."""
    limits = _limits(max_rows, max_file_mb)
    if not inventory.is_file():
        err_console.print(f"[red]error:[/red] inventory file not found: {inventory}")
        raise typer.Exit(1)
    try:
        holdings, problems = validate_inventory(
            inventory, sheet=sheet, allow_duplicates=allow_duplicates, limits=limits
        )
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    for key, label in (("sheet", "sheet read"), ("encoding", "encoding")):
        if holdings.attrs.get(key):
            console.print(f"{label}: {holdings.attrs[key]}")
    for old, new in holdings.attrs.get("renamed_columns", {}).items():
        console.print(f"column {old!r} read as {new!r}")
    for warning in holdings.attrs.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if len(problems):
        console.print(_problem_table(problems, f"{inventory.name}: {len(problems)} problem(s)"))
        raise typer.Exit(2)
    console.print(
        f"{inventory.name}: OK, {len(holdings)} holdings at {holdings['site_id'].nunique()} sites"
    )


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx); never replaced.")],
    lang: Annotated[str, typer.Option(help="Language of the headers: en or ru.")] = "en",
) -> None:
    """Write an empty inventory workbook to fill in (columns, meanings, allowed values)."""
    try:
        console.print(f"template written to {write_template(out, lang=lang)}")
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err
