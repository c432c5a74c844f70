"""Mapping profiles: how one hospital's spreadsheet or CSV maps to the canonical report.

A profile is a TOML file. The same profile serves both directions: the readers turn a
hospital's file into canonical reports with it, and ``oncoreg.export.write_xlsx`` writes
canonical reports the way that hospital would. Shipped profiles live in
``oncoreg/ingest/profiles/<name>.toml``; a registry can keep its own anywhere::

    name = "bv-k"                       # id: lower-case letters, digits and hyphens
    description = "Bệnh viện K ..."     # optional
    sheet = "Ca benh"                   # worksheet name (xlsx); default "Sheet1"
    date_format = "%d/%m/%Y"            # full dates; directives %d, %m, %Y only
    month_format = "%m/%Y"              # optional: YYYY-MM dates (default: date_format
                                        #   without %d and the separator next to it)
    year_format = "%Y"                  # optional: YYYY dates (default "%Y")
    encoding = "utf-8"                  # CSV variants; default "utf-8"
    delimiter = ","                     # CSV variants; default ","

    [columns]                           # header as the hospital writes it = canonical
    "Mã BN" = "patient_no"              #   field; the order is the order of the sheet
    "Giới tính" = "sex"

    [values.sex]                        # canonical field -> hospital value = canonical
    "Nam" = "1"                         #   code. The first hospital value listed for a
    "Nữ" = "2"                          #   code is the one written; later ones (e.g.
    "Nu" = "2"                          #   without diacritics) are read only.

``[columns]`` must map ``report_id`` and ``facility_code``, each field at most once.
``[values.<field>]`` tables are for coded fields only (sex, basis, treatments, ...);
dates go through the three formats. Headers must differ after folding (case, diacritics,
``đ``; see :func:`oncoreg.text.fold_vietnamese`) so that a reader can match them in a
file that writes them slightly differently.

Reading matches a hospital value exactly, then by its folded form. A value the profile
does not list passes through unchanged in both directions (the checks then flag it if it
is not a canonical code). Dates are written and read with the three formats, keeping the
precision of partial dates; a text that is not a real date in one of them passes through
unchanged.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from oncoreg.errors import InputError, ProblemCollector
from oncoreg.ingest.canonical import COLUMNS, NAMES, REQUIRED
from oncoreg.text import fold_vietnamese

DATE_FIELDS = frozenset(c.name for c in COLUMNS if c.kind == "partial-date")
CODED_FIELDS = frozenset(c.name for c in COLUMNS if c.kind == "code")
SETTINGS: dict[str, str | None] = {  # key -> default (None: required)
    "name": None,
    "description": "",
    "sheet": "Sheet1",
    "encoding": "utf-8",
    "delimiter": ",",
}
TOP_LEVEL_KEYS = frozenset(SETTINGS) | {
    "date_format",
    "month_format",
    "year_format",
    "columns",
    "values",
}
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_DIRECTIVE = re.compile(r"%(.)")
_GROUPS = {"d": r"(?P<d>\d{1,2})", "m": r"(?P<m>\d{1,2})", "Y": r"(?P<Y>\d{4})"}
_SAMPLE_DATES = ("2001-02-03", "1999-12-31", "2001-02", "1999-12", "2001")


@dataclass(frozen=True)
class DateFormats:
    """The three ways a hospital writes dates: full, month precision, year precision."""

    full: str
    month: str
    year: str

    def format(self, iso: str) -> str:
        """Write a canonical date (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``) the hospital's way;
        any other text is returned unchanged."""
        parts = iso.split("-")
        if not (1 <= len(parts) <= 3 and all(part.isascii() and part.isdigit() for part in parts)):
            return iso
        pattern = (self.year, self.month, self.full)[len(parts) - 1]
        values = dict(zip("Ymd", parts, strict=False))
        return _DIRECTIVE.sub(lambda m: values.get(m[1], m[0]), pattern)

    def parse(self, text: str) -> str:
        """Read a hospital date into the canonical form, keeping its precision; text that
        fits none of the three formats is returned unchanged."""
        for pattern in (self.full, self.month, self.year):
            match = _regex(pattern).fullmatch(text.strip())
            if match:
                parts = [match.groupdict().get(key) for key in "Ymd"]
                if not _is_real(*parts):
                    return text
                return "-".join(part.zfill(2) for part in parts if part)
        return text


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    pieces, last = [], 0
    for match in _DIRECTIVE.finditer(pattern):
        pieces.append(re.escape(pattern[last : match.start()]))
        pieces.append(_GROUPS.get(match[1], re.escape(match[0])))
        last = match.end()
    pieces.append(re.escape(pattern[last:]))
    return re.compile("".join(pieces))


def _is_real(year: str, month: str | None, day: str | None) -> bool:
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Profile:
    """One hospital's mapping profile (see the module docstring for the file format).

    Attributes:
        name: the profile's id.
        description: what the profile is for.
        sheet: worksheet name in xlsx files.
        dates: how dates are written.
        encoding: text encoding of CSV variants.
        delimiter: field delimiter of CSV variants.
        columns: (hospital header, canonical field) pairs, in sheet order.
        values: canonical field -> {hospital value: canonical code}, in file order.
        source: where the profile was read from (for messages).
    """

    name: str
    description: str
    sheet: str
    dates: DateFormats
    encoding: str
    delimiter: str
    columns: tuple[tuple[str, str], ...]
    values: Mapping[str, Mapping[str, str]]
    source: str = ""
    _written: Mapping[str, Mapping[str, str]] = field(init=False, repr=False, compare=False)
    _folded: Mapping[str, Mapping[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        written = {
            name: {code: value for value, code in reversed(table.items())}
            for name, table in self.values.items()
        }
        folded = {
            name: {fold_vietnamese(value): code for value, code in table.items()}
            for name, table in self.values.items()
        }
        object.__setattr__(self, "_written", MappingProxyType(written))
        object.__setattr__(self, "_folded", MappingProxyType(folded))

    @property
    def headers(self) -> list[str]:
        """The hospital's column headers, in sheet order."""
        return [header for header, _ in self.columns]

    @property
    def fields(self) -> list[str]:
        """The canonical fields the profile maps, in sheet order."""
        return [name for _, name in self.columns]

    def header_for(self, name: str) -> str | None:
        """The hospital's header of a canonical field, or None if the profile lacks it."""
        return next((header for header, target in self.columns if target == name), None)

    def to_hospital_value(self, name: str, canonical: str | None) -> str | None:
        """A canonical value of field ``name`` as the hospital writes it.

        Dates are formatted with the profile's date formats; coded values are mapped with
        ``[values.<name>]`` (the first hospital value listed for a code); anything else
        is returned unchanged.
        """
        if canonical is None:
            return None
        if name in DATE_FIELDS:
            return self.dates.format(canonical)
        table = self._written.get(name)
        return table.get(canonical, canonical) if table else canonical

    def to_canonical_value(self, name: str, hospital: str | None) -> str | None:
        """A hospital's value of field ``name`` as a canonical value (the inverse of
        :meth:`to_hospital_value`); blank cells give None."""
        if hospital is None or not hospital.strip():
            return None
        if name in DATE_FIELDS:
            return self.dates.parse(hospital)
        table = self.values.get(name)
        if not table:
            return hospital
        if hospital in table:
            return table[hospital]
        return self._folded[name].get(fold_vietnamese(hospital), hospital)


