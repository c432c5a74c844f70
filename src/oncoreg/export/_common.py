"""Steps every exporter shares: check the report frame, order it, group it by patient.

A patient, for an export, is one facility's patient: the reports of one ``facility_code``
with the same ``patient_no``, or, when ``patient_no`` is empty, the single report itself
(keyed by its ``report_id``). Linking patients across facilities is the registry's job
(``link/``), not an exporter's. Rows are sorted by facility, patient and report, so the
output does not depend on the order of the input rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from oncoreg.errors import InputError, Problem
from oncoreg.ingest.canonical import NAMES, REQUIRED
from oncoreg.text import split_full_name as vn_split_full_name

Row = dict[str, str | None]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# C0 control characters but tab, line feed and carriage return, DEL, and the
# noncharacters U+FFFE and U+FFFF: not allowed in XML 1.0 (or, DEL, to be avoided) and
# not to be used in FHIR strings; no real report value needs them.
CONTROL_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]"
_CONTROL = re.compile(CONTROL_CHARACTERS)
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_PORTS = tuple(f"{port}{number}" for port in ("COM", "LPT") for number in range(10))
_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", *_PORTS})  # reserved names on Windows
_PATIENT_KIND = "_patient_kind"
_PATIENT_KEY = "_patient_key"


@dataclass(frozen=True)
class PatientGroup:
    """The reports of one patient at one facility, sorted by ``report_id``.

    Attributes:
        facility_code: the reporting facility.
        kind: ``"mrn"`` when keyed by ``patient_no``, ``"report"`` when by ``report_id``.
        key: the ``patient_no`` or the ``report_id``.
        rows: the patient's reports, every canonical column present (None when unknown).
    """

    facility_code: str
    kind: str
    key: str
    rows: list[Row]

    @property
    def label(self) -> str:
        """The patient key with its kind, e.g. ``mrn.12345`` or ``report.R-7``."""
        return f"{self.kind}.{self.key}"


def clean(value: object) -> str | None:
    """One cell as the exporters read it: text without control characters or surrounding
    blanks, None if empty."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value)).strip()
    return text or None


def prepare(reports: pl.DataFrame) -> pl.DataFrame:
    """Check and normalise a canonical report frame for export.

    Every canonical column must be present (others are dropped); values are cast to text,
    cleared of control characters (see :func:`clean`) and surrounding blanks, and empty
    strings become null.

    Raises:
        InputError: a canonical column is missing, a row lacks ``report_id`` or
            ``facility_code``, or a ``report_id`` repeats within a facility.
    """
    missing = [name for name in NAMES if name not in reports.columns]
    if missing:
        raise InputError(
            f"the report frame lacks canonical columns: {', '.join(missing)}",
            hint="see oncoreg.ingest.canonical.NAMES",
        )
    frame = reports.select(
        pl.col(name)
        .cast(pl.String)
        .str.replace_all(CONTROL_CHARACTERS, "")
        .str.strip_chars()
        .replace("", None)
        for name in NAMES
    )
    _check_keys(frame)
    return frame


def _check_keys(frame: pl.DataFrame) -> None:
    problems = [
        Problem("required value is empty", row=row + 1, field=name)
        for name in REQUIRED
        for row in frame.select(pl.arg_where(pl.col(name).is_null())).to_series().to_list()
    ]
    if problems:
        raise InputError(
            f"{len(problems)} required values are empty",
            hint="every report needs report_id and facility_code",
            problems=sorted(problems, key=lambda p: (p.row or 0, p.field or "")),
        )
    duplicated = frame.select(pl.struct(list(REQUIRED)).is_duplicated()).to_series()
    rows = [i + 1 for i in duplicated.arg_true().to_list()]
    if rows:
        raise InputError(
            f"{len(rows)} rows repeat a report_id of their facility",
            hint="report_id must be unique per facility",
            problems=[Problem("duplicate report_id", row=r, field="report_id") for r in rows],
        )


def sort_by_patient(frame: pl.DataFrame) -> pl.DataFrame:
    """Order a prepared frame by facility, patient and report, with the patient key added."""
    return frame.with_columns(
        pl.when(pl.col("patient_no").is_null())
        .then(pl.lit("report"))
        .otherwise(pl.lit("mrn"))
        .alias(_PATIENT_KIND),
        pl.coalesce("patient_no", "report_id").alias(_PATIENT_KEY),
    ).sort(["facility_code", _PATIENT_KIND, _PATIENT_KEY, "report_id"])


