"""Loading of the code tables shipped in ``oncoreg/codes/data``.

Each table is a UTF-8, tab-separated file with a header row. Its source, version and
licence are recorded next to it in ``data/SOURCES.toml``. A registry can point
``ONCOREG_CODES_DIR`` at a folder of its own official dictionary files: a file there with
the same name and columns replaces the shipped one. Tables are read on first use and
cached; lookups are dictionary lookups.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from oncoreg.errors import InputError, UnknownCode

DATA_PACKAGE = "oncoreg.codes.data"


@dataclass(frozen=True)
class TableSource:
    """Where a table came from: shipped (with its recorded source) or a registry override."""

    name: str
    source: str
    version: str
    licence: str
    path: str
    overridden: bool = False


def _override_dir() -> Path | None:
    from oncoreg.settings import get_settings

    return get_settings().codes_dir


def _read_text(name: str) -> tuple[str, str, bool]:
    override = _override_dir()
    if override is not None and (override / name).is_file():
        path = override / name
        return path.read_text(encoding="utf-8-sig"), str(path), True
    ref = resources.files(DATA_PACKAGE).joinpath(name)
    return ref.read_text(encoding="utf-8"), f"oncoreg/codes/data/{name}", False


@cache
def sources() -> dict[str, dict[str, str]]:
    """The provenance record of every shipped table, keyed by file name."""
    text = resources.files(DATA_PACKAGE).joinpath("SOURCES.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["tables"]


@cache
def read_rows(
    name: str, required: tuple[str, ...]
) -> tuple[tuple[dict[str, str], ...], TableSource]:
    """All rows of a table as dicts, after checking its header has the required columns."""
    text, origin, overridden = _read_text(name)
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            f"{origin}: code table lacks column(s) {', '.join(missing)}",
            hint=f"a {name} table needs the columns {', '.join(required)}",
        )
    rows = tuple({k: (v or "").strip() for k, v in row.items() if k} for row in reader)
    meta = sources().get(name, {})
    source = TableSource(
        name=name,
        source="registry dictionary" if overridden else meta.get("source", ""),
        version="" if overridden else meta.get("version", ""),
        licence="" if overridden else meta.get("licence", ""),
        path=origin,
        overridden=overridden,
    )
    return rows, source


def clear_caches() -> None:
    """Forget loaded tables (after the codes_dir setting changed)."""
    from oncoreg.settings import get_settings

    get_settings.cache_clear()
    sources.cache_clear()
    read_rows.cache_clear()
    for hook in _CACHE_HOOKS:
        hook()


_CACHE_HOOKS: list = []


def register_cache(fn):
    """Decorator: a cached table-building function, cleared with :func:`clear_caches`."""
    cached = cache(fn)
    _CACHE_HOOKS.append(cached.cache_clear)
    return cached


@dataclass(frozen=True)
class CodedValue:
    """A small coded item (grade, behaviour, basis of diagnosis) with vi/en labels."""

    code: str
    label_en: str
    label_vi: str


def coded_table(name: str) -> dict[str, CodedValue]:
    """A small code -> label table with the columns code, label_en, label_vi."""
    rows, _ = read_rows(name, ("code", "label_en", "label_vi"))
    return {r["code"]: CodedValue(r["code"], r["label_en"], r["label_vi"]) for r in rows}


def lookup_coded(table: dict[str, CodedValue], kind: str, value: str | int) -> CodedValue:
    """Look up a small coded item, raising UnknownCode that lists the valid codes."""
    key = str(value).strip()
    if key not in table:
        raise UnknownCode(kind, key, list(table))
    return table[key]