def shipped_profiles() -> list[str]:
    """The names of the profiles shipped with oncoreg, sorted."""
    folder = resources.files("oncoreg.ingest").joinpath("profiles")
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def load_profile(path_or_name: str | Path) -> Profile:
    """Read and check a mapping profile.

    Args:
        path_or_name: a path to a ``.toml`` file, or the name of a shipped profile
            (see :func:`shipped_profiles`).

    Returns:
        The profile.

    Raises:
        InputError: the file is missing or not TOML, or the profile is not valid; each
            problem names the file and the key.
    """
    source, text = _read(path_or_name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{source}: not valid TOML: {error}") from None
    return parse_profile(data, source)


def _read(path_or_name: str | Path) -> tuple[str, str]:
    path = Path(path_or_name)
    if isinstance(path_or_name, Path) or path.suffix == ".toml" or len(path.parts) > 1:
        if not path.is_file():
            raise InputError(f"{path}: no such profile file")
        return str(path), _decode(path.read_bytes(), str(path))
    name = str(path_or_name)
    if name not in shipped_profiles():
        raise InputError(
            f"no shipped mapping profile named {name!r}",
            hint=f"shipped profiles: {', '.join(shipped_profiles())}; or give a .toml path",
        )
    resource = resources.files("oncoreg.ingest").joinpath("profiles", f"{name}.toml")
    return f"profiles/{name}.toml", _decode(resource.read_bytes(), name)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as Notepad writes, is fine
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text", hint="save the profile as UTF-8") from None


def parse_profile(data: Mapping[str, object], source: str = "<profile>") -> Profile:
    """Check the parsed TOML of a profile and build the :class:`Profile`.

    Args:
        data: the TOML document as a mapping.
        source: the file name, for messages.

    Raises:
        InputError: every problem found, each with the file and the key.
    """
    problems = ProblemCollector()

    def problem(key: str, message: str) -> None:
        problems.add(message, file=source, field=key)

    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problem(key, "unknown key")
    settings = _settings(data, problem)
    dates = _date_formats(data, problem)
    columns = _columns(data.get("columns"), problem)
    values = _values(data.get("values"), {target for _, target in columns}, problem)
    if problems or dates is None:
        details = "; ".join(str(p) for p in problems.problems)
        problems.raise_if_any(f"mapping profile {source} is not valid: {details}")
    return Profile(
        **settings,
        dates=dates,
        columns=tuple(columns),
        values=MappingProxyType({k: MappingProxyType(v) for k, v in values.items()}),
        source=source,
    )


def _settings(data: Mapping[str, object], problem) -> dict[str, str]:
    settings = {}
    for key, default in SETTINGS.items():
        value = data.get(key, default)
        check, message = _CHECKS.get(key, (None, ""))
        if value is None:
            problem(key, "missing")
        elif not isinstance(value, str):
            problem(key, "must be a text")
        elif check and not check(value):
            problem(key, message)
        else:
            settings[key] = value
    return settings


def _text(data: Mapping[str, object], key: str, default: str, problem) -> str | None:
    value = data.get(key, default)
    if isinstance(value, str):
        return value
    problem(key, "must be a text")
    return None


def _is_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


_CHECKS = {
    "name": (_NAME.fullmatch, "use lower-case letters, digits and hyphens"),
    "sheet": (
        lambda sheet: 0 < len(sheet) <= 31 and not _SHEET_FORBIDDEN.search(sheet),
        "an Excel sheet name has 1 to 31 characters, none of []:*?/\\",
    ),
    "encoding": (_is_encoding, "unknown text encoding"),
    "delimiter": (lambda delimiter: len(delimiter) == 1, "must be one character"),
}


def _date_formats(data: Mapping[str, object], problem) -> DateFormats | None:
    full = _text(data, "date_format", "%Y-%m-%d", problem)
    if full is None or not _directives_ok(full, "dmY", "date_format", problem):
        return None
    month = _text(data, "month_format", _without_day(full), problem)
    year = _text(data, "year_format", "%Y", problem)
    if month is None or not _directives_ok(month, "mY", "month_format", problem):
        return None
    if year is None or not _directives_ok(year, "Y", "year_format", problem):
        return None
    formats = DateFormats(full, month, year)
    for sample in _SAMPLE_DATES:
        if formats.parse(formats.format(sample)) != sample:
            problem("date_format", "the date formats are ambiguous: dates would not read back")
            return None
    return formats


def _directives_ok(pattern: str, wanted: str, key: str, problem) -> bool:
    found = _DIRECTIVE.findall(pattern)
    if sorted(found) != sorted(wanted):
        expected = ", ".join(f"%{d}" for d in wanted)
        problem(key, f"must use {expected} once each and no other % directive")
        return False
    return True


def _without_day(full: str) -> str:
    """``%d/%m/%Y`` -> ``%m/%Y``; ``%Y-%m-%d`` -> ``%Y-%m``: drop %d and one separator."""
    index = full.index("%d")
    before, after = full[:index], full[index + 2 :]
    if after and not after.startswith("%"):
        return before + after[1:]
    if before and not before.endswith("%"):
        return before[:-1] + after
    return before + after


def _columns(table: object, problem) -> list[tuple[str, str]]:
    if not isinstance(table, dict) or not table:
        problem("columns", "missing: a [columns] table of header = canonical field")
        return []
    columns, seen, headers = [], {}, {}
    for header, target in table.items():
        key = f"columns.{header}"
        if not header.strip():
            problem(key, "blank header")
            continue
        if not isinstance(target, str) or target not in NAMES:
            problem(key, "unknown canonical field (see oncoreg.ingest.canonical.NAMES)")
            continue
        if target in seen:
            problem(key, f"duplicate target: {seen[target]!r} also maps to {target}")
            continue
        folded = fold_vietnamese(header)
        if folded in headers:
            problem(key, f"header equals {headers[folded]!r} but for case or diacritics")
            continue
        seen[target], headers[folded] = header, header
        columns.append((header, target))
    for required in REQUIRED:
        if required not in seen and columns:
            problem("columns", f"no column for the required field {required}")
    return columns


def _values(table: object, mapped: set[str], problem) -> dict[str, dict[str, str]]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        problem("values", "must be a table of [values.<canonical field>] tables")
        return {}
    values = {}
    for name, codes in table.items():
        key = f"values.{name}"
        if name not in CODED_FIELDS:
            problem(key, "not a coded canonical field (dates use the date formats)")
        elif name not in mapped:
            problem(key, "the profile has no column for this field")
        elif not isinstance(codes, dict) or not all(isinstance(v, str) for v in codes.values()):
            problem(key, 'must be a table of "hospital value" = "canonical code" texts')
        elif _fold_conflict(codes):
            problem(key, f"{_fold_conflict(codes)!r} and a look-alike map to different codes")
        else:
            values[name] = dict(codes)
    return values


def _fold_conflict(codes: dict[str, str]) -> str | None:
    seen: dict[str, str] = {}
    for value, code in codes.items():
        folded = fold_vietnamese(value)
        if seen.setdefault(folded, code) != code:
            return value
    return None
