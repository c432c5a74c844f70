"""How the CLI shows results and errors (Rich tables on a terminal, CSV/JSON on request)."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Sequence
from enum import StrEnum

from rich.console import Console
from rich.table import Table

from oncoreg.errors import OncoregError, Problem

# Rich lays out for 80 columns when output is not a terminal; tables of indicators need
# more, so pipes and files get 140 unless COLUMNS says otherwise
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def show_error(err: OncoregError) -> None:
    """Print an error, its hint and every problem it carries, on standard error."""
    err_console.print(f"[bold red]error:[/bold red] {err.message}", highlight=False)
    one_file = len({p.file for p in err.problems}) <= 1
    for p in err.problems:
        shown = Problem(p.message, None if one_file else p.file, p.row, p.field)
        err_console.print(f"  {shown}", highlight=False, markup=False, soft_wrap=True)
    if err.hint:
        err_console.print(f"[yellow]hint:[/yellow] {err.hint}", highlight=False)


def show_rows(
    columns: Sequence[str], rows: Sequence[Sequence[object]], fmt: Format, title: str | None = None
) -> None:
    """Render rows as a Rich table, CSV or JSON on standard output."""
    if fmt is Format.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    elif fmt is Format.JSON:
        data = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps({"data": data, "count": len(data)}, ensure_ascii=False) + "\n")
    else:
        table = Table(*columns, title=title)
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        console.print(table)


def show_pairs(pairs: Sequence[tuple[str, object]], fmt: Format = Format.TABLE) -> None:
    """Render one record as label/value lines (or a JSON object)."""
    if fmt is Format.JSON:
        data = {k: v for k, v in pairs}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    table = Table(show_header=False, box=None)
    for key, value in pairs:
        table.add_row(f"[bold]{key}[/bold]", "" if value is None else str(value))
    console.print(table)
