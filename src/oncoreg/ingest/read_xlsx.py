"""Excel reports: one sheet of a workbook, through a mapping profile or with canonical headers.

The sheet is the profile's ``sheet`` (or the only sheet, with a warning, when the
workbook has one sheet of another name); without a profile, the first sheet. Cells are
read as text with fastexcel (calamine): a text cell as typed, so leading zeros of IDs and
province codes survive; a number cell as the number (``12345``, never ``12345.0``); a
date cell as ``YYYY-MM-DD`` in date columns. The first row holding a value is the header;
rows and columns are numbered as Excel shows them (the header row's number, the column
letters), also when the table does not start at A1.

Header cells that are merged, blank over a column with values, or repeated are errors
naming the sheet and the column letters: a value could be lost or read into the wrong
field. Merged cells below the header are a warning (only the first cell of a merged
range holds its value). Then the table goes the way of a CSV file (``read_csv``).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fastexcel
import polars as pl
from lxml import etree

from oncoreg.errors import InputError, Problem
from oncoreg.ingest.profiles import Profile
from oncoreg.ingest.read_csv import SAMPLE_ROWS, Table, fold_spaces, table_result
from oncoreg.ingest.readers import ReadResult, column_letter

_CELL = re.compile(r"([A-Z]{1,3})(\d+)")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)\"")
_CHUNK = 1 << 20
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": False}


@dataclass(frozen=True)
class Layout:
    """Where a sheet's table sits, as Excel numbers it.

    Attributes:
        first_row: the row number of the first row holding a value (the header).
        first_column: 0-based column of that row's first value.
        merged: merged ranges as ``(first_row, last_row, first_column, last_column)``.
    """

    first_row: int = 1
    first_column: int = 0
    merged: tuple[tuple[int, int, int, int], ...] = ()


def read_xlsx(
    path: Path, profile: Profile | None = None, facility: str | None = None
) -> ReadResult:
    """Read one sheet of an Excel workbook of reports (see the module docstring).

    Args:
        path: the ``.xlsx`` (or ``.xlsm``, ``.xls``) file.
        profile: the hospital's mapping profile, or None for canonical headers.
        facility: the facility code for rows (or a sheet) without ``facility_code``.

    Raises:
        InputError: not a readable workbook, no such sheet, an empty sheet, or a merged,
            blank or repeated header; or a required column missing.
    """
    reader = _open(path)
    warnings: list[Problem] = []
    sheet = _choose_sheet(reader, path, profile, warnings)
    cells = _load(reader, path, sheet)
    where = f"{path}, sheet {sheet!r}"
    if cells.height == 0:
        raise InputError(f"{where}: the sheet is empty: no header row")
    layout = sheet_layout(path, sheet)
    header = [fold_spaces(value or "") for value in cells.row(0)]
    first_column = layout.first_column - _leading_blanks(header)
    letters = [column_letter(first_column + i) for i in range(len(header))]
    _check_merges(layout, first_column, where, warnings)
    data = cells.slice(1).rename({old: f"c{i}" for i, old in enumerate(cells.columns)})
    numbers = list(range(layout.first_row + 1, layout.first_row + 1 + data.height))
    table = Table(path, "xlsx", where, header, data, numbers, letters, [], warnings, True)
    return table_result(table, profile, facility)


def _open(path: Path) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(path)
    except Exception as error:  # fastexcel raises its own classes for every kind of damage
        raise InputError(
            f"{path}: not a readable Excel workbook ({type(error).__name__})",
            hint="save it again from Excel as .xlsx",
        ) from None


def _choose_sheet(reader, path: Path, profile: Profile | None, warnings) -> str:
    names = list(reader.sheet_names)
    if not names:
        raise InputError(f"{path}: the workbook has no sheet")
    if profile is None or profile.sheet in names:
        return profile.sheet if profile else names[0]
    if len(names) == 1:
        message = f"no sheet {profile.sheet!r} (profile {profile.name}); read the only sheet"
        warnings.append(Problem(message, file=str(path)))
        return names[0]
    raise InputError(
        f"{path}: no sheet {profile.sheet!r} (profile {profile.name})",
        hint=f"the workbook's sheets: {', '.join(names)}",
    )


def _load(reader, path: Path, sheet: str) -> pl.DataFrame:
    try:
        return reader.load_sheet(sheet, header_row=None, dtypes="string").to_polars()
    except Exception as error:  # fastexcel's own error classes
        raise InputError(
            f"{path}, sheet {sheet!r}: cannot be read ({type(error).__name__})"
        ) from None


def _leading_blanks(header: list[str]) -> int:
    return next((i for i, cell in enumerate(header) if cell), len(header))


def _check_merges(layout: Layout, first_column: int, where: str, warnings) -> None:
    header = [m for m in layout.merged if m[0] <= layout.first_row <= m[1]]
    if header:
        first = min(header)
        columns = f"{column_letter(first[2])}-{column_letter(first[3])}"
        raise InputError(
            f"{where}: merged header cells (columns {columns})",
            hint="unmerge the header cells and give each column its own header",
        )
    below = [m for m in layout.merged if m[0] > layout.first_row]
    if below:
        first = min(below)
        ref = f"{column_letter(first[2])}{first[0]}:{column_letter(first[3])}{first[1]}"
        message = (
            f"{len(below)} merged cell ranges (first {ref}): only the first cell of each "
            "holds its value, the others read as empty"
        )
        warnings.append(Problem(message, file=where, rule="merged-cells"))


def sheet_layout(path: Path, sheet: str) -> Layout:
    """The header row, first column and merged ranges of a sheet of an ``.xlsx`` file.

    Read from the sheet's XML in the zip container (fastexcel trims leading blank rows
    and columns and does not report merged cells). A file that is not a zip (``.xls``)
    gets the default layout (table at A1, no merges known).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet)
            if member is None:
                return Layout()
            first_row, first_column = _first_value(archive, member)
            return Layout(first_row, first_column, _merged(archive, member))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError):
        return Layout()


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    workbook = _xml(archive, "xl/workbook.xml")
    sheets = (el for el in workbook.iter() if _local(el) == "sheet")
    rel_id = next((el.get(_REL) for el in sheets if el.get("name") == sheet), None)
    rels = _xml(archive, "xl/_rels/workbook.xml.rels")
    target = next((el.get("Target") for el in rels if el.get("Id") == rel_id), None)
    if not target:
        return None
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath("xl") / target)


