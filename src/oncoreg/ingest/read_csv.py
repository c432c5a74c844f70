"""CSV reports: the canonical report CSV, or a hospital's own CSV through a mapping profile.

Without a profile the header must use the canonical column names (any case and order,
see ``docs/report-csv.md``); with one, the hospital's headers are matched with the
profile's (folding case and diacritics), coded values go through its value tables and
dates through its date formats to ISO, keeping their precision.

The text must be UTF-8 (a byte-order mark is fine; UTF-16 with its byte-order mark too);
other encodings are read with the profile's ``encoding``. The delimiter is the profile's,
else a comma (a semicolon or tab when the header holds no comma). A record whose number
of cells differs from the header's, or that the CSV parser cannot read (a stray quote, a
file cut inside a quoted value) is a problem with its row number; blank lines are skipped
and counted. Row numbers are spreadsheet rows: the header is row 1, and a quoted value
spanning lines is one row.

The table part (:func:`table_result`) is shared with the Excel reader.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from oncoreg.errors import InputError, Problem
from oncoreg.export._common import is_partial_date
from oncoreg.ingest.canonical import NAMES, REQUIRED
from oncoreg.ingest.profiles import DATE_FIELDS, Profile
from oncoreg.ingest.readers import ReadResult, clean_text, column_letter, make_result
from oncoreg.text import fold_vietnamese

SAMPLE_ROWS = 50
_UTF8 = codecs.lookup("utf-8").name
_EXCEL_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_ENCODING_HINT = (
    'save the file as "CSV UTF-8", or read it with a mapping profile (--profile) that says '
    'its encoding, e.g. encoding = "cp1258" for Windows Vietnamese'
)


@dataclass
class Table:
    """A sheet of text cells, before mapping to canonical columns.

    Attributes:
        path: the file.
        format: ``csv`` or ``xlsx``.
        where: the file (and sheet) for messages.
        header: the header cells, trimmed (``""`` for a blank one).
        cells: one text column per header cell (named ``c0``, ``c1``, ...), as read.
        numbers: the spreadsheet row number of each row of ``cells``.
        letters: the spreadsheet column letter of each header cell.
        problems: records that could not be read.
        warnings: what was read but skipped.
        excel: cells come from Excel (dates may be date cells).
    """

    path: Path
    format: str
    where: str
    header: list[str]
    cells: pl.DataFrame
    numbers: list[int]
    letters: list[str]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    excel: bool = False


def read_csv(path: Path, profile: Profile | None = None, facility: str | None = None) -> ReadResult:
    """Read a CSV file of reports (see the module docstring).

    Args:
        path: the CSV file.
        profile: the hospital's mapping profile, or None for the canonical CSV.
        facility: the facility code for rows (or a file) without ``facility_code``.

    Raises:
        InputError: not readable as text in UTF-8 or the profile's encoding, no header,
            a blank or duplicate header, or a required column missing.
    """
    text = decode(path.read_bytes(), path, profile)
    delimiter = profile.delimiter if profile else sniff_delimiter(text)
    fast = fast_parse(text, delimiter)
    if fast is not None:
        header, cells, numbers, problems, blank = *fast, [], 0
    else:
        header, cells, numbers, problems, blank = _careful_parse(text, delimiter, path)
    width = len(header)
    warnings = [Problem(f"{blank} blank rows skipped", file=str(path))] if blank else []
    letters = [column_letter(i) for i in range(width)]
    table = Table(path, "csv", str(path), header, cells, numbers, letters, problems, warnings)
    return table_result(table, profile, facility)


def _careful_parse(text: str, delimiter: str, path: Path):
    """The row-by-row parser: every ragged or broken record becomes a problem with its row."""
    with _no_gc():  # millions of small cells: the collector would scan them again and again
        header, rows, numbers, problems, blank = parse_csv(text, delimiter, str(path))
        if header is None:
            raise InputError(f"{path}: empty file: no header row")
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
        del rows
    cells = pl.DataFrame(
        {f"c{i}": pl.Series(values, dtype=pl.String) for i, values in enumerate(columns)},
        height=len(numbers),
    )
    return header, cells, numbers, problems, blank


def fast_parse(text: str, delimiter: str) -> tuple[list[str], pl.DataFrame, list[int]] | None:
    """The whole file parsed in C (Arrow), for the usual well-formed file.

    Only when every physical line after the header is one record with exactly the header's
    number of cells (no blank lines, no line breaks inside values, no ragged rows), so that
    row numbers are the line numbers; otherwise None, and the careful parser reads the file
    and reports each bad record.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    end = text.find("\n")
    if end < 0 or not _simple_quoting(text, delimiter) or re.search(r"\n[ \t\r]*\n", text):
        return None  # quoting Arrow would accept more leniently, or blank lines
    try:
        first = next(csv.reader([text[:end].rstrip("\r")], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        return None
    header = [unicodedata.normalize("NFC", cell.strip()) for cell in first]
    if not header or not any(header):
        return None
    bad: list[object] = []
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=lambda row: bad.append(row) or "skip",
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if bad or table.num_rows != lines - 1:
        return None
    return header, pl.from_arrow(table).rechunk(), list(range(2, table.num_rows + 2))


def _simple_quoting(text: str, delimiter: str) -> bool:
    """Quotes only around whole values (doubled inside them), all closed: Arrow's parser is
    more lenient than the contract, so anything else goes to the careful parser."""
    if text.count('"') % 2:
        return False
    d = re.escape(delimiter)
    # a quote with a value character on each side; written to start with the quote, which
    # the regex engine finds by fast literal search instead of trying every position
    return re.search(f'"(?<=[^{d}\n\r"]")(?=[^{d}\n\r"])', text) is None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (the cells hold no cycles); restore it after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decode(data: bytes, path: Path, profile: Profile | None) -> str:
    """The text of a CSV file: UTF-8 (or UTF-16 with a byte-order mark), else the
    profile's encoding.

    Raises:
        InputError: the bytes are not text in those encodings; says the line and byte.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", path)
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        if profile and codecs.lookup(profile.encoding).name != _UTF8:
            return _decode(data, profile.encoding, path)
        raise _not_text(data, error.start + skip, "UTF-8", path) from None


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _not_text(data, error.start, encoding, path) from None


def _not_text(data: bytes, offset: int, encoding: str, path: Path) -> InputError:
    line = data.count(b"\n", 0, offset) + 1
    return InputError(
        f"{path}: not {encoding} text: line {line}, byte {offset + 1} of the file",
        hint=_ENCODING_HINT,
    )


def sniff_delimiter(text: str) -> str:
    """A comma, unless the first line holds none but holds semicolons or tabs."""
    first = text[: text.find("\n")] if "\n" in text else text
    if "," in first:
        return ","
    return max((";", "\t"), key=first.count) if (";" in first or "\t" in first) else ","


def parse_csv(text: str, delimiter: str, file: str, limit: int | None = None):
    """Split CSV text into the header and the rows, keeping row numbers.

    Args:
        text: the decoded file.
        delimiter: the field delimiter.
        file: the file name, for problems.
        limit: stop after this many data rows (for samples).

    Returns:
        ``(header, rows, numbers, problems, blank)``: the header cells (trimmed, NFC;
        None for an empty file), the rows with as many cells as the header, their row
        numbers, a problem per record that could not be read, and the number of blank
        rows skipped.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    blank = number = 0
    while limit is None or len(rows) < limit:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if header is None:
                raise InputError(f"{file}: the header row is not readable CSV: {error}") from None
            problems.append(_csv_problem(error, file, number))
            continue
        joined = "".join(cells)
        if not joined or joined.isspace():
            blank += header is not None
            continue
        if header is None:
            header = [fold_spaces(cell) for cell in cells]
        elif len(cells) != len(header):
            problems.append(_ragged(file, number, len(cells), len(header)))
        else:
            rows.append(cells)
            numbers.append(number)
    return header, rows, numbers, problems, blank


def fold_spaces(text: str) -> str:
    """A header cell as compared and shown: NFC, inner blanks collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _csv_problem(error: csv.Error, file: str, number: int) -> Problem:
    truncated = "end of data" in str(error)
    hint = "the file may be cut inside a quoted value" if truncated else "check the quotes"
    return Problem(f"not readable as CSV: {error}", file=file, row=number, hint=hint)


def _ragged(file: str, number: int, cells: int, expected: int) -> Problem:
    return Problem(
        f"the row has {cells} cells, the header {expected}",
        file=file,
        row=number,
        rule="ragged-row",
        hint="a delimiter or quote inside a value may be unquoted",
    )


def sample_csv(path: Path) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """The header and first rows of a CSV file, and the settings a profile needs.

    Returns:
        ``({"encoding": ..., "delimiter": ...}, header, rows)``.
    """
    data = path.read_bytes()
    try:
        text, encoding = decode(data, path, None), "utf-8"
    except InputError:
        text, encoding = data.decode("cp1258", errors="replace"), "cp1258"
    delimiter = sniff_delimiter(text)
    header, rows, _, _, _ = parse_csv(text, delimiter, str(path), limit=SAMPLE_ROWS)
    if header is None:
        raise InputError(f"{path}: empty file: no header row")
    return {"encoding": encoding, "delimiter": delimiter}, header, rows


# --- The table: header checks, mapping, values ------------------------------------------


def table_result(table: Table, profile: Profile | None, facility: str | None) -> ReadResult:
    """Map a table's columns to canonical fields and build the reader's result."""
    if table.excel:  # (the CSV parser skips blank lines itself)
        table = _drop_blank_rows(table)
    _check_header(table)
    mapping = _map_columns(table, profile)
    _check_required(table, mapping, facility)
    cleaned = table.cells.select(  # one select: polars cleans the columns in parallel
        clean_text(pl.col(f"c{index}")).alias(name) for index, name in mapping.items()
    )
    columns = {
        name: _convert(table, index, cleaned[name], profile) for index, name in mapping.items()
    }
    height = table.cells.height
    frame = pl.DataFrame(
        [columns.get(name, pl.Series(name, [None] * height, pl.String)) for name in NAMES]
    )
    if facility:
        frame = frame.with_columns(pl.col("facility_code").fill_null(pl.lit(facility)))
    frame = frame.with_columns(
        pl.lit(str(table.path)).alias("_file"),
        pl.Series("_row", table.numbers, dtype=pl.Int64),
        _raw_json(table),
    )
    records = frame.height + len(table.problems)
    result = make_result(
        table.path, table.format, frame, table.problems, table.warnings, records, cleaned=True
    )
    result.raw_columns = raw_keys(table.header, table.letters)
    return result


def _drop_blank_rows(table: Table) -> Table:
    if not table.cells.width or not table.cells.height:
        return table
    blank = pl.all_horizontal(
        pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in table.cells.columns
    )
    mask = table.cells.select(blank).to_series()
    count = int(mask.sum())
    if not count:
        return table
    table.cells = table.cells.filter(~mask)
    table.numbers = [n for n, drop in zip(table.numbers, mask.to_list(), strict=True) if not drop]
    table.warnings.append(Problem(f"{count} blank rows skipped", file=table.where))
    return table


def _check_header(table: Table) -> None:
    """Blank headers over data and repeated headers are errors: a value could be lost or
    read into the wrong field."""
    seen: dict[str, str] = {}
    for index, header in enumerate(table.header):
        letter = table.letters[index]
        if not header:
            if _has_values(table.cells.get_column(f"c{index}")):
                raise InputError(
                    f"{table.where}: column {letter} holds values but no header",
                    hint="give every column with values a header (and unmerge header cells)",
                )
            continue
        key = fold_vietnamese(header)
        if key in seen:
            raise InputError(
                f"{table.where}: columns {seen[key]} and {letter} have the same header",
                hint="every column needs its own header",
            )
        seen[key] = letter


def _has_values(column: pl.Series) -> bool:
    return bool((column.str.strip_chars().str.len_chars() > 0).any())


def _map_columns(table: Table, profile: Profile | None) -> dict[int, str]:
    """Column index -> canonical field; headers that map to nothing are one warning."""
    if profile is None:
        known = {name: name for name in NAMES}
    else:
        known = {_key(header, profile): name for header, name in profile.columns}
    mapping: dict[int, str] = {}
    unknown = []
    for index, header in enumerate(table.header):
        name = known.get(_key(header, profile)) if header else None
        if name in mapping.values():
            first = next(table.letters[i] for i, other in mapping.items() if other == name)
            raise InputError(
                f"{table.where}: columns {first} and {table.letters[index]} are both {name}",
                hint="every field needs one column",
            )
        if name is not None:
            mapping[index] = name
        elif header:
            unknown.append(f"{header!r} ({table.letters[index]})")
    _warn_unmapped(table, profile, unknown, set(mapping.values()))
    return mapping


def _key(header: str, profile: Profile | None) -> str:
    """A header as matched: folded; without a profile also ``report id`` = ``report_id``."""
    folded = fold_vietnamese(header)
    return folded if profile else folded.replace(" ", "_").replace("-", "_")


def _warn_unmapped(table: Table, profile, unknown: list[str], mapped: set[str]) -> None:
    if unknown:
        what = "the contract" if profile is None else f"the profile {profile.name}"
        message = f"columns not in {what}, ignored: {', '.join(unknown)}"
        table.warnings.append(Problem(message, file=table.where))
    absent = [h for h, name in profile.columns if name not in mapped] if profile else []
    if absent:
        message = f"profile columns not in the file, read as empty: {', '.join(absent)}"
        table.warnings.append(Problem(message, file=table.where))


def _check_required(table: Table, mapping: dict[int, str], facility: str | None) -> None:
    present = set(mapping.values())
    missing = [name for name in REQUIRED if name not in present]
    if facility and "facility_code" in missing:
        missing.remove("facility_code")
    if missing:
        raise InputError(
            f"{table.where}: no column for {', '.join(missing)}",
            hint="every report needs report_id and facility_code; give the facility "
            "if the file has no facility_code column",
        )


def _convert(table: Table, index: int, series: pl.Series, profile: Profile | None) -> pl.Series:
    """One column's canonical values; dates that fit no format are kept and counted."""
    name = series.name
    dated = name in DATE_FIELDS
    if not (dated or (profile and name in profile.values)):
        return series
    mapping = {}
    for value in series.drop_nulls().unique().to_list():
        converted = _value(value, name, profile, table.excel)
        if converted != value:
            mapping[value] = converted
    if mapping:
        series = series.replace(mapping)
    if dated and profile is not None:
        _count_bad_dates(table, index, series)
    return series


def _value(value: str, name: str, profile: Profile | None, excel: bool) -> str | None:
    if excel and name in DATE_FIELDS:
        match = _EXCEL_DATETIME.fullmatch(value)  # a date cell, read as date and time
        value = match[1] if match else value
    return profile.to_canonical_value(name, value) if profile else value


def _count_bad_dates(table: Table, index: int, series: pl.Series) -> None:
    counts = series.drop_nulls().value_counts()
    bad = sum(n for value, n in counts.iter_rows() if not is_partial_date(value))
    if bad:
        header, letter = table.header[index], table.letters[index]
        table.warnings.append(
            Problem(
                f"{bad} dates in column {header!r} ({letter}) fit none of the profile's "
                "date formats; kept as written",
                file=table.where,
                field=series.name,
                rule="date-format",
            )
        )


_KEY = r'"c\d+":'  # a key of the encoded row object (cells are named c0, c1, ...)


def _raw_json(table: Table) -> pl.Series:
    """Each row's cells as a JSON array in the file's column order (the keys, the header,
    are kept once: ``ReadResult.raw_columns``, stored on the import batch).

    Polars encodes the row as an object keyed by the cell columns' names (``c0``,
    ``c1``...), then the keys are cut out: a quote inside a value is escaped, so the
    pattern meets only keys. (Several times faster than encoding a list column.)"""
    if not table.cells.width:
        return pl.Series("_raw", ["[]"] * table.cells.height, dtype=pl.String)
    encoded = pl.struct(table.cells.columns).struct.json_encode().str.replace_all(_KEY, "")
    inner = encoded.str.strip_prefix("{").str.strip_suffix("}")
    raw = table.cells.select(pl.concat_str([pl.lit("["), inner, pl.lit("]")]).alias("_raw"))
    return raw.to_series()


def raw_keys(header: list[str], letters: list[str]) -> list[str]:
    """Unique keys for the raw record: the header, or ``(column X)`` when it is blank."""
    counts: Counter[str] = Counter()
    keys = []
    for header_cell, letter in zip(header, letters, strict=True):
        key = header_cell or f"(column {letter})"
        counts[key] += 1
        keys.append(key if counts[key] == 1 else f"{key} ({counts[key]})")
    return keys
