"""The registry's denominators: population at risk and the population life table.

``import_population`` reads ``province_code, sex, age_group, year, pyrs`` (the file
``oncoreg synth`` writes, or a census/WPP extract); ``province_code`` may be left out or
blank for a national figure. Codes are read in the era the caller names (``2004``, the 63
provinces before July 2025, by default; or ``2025``) and stored in both eras. Every bad row
is reported (file, row, column) and nothing is written unless the whole file is good; cells
already in the registry are replaced, so a corrected file can be imported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import delete, select, tuple_

from oncoreg.codes.provinces import ERAS, province, to_2025
from oncoreg.errors import InputError, ProblemCollector
from oncoreg.services.cache import by_data_version
from oncoreg.services.csvfiles import read_csv
from oncoreg.stats.rates import AGE_GROUPS
from oncoreg.store.bulk import bulk_insert, read_frame
from oncoreg.store.database import Store
from oncoreg.store.tables import LifeTableCell, PopulationCell

POPULATION_COLUMNS = ("sex", "age_group", "year", "pyrs")
POPULATION_KEY = ("era", "province", "sex", "age_group", "year")
LIFE_TABLE_KEY = ("sex", "age", "year")


@dataclass(frozen=True)
class LoadResult:
    """What an import of a denominator file did."""

    file: str
    rows: int
    inserted: int
    replaced: int


def import_population(store: Store, path: Path, era: str = "2004") -> LoadResult:
    """Import person-years by province, sex, 5-year age group and year.

    Raises:
        InputError: the file has bad rows (all of them are listed) or repeats a cell.
    """
    if era not in ERAS:
        raise InputError(f"{era!r} is not a province era", hint="use --era 2004 or --era 2025")
    frame = _population_frame(path, era)
    return _replace_cells(store, PopulationCell, frame, POPULATION_KEY, str(path))


def import_life_table(store: Store, path: Path) -> LoadResult:
    """Import a life table (``sex, age, year, haz`` or ``qx``) as annual hazards.

    Raises:
        InputError: the file has bad rows (all of them are listed) or repeats a cell.
    """
    from oncoreg.services.survival_files import read_lifetable

    table = read_lifetable(path)
    return _replace_cells(store, LifeTableCell, table.to_frame(), LIFE_TABLE_KEY, str(path))


@by_data_version
def population_frame(store: Store) -> pl.DataFrame:
    """Every population cell in the registry (empty frame when none was imported)."""
    columns = [PopulationCell.__table__.c[n] for n in _population_columns()]
    with store.engine.connect() as connection:
        return read_frame(connection, select(*columns))


@by_data_version
def life_table_frame(store: Store) -> pl.DataFrame:
    """The registry's life table as ``sex, age, year, haz``."""
    t = LifeTableCell.__table__.c
    with store.engine.connect() as connection:
        return read_frame(connection, select(t.sex, t.age, t.year, t.haz))


def _population_columns() -> tuple[str, ...]:
    return ("province_code", "province_code_2004", "sex", "age_group", "year", "pyrs")


def _population_frame(path: Path, era: str) -> pl.DataFrame:
    header, rows = read_csv(path, POPULATION_COLUMNS)
    found = ProblemCollector()
    cells: list[dict] = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows, start=2):
        cell = _population_row(row, number, str(path), era, found)
        if cell is None:
            continue
        key = tuple(cell[k] for k in POPULATION_KEY)
        if key in seen:
            found.add(f"repeats the cell of row {seen[key]}", file=str(path), row=number)
        seen[key] = number
        cells.append(cell)
    found.raise_if_any(
        f"{path}: {len(found.problems)} problem(s); nothing was imported",
        hint="fix the rows listed and import the file again",
    )
    if not cells:
        raise InputError(f"{path}: the file has no rows")
    return pl.DataFrame(cells)


def _population_row(row, number, file, era, found) -> dict | None:
    where = {"file": file, "row": number}
    problems_before = len(found.problems)
    code = row.get("province_code", "")
    new_code = old_code = None
    if code:
        try:
            unit = province(code, era=era)
            code = unit.code
            new_code = to_2025(code) if era == "2004" else code
            old_code = code if era == "2004" else None
        except InputError as err:
            found.add(err.message, field="province_code", **where)
    sex = row["sex"]
    if sex not in ("1", "2"):
        found.add(f"sex {sex!r} is not 1 (male) or 2 (female)", field="sex", **where)
    group = row["age_group"]
    if group not in AGE_GROUPS:
        found.add(
            f"age group {group!r} is not one of {AGE_GROUPS[0]}, {AGE_GROUPS[1]}, ..., "
            f"{AGE_GROUPS[-1]}",
            field="age_group",
            **where,
        )
    year = _number(row["year"], "year", int, found, where)
    pyrs = _number(row["pyrs"], "pyrs", float, found, where)
    if pyrs is not None and not pyrs >= 0:
        found.add(f"person-years {row['pyrs']} are negative", field="pyrs", **where)
    if len(found.problems) > problems_before:
        return None
    return {
        "era": era,
        "province": code,
        "province_code": new_code,
        "province_code_2004": old_code,
        "sex": int(sex),
        "age_group": group,
        "year": year,
        "pyrs": pyrs,
    }


def _number(text: str, column: str, kind, found: ProblemCollector, where: dict):
    try:
        value = kind(text)
    except ValueError:
        found.add(f"{text!r} is not a number", field=column, **where)
        return None
    if kind is float and value != value:
        found.add("is not a number", field=column, **where)
        return None
    return value


def _replace_cells(store: Store, table, frame: pl.DataFrame, key: tuple[str, ...], file: str):
    """Delete the cells the file names, insert the file's: one transaction."""
    columns = [table.__table__.c[k] for k in key]
    keys = list(frame.select(key).iter_rows())
    with store.engine.begin() as connection:
        existing = 0
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            condition = tuple_(*columns).in_(chunk)
            existing += connection.execute(delete(table.__table__).where(condition)).rowcount
        bulk_insert(connection, table.__table__, frame)
    return LoadResult(file, frame.height, frame.height - existing, existing)
