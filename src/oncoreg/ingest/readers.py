"""Readers of hospital reports: every format becomes the same canonical report frame.

:func:`read_reports` reads one file (or a folder of FHIR bundles) in one of four formats
and returns a :class:`ReadResult`: a frame with the canonical report columns
(``oncoreg.ingest.canonical.NAMES``, all text, null for unknown) plus where each row came
from (``_file``, ``_row``) and the source record as read (``_raw``, compact JSON, for the
registry's raw store).

No record is ever lost in silence: a record that cannot become a row (a ragged CSV line,
a report without ``report_id``, an invalid FHIR bundle) is a :class:`~oncoreg.errors.Problem`
with its file and row, and ``records == frame.height + len(problems)`` always holds. What
is read but left out (unknown columns, FHIR resource types, NAACCR items) is reported in
``warnings``, by name and count only. A file that cannot be read at all (not UTF-8, no
header, broken XML) raises :class:`~oncoreg.errors.InputError`.

Messages never hold a person's data: they name files, rows, columns, items and rules.

The formats (one module each): ``read_csv`` (canonical CSV, or a hospital's CSV through a
mapping profile), ``read_xlsx`` (Excel through a profile, or with canonical headers),
``read_fhir`` (FHIR R4 mCODE bundles) and ``read_naaccr`` (NAACCR XML).
:func:`suggest_profile` drafts a mapping profile from a hospital file's header row.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from oncoreg.errors import InputError, Problem
from oncoreg.ingest.canonical import NAMES
from oncoreg.ingest.profiles import DATE_FIELDS, Profile
from oncoreg.text import fold_vietnamese

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "fhir", "naaccr")
SCHEMA: dict[str, pl.DataType] = {
    **{name: pl.String() for name in NAMES},
    "_file": pl.String(),
    "_row": pl.Int64(),
    "_raw": pl.String(),
}
BUNDLE_SUFFIXES = (".json", ".ndjson")
_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".json": "fhir",
    ".ndjson": "fhir",
    ".xml": "naaccr",
}
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


@dataclass
class ReadResult:
    """What a reader made of one file.

    Attributes:
        path: the file or folder read.
        format: ``csv``, ``xlsx``, ``fhir`` or ``naaccr``.
        frame: the canonical columns (text, null = unknown, in ``NAMES`` order), then
            ``_file`` (the file, for NDJSON ``file:line``), ``_row`` (spreadsheet row
            number with the header as 1; FHIR: the ``Bundle.entry`` index; NAACCR: the
            Tumor's ordinal in the file) and ``_raw`` (the source record as compact JSON:
            for CSV and Excel an array of the row's cells in column order, whose keys are
            ``raw_columns``; for FHIR and NAACCR the record's own structure).
        problems: records that could not become a row, with file and row.
        warnings: what was read but left out or kept as given (names and counts only).
        records: records seen (rows, Conditions, Tumors): ``frame.height + len(problems)``.
        raw_columns: the keys of the CSV and Excel raw arrays: the header (a blank header
            cell as ``(column X)``); None for the other formats.
    """

    path: Path
    format: str
    frame: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    records: int = 0
    raw_columns: list[str] | None = None


# --- Shared by the format readers -------------------------------------------------------


def to_json(value: object) -> str:
    """Compact JSON, UTF-8 as written (the ``_raw`` column)."""
    return _JSON.encode(value)


def named_cells(raw: str, keys: list[str]) -> dict[str, object]:
    """A CSV or Excel report's raw record (its cells as a JSON array) with each cell
    named by its key in ``raw_columns``."""
    return dict(zip(keys, json.loads(raw), strict=True))


def frame_of_rows(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A frame of row dicts holding canonical fields and ``_file``, ``_row``, ``_raw``."""
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else empty_frame()


class RowBuffer:
    """Rows collected as dicts and turned into a frame every ``size`` rows, so that memory
    holds the compact frame, not millions of dicts."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.pending: list[dict[str, object]] = []
        self.frames: list[pl.DataFrame] = []

    def append(self, row: dict[str, object]) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.size:
            self.frames.append(frame_of_rows(self.pending))
            self.pending = []

    def __len__(self) -> int:
        return sum(frame.height for frame in self.frames) + len(self.pending)

    def frame(self) -> pl.DataFrame:
        """All the rows, in the order appended."""
        return pl.concat([*self.frames, frame_of_rows(self.pending)])


def empty_frame() -> pl.DataFrame:
    """A result frame without rows."""
    return pl.DataFrame(schema=SCHEMA)


def clean_text(column: pl.Expr) -> pl.Expr:
    """Text as the readers keep it: Unicode NFC, trimmed, empty as null."""
    return column.cast(pl.String).str.normalize("NFC").str.strip_chars().replace("", None)


def make_result(
    path: Path,
    fmt: str,
    frame: pl.DataFrame,
    problems: list[Problem],
    warnings: list[Problem],
    records: int,
    cleaned: bool = False,
) -> ReadResult:
    """Normalise a reader's frame (unless its text is ``cleaned`` already, see
    :func:`clean_text`) and move rows without ``report_id`` or ``facility_code`` to the
    problems (they cannot be identified, so they cannot be stored)."""
    frame = frame.select(
        *(pl.col(name) if cleaned else clean_text(pl.col(name)).alias(name) for name in NAMES),
        pl.col("_file").cast(pl.String),
        pl.col("_row").cast(pl.Int64),
        pl.col("_raw").cast(pl.String),
    )
    missing = pl.col("report_id").is_null() | pl.col("facility_code").is_null()
    unidentified = frame.filter(missing).select("_file", "_row", "report_id").rows()
    problems = problems + [_unidentified(*row) for row in unidentified]
    frame = frame.filter(~missing)
    logger.info("read %d reports from %s (%s; %d problems)", frame.height, path, fmt, len(problems))
    return ReadResult(path, fmt, frame, problems, warnings, records)


def _unidentified(file: str, row: int, report_id: str | None) -> Problem:
    name = "report_id" if report_id is None else "facility_code"
    return Problem(
        f"{name} is empty: the report cannot be identified",
        file=file,
        row=row,
        field=name,
        rule="required",
        hint="every report needs report_id and facility_code"
        + ("" if name == "report_id" else " (or give the facility)"),
    )


def counted(message: str, counts: Counter[str], file: str, **where: object) -> Problem:
    """One warning listing names with their counts, e.g. ``Foo (2), Bar (1)`` (a count
    without a name is shown alone)."""
    listed = ", ".join(
        f"{name} ({count})" if name else str(count) for name, count in sorted(counts.items())
    )
    return Problem(f"{message}: {listed}", file=file, **where)  # type: ignore[arg-type]


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --- Format detection and dispatch ------------------------------------------------------


def detect_format(path: Path) -> str:
    """The format of a report file: ``csv``, ``xlsx``, ``fhir`` or ``naaccr``.

    A zip (xlsx) or OLE (xls) container is recognised by its first bytes; otherwise the
    extension decides (``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm``/``.xls``,
    ``.json``/``.ndjson``, ``.xml``); otherwise the text: ``{`` is FHIR JSON, ``<`` is
    XML (NAACCR), anything else CSV. A folder is a folder of FHIR bundles.

    Args:
        path: the file, or a folder of FHIR bundle files.

    Raises:
        InputError: the path does not exist, or is a folder without ``.json`` or
            ``.ndjson`` files.
    """
    path = Path(path)
    if path.is_dir():
        if any(bundle_files(path)):
            return "fhir"
        raise InputError(f"{path}: a folder without FHIR bundle files (.json, .ndjson)")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "xlsx"
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix:
        return by_suffix
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        return "fhir"
    return "naaccr" if text.startswith(b"<") else "csv"


def bundle_files(folder: Path) -> Iterable[Path]:
    """The FHIR bundle files of a folder, recursively, sorted."""
    found = (p for p in folder.rglob("*") if p.suffix.lower() in BUNDLE_SUFFIXES)
    return sorted(p for p in found if p.is_file())


def read_reports(
    path: Path,
    format: str = "auto",
    profile: Profile | None = None,
    facility: str | None = None,
) -> ReadResult:
    """Read hospital reports into canonical report rows.

    Args:
        path: a CSV, Excel, FHIR (``.json`` bundle, ``.ndjson`` of bundles, or a folder
            of them) or NAACCR XML file.
        format: ``auto`` (see :func:`detect_format`), ``csv``, ``xlsx``, ``fhir`` or
            ``naaccr``.
        profile: the hospital's mapping profile, for CSV and Excel files written the
            hospital's way; without one, the header must use the canonical column names.
        facility: the reporting facility's code, for reports that do not carry it (a
            CSV without ``facility_code``, FHIR or NAACCR without the facility).

    Returns:
        The rows, the records that could not be read (problems) and warnings.

    Raises:
        InputError: the file cannot be read at all (missing, not UTF-8 and no profile
            encoding, no header, a required column missing, malformed XML, ...).
    """
    path = Path(path)
    fmt = detect_format(path) if format == "auto" else format
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}", hint=f"use one of {FORMATS}")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    facility = " ".join((facility or "").split()) or None
    result = _reader(fmt)(path, profile, facility)
    if profile is not None and fmt in ("fhir", "naaccr"):
        message = f"the mapping profile applies to CSV and Excel files; not used for {fmt}"
        result.warnings.insert(0, Problem(message, file=str(path)))
    return result


def _reader(fmt: str) -> Callable[[Path, Profile | None, str | None], ReadResult]:
    if fmt == "csv":
        from oncoreg.ingest.read_csv import read_csv as reader
    elif fmt == "xlsx":
        from oncoreg.ingest.read_xlsx import read_xlsx as reader
    elif fmt == "fhir":
        from oncoreg.ingest.read_fhir import read_fhir as reader
    else:
        from oncoreg.ingest.read_naaccr import read_naaccr as reader
    return reader


# --- Drafting a mapping profile ---------------------------------------------------------

SYNONYMS: dict[str, tuple[str, ...]] = {  # canonical field -> headers hospitals use
    "report_id": (
        *("Số phiếu báo cáo", "Số phiếu", "STT phiếu", "So BC", "Mã phiếu", "Mã báo cáo"),
        *("Report ID", "Report no", "Report number"),
    ),
    "facility_code": (
        *("Mã cơ sở KCB", "Mã CSKCB", "Mã bệnh viện", "Mã BV", "Mã cơ sở", "Mã đơn vị"),
        *("Facility", "Facility code", "Hospital code"),
    ),
    "patient_no": (
        *("Mã BN", "Mã bệnh nhân", "Số hồ sơ", "Số bệnh án", "Mã y tế", "Mã người bệnh"),
        *("MRN", "Patient no", "Patient number", "Patient ID", "Medical record number"),
    ),
    "full_name": (
        *("Họ và tên", "Họ tên", "Tên bệnh nhân", "Họ và tên bệnh nhân", "Họ tên người bệnh"),
        *("Full name", "Name", "Patient name"),
    ),
    "family_name": ("Họ", "Family name", "Last name", "Surname"),
    "middle_name": ("Tên đệm", "Tên lót", "Middle name"),
    "given_name": ("Tên", "Given name", "First name"),
    "sex": ("Giới tính", "Giới", "Phái", "Sex", "Gender"),
    "birth_date": (
        *("Ngày sinh", "Ngày tháng năm sinh", "Ngày/tháng/năm sinh"),
        *("DOB", "Date of birth", "Birth date", "Birthdate"),
    ),
    "age_at_diagnosis": (
        *("Tuổi", "Tuổi khi chẩn đoán", "Tuổi lúc chẩn đoán", "Age", "Age at diagnosis"),
    ),
    "national_id": (
        *("Số CCCD", "CCCD", "CMND/CCCD", "CMND", "Số CMND", "Số căn cước", "Căn cước"),
        *("National ID", "Citizen ID", "ID number"),
    ),
    "insurance_no": (
        *("Số thẻ BHYT", "Mã thẻ BHYT", "BHYT", "Số BHYT", "Mã BHYT"),
        *("Insurance no", "Insurance number", "Health insurance number"),
    ),
    "phone": ("Điện thoại", "SĐT", "SĐT liên hệ", "Số điện thoại", "Phone", "Telephone", "Mobile"),
    "province_code": ("Mã tỉnh", "Mã tỉnh/TP", "Mã tỉnh/thành phố", "Province", "Province code"),
    "address": ("Địa chỉ", "Địa chỉ thường trú", "Nơi cư trú", "Address"),
    "diagnosis_date": (
        *("Ngày chẩn đoán", "Ngày chẩn đoán xác định", "Ngày CĐ"),
        *("Date of diagnosis", "Diagnosis date", "Incidence date"),
    ),
    "topography": (
        *("Mã ICD-O vị trí", "Vị trí (ICD-O-3)", "Vị trí u", "Vị trí", "Mã vị trí"),
        *("Topo", "Topography", "Site", "Primary site", "ICD-O-3 topography"),
    ),
    "morphology": (
        *("Mã ICD-O hình thái", "Mô bệnh học (ICD-O-3)", "Hình thái", "Mô bệnh học"),
        *("Mã hình thái", "Morpho", "Morphology", "Histology", "ICD-O-3 morphology"),
    ),
    "behaviour": ("Tính chất u", "Tính chất", "Behaviour", "Behavior"),
    "grade": ("Độ mô học", "Độ biệt hóa", "Độ ác tính", "Grade", "Differentiation"),
    "basis": ("Cơ sở chẩn đoán", "Co so CD", "Cơ sở CĐ", "Basis", "Basis of diagnosis"),
    "laterality": ("Bên", "Bên tổn thương", "Laterality", "Side"),
    "tnm_t": ("T", "cT", "pT", "TNM T", "T category"),
    "tnm_n": ("N", "cN", "pN", "TNM N", "N category"),
    "tnm_m": ("M", "cM", "pM", "TNM M", "M category"),
    "stage_group": ("Giai đoạn TNM", "Giai đoạn", "Stage", "Stage group", "TNM stage"),
    "summary_stage": ("Giai đoạn tóm tắt", "Mức độ lan rộng", "Summary stage", "Extent"),
    "first_treatment_date": (
        *("Ngày điều trị đầu tiên", "Ngày bắt đầu điều trị", "Ngày điều trị"),
        *("First treatment date", "Date of first treatment", "Treatment start"),
    ),
    "surgery": ("Phẫu thuật", "PT", "Surgery"),
    "radiotherapy": ("Xạ trị", "XT", "Radiotherapy", "Radiation"),
    "chemotherapy": ("Hóa trị", "HC", "Hóa chất", "Chemotherapy", "Chemo"),
    "systemic_other": (
        *("Điều trị toàn thân khác", "Nội tiết/Đích/Miễn dịch", "Điều trị đích"),
        *("Systemic other", "Other systemic therapy", "Hormone/targeted/immunotherapy"),
    ),
    "vital_status": ("Tình trạng", "Sống/Chết", "Tình trạng sống", "Vital status", "Status"),
    "last_contact_date": (
        *("Ngày liên lạc cuối", "Ngày theo dõi cuối", "Ngày LH cuối"),
        *("Last contact", "Date of last contact", "Last follow-up"),
    ),
    "death_date": ("Ngày tử vong", "Ngày mất", "Date of death", "Death date", "DOD"),
    "cause_of_death": (
        *("Nguyên nhân tử vong (ICD-10)", "Nguyên nhân tử vong", "Cause of death", "COD"),
    ),
}
VALUE_WORDS: dict[str, dict[str, str]] = {  # folded hospital value -> canonical code
    "sex": {
        **dict.fromkeys(("nam", "male", "m", "trai"), "1"),
        **dict.fromkeys(("nu", "female", "f", "gai"), "2"),
        **dict.fromkeys(("khong ro", "kr", "unknown", "u"), "9"),
    },
    "vital_status": {
        **dict.fromkeys(("con song", "song", "alive", "s"), "1"),
        **dict.fromkeys(("tu vong", "chet", "da mat", "mat", "dead", "died", "c"), "2"),
    },
    "basis": {
        **dict.fromkeys(("chi co giay chung tu", "dco", "death certificate only"), "0"),
        **dict.fromkeys(("lam sang", "clinical"), "1"),
        **dict.fromkeys(("tham do lam sang", "clinical investigation"), "2"),
        **dict.fromkeys(("chat chi diem khoi u", "tumour marker", "tumor marker"), "4"),
        **dict.fromkeys(("te bao hoc", "cytology", "haematology"), "5"),
        **dict.fromkeys(("mo benh hoc di can", "histology of a metastasis"), "6"),
        **dict.fromkeys(("mo benh hoc u nguyen phat", "mo benh hoc", "histology"), "7"),
        **dict.fromkeys(("khong ro", "kr", "unknown"), "9"),
    },
    "behaviour": {
        **dict.fromkeys(("lanh tinh", "benign"), "0"),
        **dict.fromkeys(("khong ro lanh hay ac", "uncertain"), "1"),
        **dict.fromkeys(("tai cho", "in situ"), "2"),
        **dict.fromkeys(("ac tinh", "malignant"), "3"),
        **dict.fromkeys(("ac tinh, di can", "metastatic"), "6"),
        "ac tinh, khong ro nguyen phat hay di can": "9",
    },
    "laterality": {
        **dict.fromkeys(("khong phai co quan doi", "khong", "not paired"), "0"),
        **dict.fromkeys(("phai", "right"), "1"),
        **dict.fromkeys(("trai", "left"), "2"),
        **dict.fromkeys(("mot ben, khong ro ben nao", "1 ben", "one side"), "3"),
        **dict.fromkeys(("hai ben", "2 ben", "bilateral"), "4"),
        **dict.fromkeys(("khong ro", "kr", "unknown"), "9"),
    },
    "summary_stage": {
        **dict.fromkeys(("tai cho", "in situ"), "0"),
        **dict.fromkeys(("khu tru", "localised", "localized"), "1"),
        **dict.fromkeys(("lan vung", "regional"), "2"),
        **dict.fromkeys(("di can xa", "distant"), "7"),
        **dict.fromkeys(("khong ro", "kr", "unknown"), "9"),
    },
    "yes_no": {
        **dict.fromkeys(("co", "c", "yes", "y", "x"), "1"),
        **dict.fromkeys(("khong", "k", "no", "n"), "0"),
    },
}
_YES_NO_FIELDS = ("surgery", "radiotherapy", "chemotherapy", "systemic_other")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_DATE_SHAPES = (
    (re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?: 00:00:00)?"), "Ymd"),
    (re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})"), "dmY"),
)


def header_key(header: str) -> str:
    """A header's comparison key: folded (case, diacritics), punctuation as blanks."""
    return " ".join(_NOT_WORD.sub(" ", fold_vietnamese(header)).split())