def _xml(archive: zipfile.ZipFile, member: str) -> etree._Element:
    return etree.fromstring(archive.read(member), etree.XMLParser(**_PARSER_OPTIONS))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _first_value(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Row number and 0-based column of the first row's first cell that holds a value."""
    with archive.open(member) as stream:
        ordinal = 0
        for _, row in etree.iterparse(stream, events=("end",), **_PARSER_OPTIONS):
            if _local(row) != "row":
                continue
            ordinal += 1
            columns = [_column(cell, i) for i, cell in enumerate(row) if _has_value(cell)]
            if columns:
                return int(row.get("r") or ordinal), min(columns)
            row.clear()
    return 1, 0


def _has_value(cell: etree._Element) -> bool:
    if _local(cell) != "c":
        return False
    return any(_local(child) in ("v", "is") and "".join(child.itertext()) for child in cell)


def _column(cell: etree._Element, position: int) -> int:
    match = _CELL.fullmatch(cell.get("r") or "")
    return _column_index(match[1]) if match else position


def _column_index(letters: str) -> int:
    """0-based index of spreadsheet column letters: A -> 0, AA -> 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _merged(archive: zipfile.ZipFile, member: str) -> tuple[tuple[int, int, int, int], ...]:
    """The merged ranges of a sheet, found in its XML text as it streams past."""
    found: set[bytes] = set()
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            found.update(match[1] for match in _MERGE.finditer(text))
            tail = text[-256:]
    return tuple(sorted(_range(ref.decode("ascii")) for ref in found))


def _range(ref: str) -> tuple[int, int, int, int]:
    first, _, last = ref.partition(":")
    (c1, r1), (c2, r2) = _cell(first), _cell(last or first)
    return r1, r2, c1, c2


def _cell(ref: str) -> tuple[int, int]:
    match = _CELL.fullmatch(ref)
    return (_column_index(match[1]), int(match[2])) if match else (0, 0)


def sample_xlsx(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """The first sheet's header and first rows, and the settings a profile needs.

    Returns:
        ``({"sheet": name}, header, rows)``.
    """
    reader = _open(path)
    sheet = _choose_sheet(reader, path, None, [])
    cells = _load(reader, path, sheet).head(SAMPLE_ROWS + 1)
    if cells.height == 0:
        raise InputError(f"{path}, sheet {sheet!r}: the sheet is empty: no header row")
    header = [fold_spaces(value or "") for value in cells.row(0)]
    rows = [[value or "" for value in row] for row in cells.slice(1).iter_rows()]
    return {"sheet": sheet}, header, rows
