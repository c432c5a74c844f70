"""Hospital reports as one hospital's Excel workbook, through its mapping profile.

The workbook has one sheet (the profile's ``sheet``): the profile's headers in its order,
then one row per report in the frame's order. Values are written the hospital's way
(codes through ``[values.<field>]``, dates in its date formats with their precision) and
every cell is text, so leading zeros of IDs, phone numbers and province codes survive;
the columns are formatted as text (``@``) for values typed in later. Fields the profile
has no column for are not written. Names are fitted to the profile: a profile with only
a full-name column gets the parts joined, family name first; a profile with only parts
gets a full name split at its first and last word.

The same frame and profile always give the same bytes: the workbook's created date is
fixed (2000-01-01) and xlsxwriter writes fixed timestamps into the zip container.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from oncoreg.errors import InputError
from oncoreg.export._common import prepare, split_full_name
from oncoreg.ingest.profiles import Profile

FIXED_CREATED = datetime(2000, 1, 1)
MAX_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
MAX_CELL = 32_767  # Excel's limit on the characters of one cell
_OPTIONS = {
    "constant_memory": True,  # rows go to disk as they are written: memory stays flat
    "strings_to_numbers": False,
    "strings_to_formulas": False,  # a value starting with "=" stays text
    "strings_to_urls": False,
}
_NAME_PARTS = ("family_name", "middle_name", "given_name")


def write_xlsx(reports: pl.DataFrame, path: Path, profile: Profile) -> int:
    """Write the reports as a workbook the way the profile's hospital writes it.

    Args:
        reports: canonical report frame (the columns of ``oncoreg.ingest.canonical.NAMES``).
        path: the ``.xlsx`` file to write (overwritten).
        profile: the hospital's mapping profile (see ``oncoreg.ingest.profiles``).

    Returns:
        The number of report rows written.

    Raises:
        InputError: a canonical column is missing, a row lacks ``report_id`` or
            ``facility_code``, a ``report_id`` repeats in a facility, a value is longer
            than an Excel cell holds, or there are more rows than a sheet holds.
    """
    frame = hospital_frame(reports, profile)
    if frame.height > MAX_ROWS:
        raise InputError(
            f"{frame.height} reports do not fit one Excel sheet ({MAX_ROWS} rows at most)"
        )
    _check_cell_lengths(frame)
    with xlsxwriter.Workbook(str(path), _OPTIONS) as workbook:
        workbook.set_properties({"created": FIXED_CREATED, "title": profile.description})
        _write_sheet(workbook, frame, profile)
    return frame.height


def hospital_frame(reports: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    """The reports as the hospital's table: its headers, codes and date formats.

    Args:
        reports: canonical report frame.
        profile: the hospital's mapping profile.

    Returns:
        A frame of text columns named by the profile's headers, in the profile's order.
    """
    frame = _fit_names(prepare(reports), profile)
    return frame.select(
        _hospital_column(frame, name, profile).alias(header) for header, name in profile.columns
    )


def _hospital_column(frame: pl.DataFrame, name: str, profile: Profile) -> pl.Expr:
    distinct = frame.get_column(name).drop_nulls().unique().to_list()
    mapping = {value: profile.to_hospital_value(name, value) for value in distinct}
    changed = {value: mapped for value, mapped in mapping.items() if mapped != value}
    return pl.col(name).replace(changed) if changed else pl.col(name)


def _fit_names(frame: pl.DataFrame, profile: Profile) -> pl.DataFrame:
    fields = set(profile.fields)
    has_parts = bool(fields & set(_NAME_PARTS))
    if "full_name" in fields and not has_parts:
        joined = pl.concat_str(_NAME_PARTS, separator=" ", ignore_nulls=True)
        full = pl.coalesce("full_name", pl.when(joined != "").then(joined))
        return frame.with_columns(full.alias("full_name"))
    if has_parts and "full_name" not in fields:
        return _split_names(frame)
    return frame


def _split_names(frame: pl.DataFrame) -> pl.DataFrame:
    no_parts = pl.all_horizontal(pl.col(part).is_null() for part in _NAME_PARTS)
    names = frame.filter(no_parts).get_column("full_name").drop_nulls().unique().to_list()
    if not names:
        return frame
    split = {name: split_full_name(name) for name in names}
    return frame.with_columns(
        pl.when(no_parts)
        .then(
            pl.col("full_name").replace_strict(
                {name: parts[index] for name, parts in split.items()},
                default=None,
                return_dtype=pl.String,
            )
        )
        .otherwise(pl.col(part))
        .alias(part)
        for index, part in enumerate(_NAME_PARTS)
    )


def _check_cell_lengths(frame: pl.DataFrame) -> None:
    too_long = [
        header
        for header in frame.columns
        if (frame.get_column(header).str.len_chars().max() or 0) > MAX_CELL
    ]
    if too_long:
        raise InputError(
            f"values longer than an Excel cell holds ({MAX_CELL} characters)",
            hint=f"columns: {', '.join(too_long)}",
        )


def _write_sheet(workbook: xlsxwriter.Workbook, frame: pl.DataFrame, profile: Profile) -> None:
    sheet = workbook.add_worksheet(profile.sheet)
    text = workbook.add_format({"num_format": "@"})
    header = workbook.add_format({"num_format": "@", "bold": True})
    for column, title in enumerate(frame.columns):
        # The column's text format also styles every cell written without a format.
        sheet.set_column(column, column, max(len(title) + 2, 12), text)
        sheet.write_string(0, column, title, header)
    sheet.freeze_panes(1, 0)
    write = sheet.write_string
    for row_number, row in enumerate(frame.iter_rows(), start=1):
        for column, value in enumerate(row):
            if value is not None:
                write(row_number, column, value)