def _synonym_keys() -> tuple[dict[str, str], dict[str, str]]:
    """Synonyms as written (``PT`` surgery, ``pT`` the T category) and folded."""
    exact, folded = {name: name for name in NAMES}, {header_key(name): name for name in NAMES}
    for name, headers in SYNONYMS.items():
        for header in headers:
            exact.setdefault(" ".join(header.split()), name)
            folded.setdefault(header_key(header), name)
    return exact, folded


def match_headers(headers: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Match a file's headers with canonical fields by their synonyms: as written first,
    then folded (case, diacritics, punctuation), then without a parenthesised part.

    Returns:
        ``(header, field)`` pairs in file order (each field once), and the headers left
        unmatched.
    """
    exact, folded = _synonym_keys()
    matched, unmatched, used = [], [], set()
    for header in headers:
        name = exact.get(" ".join(header.split()))
        keys = (header_key(header), header_key(_PARENTHESES.sub(" ", header)))
        name = name or next((folded[key] for key in keys if key in folded), None)
        if name is None or name in used:
            unmatched.append(header)
            continue
        used.add(name)
        matched.append((header, name))
    return matched, unmatched


def suggest_profile(path: Path) -> str:
    """Draft a mapping profile (TOML text) from a hospital CSV or Excel file.

    The header row is matched against Vietnamese and English synonyms of each canonical
    field (with or without diacritics, any case). The date format and the value tables of
    sex, vital status, treatments, and of basis, behaviour, laterality and summary stage
    written in words, are guessed from the first rows. Headers left unmatched are listed
    in a comment. Check every line before using the profile.

    Args:
        path: a ``.csv`` or ``.xlsx`` file with one header row.

    Raises:
        InputError: the file is not a CSV or Excel file, or cannot be read.
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "csv":
        from oncoreg.ingest.read_csv import sample_csv as sample
    elif fmt == "xlsx":
        from oncoreg.ingest.read_xlsx import sample_xlsx as sample
    else:
        raise InputError(f"{path}: a profile is drafted from a CSV or Excel file, not {fmt}")
    settings, header, rows = sample(path)
    columns, unmatched = match_headers(header)
    values = {name: _column_values(rows, header.index(h)) for h, name in columns}
    lines = _profile_head(path, settings, unmatched, columns)
    lines += _date_lines({name: v for name, v in values.items() if name in DATE_FIELDS})
    lines += ["", "[columns]", *(f"{_toml(h)} = {_toml(n)}" for h, n in columns)]
    for name, table in _value_tables(values).items():
        lines += ["", f"[values.{name}]", *(f"{_toml(v)} = {_toml(c)}" for v, c in table.items())]
    return "\n".join(lines) + "\n"


def _column_values(rows: list[list[str]], index: int) -> list[str]:
    return [row[index] for row in rows if index < len(row) and row[index]]


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _profile_head(path, settings, unmatched, columns) -> list[str]:
    slug = "-".join(_NOT_WORD.sub(" ", fold_vietnamese(path.stem)).split()) or "hospital"
    lines = [f"# Drafted by oncoreg from {path.name}: check every line before use."]
    if unmatched:
        lines.append("# Headers not matched (not imported): " + ", ".join(map(_toml, unmatched)))
    mapped = {name for _, name in columns}
    for required in ("report_id", "facility_code"):
        if required not in mapped:
            lines.append(f"# No column found for the required field {required}: add one.")
    lines += [f"name = {_toml(slug if slug[0].isalnum() else 'h-' + slug)}"]
    lines += [f"description = {_toml('Drafted from ' + path.name)}"]
    lines += [f"{key} = {_toml(value)}" for key, value in settings.items()]
    return lines


def _date_lines(values: dict[str, list[str]]) -> list[str]:
    votes: Counter[str] = Counter()
    for value in (v.strip() for column in values.values() for v in column):
        for shape, order in _DATE_SHAPES:
            match = shape.fullmatch(value)
            if match:
                votes[_date_pattern(order, match)] += 1
                break
    if not votes:
        return ["# date_format: no full dates in the first rows (default %Y-%m-%d)"]
    return [f"date_format = {_toml(_resolve_day_month(votes))}"]


def _date_pattern(order: str, match: re.Match) -> str:
    first, sep, second, third = match.groups()
    if order == "Ymd":
        return f"%Y{sep}%m{sep}%d"
    if int(first) > 12:
        return f"%d{sep}%m{sep}%Y"
    return f"%m{sep}%d{sep}%Y" if int(second) > 12 else f"?{sep}%Y"


def _resolve_day_month(votes: Counter[str]) -> str:
    """Day-first unless a value proves month-first (``13`` or more in the second place)."""
    resolved: Counter[str] = Counter()
    for pattern, count in votes.items():
        if pattern.startswith("?"):
            sep = pattern[1]
            month_first = f"%m{sep}%d{sep}%Y"
            pattern = month_first if votes[month_first] else f"%d{sep}%m{sep}%Y"
        resolved[pattern] += count
    return resolved.most_common(1)[0][0]


def _value_tables(values: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    tables = {}
    for name, column in values.items():
        words = VALUE_WORDS.get("yes_no" if name in _YES_NO_FIELDS else name)
        if words is None:
            continue
        seen = list(dict.fromkeys(v.strip() for v in column))
        table = _value_table(name, seen, words)
        if any(value != code for value, code in table.items()):
            tables[name] = table
    return tables


def _value_table(name: str, seen: list[str], words: dict[str, str]) -> dict[str, str]:
    codes = set(words.values())
    table = {}
    for value in seen:
        folded = fold_vietnamese(value)
        if folded in codes:
            table[value] = folded
        elif folded in words:
            table[value] = words[folded]
    if name == "sex" and "0" in seen and "2" not in seen:
        table["0"] = "2"  # 1 male / 0 female, as some hand-typed sheets write it
    return table