def patient_labels(frame: pl.DataFrame) -> list[tuple[str, str]]:
    """``(facility_code, label)`` of each patient of a prepared frame, in group order (see
    :attr:`PatientGroup.label`), without building the groups."""
    label = pl.concat_str([_PATIENT_KIND, _PATIENT_KEY], separator=".")
    patients = sort_by_patient(frame).select("facility_code", label.alias("label"))
    return patients.unique(maintain_order=True).rows()


def patient_groups(frame: pl.DataFrame) -> Iterator[PatientGroup]:
    """Yield the patients of a prepared frame in a stable order (see the module docstring)."""
    group: PatientGroup | None = None
    for row in sort_by_patient(frame).iter_rows(named=True):
        kind, key = row.pop(_PATIENT_KIND), row.pop(_PATIENT_KEY)
        if group and (group.facility_code, group.kind, group.key) == (
            row["facility_code"],
            kind,
            key,
        ):
            group.rows.append(row)
            continue
        if group:
            yield group
        group = PatientGroup(row["facility_code"], kind, key, [row])
    if group:
        yield group


def group_rows(rows: Iterable[Row]) -> PatientGroup:
    """Make one patient group of loose rows (cleaned and sorted); all must share the key.

    Raises:
        InputError: no rows, a row lacks a required value, or rows of several patients.
    """
    cleaned = [{name: clean(row.get(name)) for name in NAMES} for row in rows]
    if not cleaned:
        raise InputError("no reports given for the patient")
    keys = set()
    for number, row in enumerate(cleaned, start=1):
        for name in REQUIRED:
            if row[name] is None:
                raise InputError("required value is empty", problems=[_problem(number, name)])
        keys.add((row["facility_code"], row["patient_no"] or f"\x00{row['report_id']}"))
    if len(keys) > 1:
        raise InputError("the reports belong to more than one patient or facility")
    first = cleaned[0]
    kind = "mrn" if first["patient_no"] else "report"
    key = first["patient_no"] or first["report_id"]
    cleaned.sort(key=lambda row: row["report_id"] or "")
    return PatientGroup(first["facility_code"] or "", kind, key or "", cleaned)


def _problem(row: int, name: str) -> Problem:
    return Problem("required value is empty", row=row, field=name)


def first_value(rows: list[Row], name: str) -> str | None:
    """The first non-empty value of a column over a patient's rows (in report order)."""
    for row in rows:
        if row[name] is not None:
            return row[name]
    return None


def split_full_name(full_name: str) -> tuple[str | None, str | None, str | None]:
    """Split a Vietnamese full name (family name first) into family, middle and given, as
    the importer reads it (:func:`oncoreg.text.split_full_name`: compound family names such
    as ``Tôn Nữ`` recognised); missing parts are None."""
    return tuple(part or None for part in vn_split_full_name(full_name))


def name_parts(row: Row) -> tuple[str | None, str | None, str | None]:
    """Family, middle and given name of a row: the parts if any is given, else the split
    full name."""
    parts = (row["family_name"], row["middle_name"], row["given_name"])
    if any(parts) or not row["full_name"]:
        return parts
    return split_full_name(row["full_name"])


def latest_contact(rows: list[Row]) -> Row:
    """The report with the latest ``last_contact_date`` (the last report on a tie)."""
    return max(reversed(rows), key=lambda row: row["last_contact_date"] or "")


@lru_cache(maxsize=65536)  # a registry's dates repeat: a look-up beats the regex
def is_partial_date(value: str | None) -> bool:
    """Whether ``value`` is a real date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    match = _DATE.fullmatch(value) if value else None
    if not match:
        return False
    year, month, day = (int(part) if part else None for part in match.groups())
    if not year or (month is not None and not 1 <= month <= 12):
        return False
    if day is None or month is None:
        return True
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= _DAYS[month - 1] - (month == 2 and not leap)


def sha1_hex(*parts: str) -> str:
    """The SHA-1 hex digest of parts joined by a unit separator (never in real codes)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def safe_name(text: str) -> str:
    """A name for a file or folder that every file system takes: ``text`` itself when it
    is plain ASCII (letters, digits, ``._-``, not ending in a dot, not a reserved Windows
    device name such as ``CON``), else ``h-`` + its SHA-1."""
    device = text.split(".")[0].upper()
    if _SAFE_NAME.fullmatch(text) and not text.endswith(".") and device not in _DEVICES:
        return text
    return "h-" + sha1_hex(text)[:40]


def unique_names(names: dict[str, str]) -> dict[str, str]:
    """Make names unique on case-insensitive file systems (``A`` and ``a`` collide there).

    Args:
        names: key -> proposed name.

    Returns:
        key -> name, where names equal but for case get a suffix from the key's hash.
    """
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    return {
        key: name if counts[name.casefold()] == 1 else f"{name}-{sha1_hex(key)[:8]}"
        for key, name in names.items()
    }
