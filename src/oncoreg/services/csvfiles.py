"""Reading and writing the small CSV files that registrars exchange."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from oncoreg.errors import InputError


def read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[dict[str, str]]]:
    """Read a UTF-8 CSV (with or without BOM) into its header and rows, values NFC-trimmed.

    Raises:
        InputError: the file is missing, is not UTF-8, or lacks required columns.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line} is not UTF-8 text", hint="save the file as CSV UTF-8"
        ) from None
    reader = csv.DictReader(text.splitlines(), strict=False)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}",
            hint=f"the header must name {', '.join(required)}",
        )
    rows = [{k: clean(v) for k, v in row.items() if k is not None} for row in reader]
    return header, rows


def clean(value: str | list | None) -> str:
    """NFC, trimmed, inner whitespace collapsed; None and extra cells become ''."""
    if value is None or isinstance(value, list):
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split())


def write_csv(path: Path, header: list[str], rows: list[dict[str, object]]) -> None:
    """Write rows atomically: to a temporary file first, then renamed into place."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
