"""De-identification of research extracts: the variables a partner may ask for, and how
each is derived from the registry's records.

Rules (enforced here, for every extract):

- no names, identifiers (national ID, insurance number, report or patient numbers,
  database ids), address or phone: they are not in the catalogue, and asking for one is
  an :class:`~oncoreg.errors.InputError` naming it;
- no exact date: diagnosis as month (``YYYY-MM``) or year, death as year, survival as a
  duration in days; never a birth date or birth year (age in 5-year groups instead);
- residence as the post-2025 province code or one of Vietnam's six socio-economic
  regions (``data/regions.csv``), never the address;
- each record carries a pseudonym (``record_id``): a keyed hash of the tumour with a
  random key drawn for that extract and never stored, so two extracts cannot be joined.

:func:`build_frame` turns the registry-level rows of the tumours chosen (see
:data:`BASE_COLUMNS`) into the extract's frame; it reads no database.

Regions: the six socio-economic regions of the national master plan, with the 34
provinces of Resolution 202/2025/QH15 placed as the government's adjustment of the plan
after the merger places them (a merged unit whose parts lay in two regions, such as Gia
Lai with the former Bình Định, or Tây Ninh with the former Long An, counts in the region
of the whole unit).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from oncoreg.codes.sitegroups import groups_for_icd10
from oncoreg.errors import InputError

DATA = Path(__file__).parent / "data"
DAYS_PER_YEAR = 365.25
ALL_SITES = {"all-sites", "all-excl-nmsc"}
PSEUDONYM_LENGTH = 16  # hex characters of the keyed hash: 64 bits


@dataclass(frozen=True)
class Variable:
    """One variable of the extract catalogue.

    Attributes:
        name: the column name in the extract.
        description: what it holds, for the data dictionary.
        type: ``string`` or ``integer``.
        quasi_identifier: whether it could re-identify someone in combination with others
            (k-anonymity is checked on these).
        derivation: how it is derived from the registry's records.
        values: the values it takes, for the data dictionary.
    """

    name: str
    description: str
    type: str
    quasi_identifier: bool
    derivation: str
    values: str


_TREATMENT_VALUES = "yes; no; empty: not reported"
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable(
            "record_id",
            "pseudonym of the tumour record, valid in this extract only",
            "string",
            False,
            "keyed hash (HMAC-SHA256) of the tumour with a random key drawn for the extract "
            "and discarded; cannot be joined with another extract",
            "16 hexadecimal characters",
        ),
        Variable(
            "sex",
            "sex of the person",
            "string",
            True,
            "the registry's consolidated sex (IARC code)",
            "1 male; 2 female; 9 unknown",
        ),
        Variable(
            "age_group",
            "age at diagnosis, 5-year group",
            "string",
            True,
            "from birth and diagnosis dates, else the age reported by hospitals",
            "0-4, 5-9, ... 80-84, 85+",
        ),
        Variable(
            "province",
            "province of residence (post-2025 GSO code)",
            "string",
            True,
            "the person's province, normalised to the 34 units of Resolution 202/2025/QH15",
            "2-digit GSO code",
        ),
        Variable(
            "region",
            "socio-economic region of residence",
            "string",
            True,
            "the region of the person's province (data/regions.csv)",
            "NMM, RRD, NCC, CH, SE, MRD",
        ),
        Variable(
            "diagnosis_year",
            "year of diagnosis",
            "string",
            True,
            "year of the incidence date",
            "YYYY",
        ),
        Variable(
            "diagnosis_month",
            "month of diagnosis",
            "string",
            True,
            "year and month of the incidence date (empty when only the year is known)",
            "YYYY-MM",
        ),
        Variable(
            "topography",
            "ICD-O-3 topography (subsite)",
            "string",
            True,
            "the tumour's consolidated topography",
            "C00.0-C80.9",
        ),
        Variable(
            "site_category",
            "ICD-O-3 topography category",
            "string",
            True,
            "the first three characters of the topography",
            "C00-C80",
        ),
        Variable(
            "site_group",
            "cancer site group of GLOBOCAN 2022",
            "string",
            True,
            "the GLOBOCAN group of the tumour's ICD-10 code (oncoreg.codes.sitegroups)",
            "GLOBOCAN group ids, e.g. breast, lung, colon",
        ),
        Variable(
            "icd10",
            "ICD-10 code",
            "string",
            True,
            "converted from ICD-O-3 topography and morphology",
            "ICD-10 codes",
        ),
        Variable(
            "morphology",
            "ICD-O-3 morphology with behaviour",
            "string",
            False,
            "the tumour's consolidated morphology",
            "NNNN/B",
        ),
        Variable(
            "behaviour",
            "ICD-O-3 behaviour code",
            "string",
            False,
            "the fifth digit of the morphology",
            "0 benign; 1 uncertain; 2 in situ; 3 malignant; 6 metastatic; 9 uncertain primary",
        ),
        Variable("grade", "ICD-O-3 grade", "string", False, "as consolidated", "1-9"),
        Variable(
            "basis",
            "basis of diagnosis (IARC)",
            "string",
            False,
            "as consolidated",
            "0 death certificate only; 1 clinical; 2 clinical investigation; 4 tumour "
            "markers; 5 cytology; 6 histology of a metastasis; 7 histology of the primary; "
            "9 unknown",
        ),
        Variable("stage", "stage at diagnosis", "string", False, "as consolidated", "as coded"),
        Variable(
            "vital_status",
            "vital status at last contact",
            "string",
            False,
            "dead when any report or follow-up gives a death, else alive when seen after diagnosis",
            "1 alive; 2 dead; 9 unknown",
        ),
        Variable(
            "survival_days",
            "days from diagnosis to death or last contact",
            "integer",
            False,
            "a duration, not a date; empty when unknown",
            "integer >= 0",
        ),
        Variable(
            "death_year",
            "year of death",
            "string",
            True,
            "year of the latest death date reported",
            "YYYY",
        ),
        Variable(
            "surgery",
            "surgery given",
            "string",
            False,
            "yes when any report says yes",
            _TREATMENT_VALUES,
        ),
        Variable(
            "radiotherapy",
            "radiotherapy given",
            "string",
            False,
            "yes when any report says yes",
            _TREATMENT_VALUES,
        ),
        Variable(
            "chemotherapy",
            "chemotherapy given",
            "string",
            False,
            "yes when any report says yes",
            _TREATMENT_VALUES,
        ),
    )
}
SELECTABLE = tuple(n for n in VARIABLES if n != "record_id")  # record_id is always there

# never in an extract, whatever an agreement says: why, for the error message
NEVER: dict[str, str] = {
    **dict.fromkeys(
        (
            "name",
            "full_name",
            "family_name",
            "middle_name",
            "given_name",
            "national_id",
            "insurance_number",
            "phone",
            "address",
            "patient_no",
            "report_id",
            "person_id",
            "tumour_id",
            "source_id",
            "id",
        ),
        "identifies the person",
    ),
    **dict.fromkeys(
        ("birth_date", "diagnosis_date", "death_date", "last_contact_date", "contact_date"),
        "is an exact date",
    ),
    "birth_year": "is a quasi-identifier the registry never releases (use age_group)",
}

# the registry-level columns build_frame reads, one row per tumour
BASE_COLUMNS = (
    "tumour_id",
    "sex",
    "birth_date",
    "birth_date_precision",
    "reported_age",
    "province_code",
    "diagnosis_date",
    "diagnosis_date_precision",
    "topography",
    "morphology",
    "grade",
    "basis",
    "stage",
    "icd10",
    "surgery",
    "radiotherapy",
    "chemotherapy",
    "death_date",
    "last_seen",
    "dead",
)


def check_variables(names: list[str] | tuple[str, ...]) -> list[str]:
    """The requested variables, known and allowed, in catalogue order without repeats.

    Raises:
        InputError: a variable identifies someone, is an exact date, or is not in the
            catalogue (the message names it), or none is asked for.
    """
    wanted = [n.strip() for n in names if n and n.strip()]
    for name in wanted:
        if name in NEVER:
            raise InputError(
                f"variable {name!r} {NEVER[name]} and never leaves the registry",
                hint="ask for de-identified variables only (see `oncoreg extracts variables`)",
            )
        if name not in VARIABLES:
            raise InputError(
                f"{name!r} is not an extract variable",
                hint=f"choose among {', '.join(SELECTABLE)}",
            )
    chosen = [n for n in SELECTABLE if n in wanted]
    if not chosen:
        raise InputError("an extract needs at least one variable", hint="e.g. sex,age_group")
    return chosen


def quasi_identifiers(names: list[str]) -> list[str]:
    """The quasi-identifiers among the variables."""
    return [n for n in names if VARIABLES[n].quasi_identifier]


@lru_cache(maxsize=1)
def _regions_table() -> tuple[dict[str, str], ...]:
    with (DATA / "regions.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def province_regions() -> dict[str, str]:
    """Post-2025 province code -> region code (``RRD``, ``MRD`` ...)."""
    return {row["province_code"]: row["region"] for row in _regions_table()}


def region_names() -> dict[str, tuple[str, str]]:
    """Region code -> (English name, Vietnamese name)."""
    return {row["region"]: (row["region_en"], row["region_vi"]) for row in _regions_table()}


def site_group_of(code: str | None) -> str | None:
    """The GLOBOCAN group of an ICD-10 code (not the all-sites aggregates); ``other`` for
    a code in none, None for no or unreadable code."""
    if not code:
        return None
    try:
        groups = groups_for_icd10(code, scheme="globocan")
    except InputError:
        return None
    return next((g for g in groups if g not in ALL_SITES), "other")


def pseudonym(key: bytes, tumour_id: int) -> str:
    """The pseudonym of a tumour under an extract's key (HMAC-SHA256, 64 bits shown)."""
    digest = hmac.new(key, str(tumour_id).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def build_frame(base: pl.DataFrame, variables: list[str], key: bytes) -> pl.DataFrame:
    """The de-identified extract of registry-level rows.

    Args:
        base: one row per tumour, with the columns of :data:`BASE_COLUMNS` (dates as
            Polars dates).
        variables: checked variable names (see :func:`check_variables`).
        key: the extract's random pseudonym key (at least 16 bytes; never stored).

    Returns:
        ``record_id`` then the variables, as strings (``survival_days`` an integer),
        ordered by pseudonym so that row order reveals nothing; plus a ``site_group``
        column named ``__site_group`` for the k-anonymity hierarchies (drop it before
        release).
    """
    if len(key) < 16:
        raise InputError("the pseudonym key must have at least 16 bytes")
    chosen = check_variables(variables)
    ids = [pseudonym(key, int(t)) for t in base["tumour_id"].to_list()]
    derived = base.with_columns(pl.Series("record_id", ids, dtype=pl.String))
    derived = derived.with_columns(**_expressions()).with_columns(
        site_category=pl.col("topography").str.slice(0, 3),
        site_group=_site_groups(derived["icd10"]),
        region=_regions(derived["province_code"]),
    )
    columns = ["record_id", *chosen]
    out = derived.select(*columns, pl.col("site_group").alias("__site_group"))
    return out.sort("record_id")


def _expressions() -> dict[str, pl.Expr]:
    dx = pl.col("diagnosis_date")
    precise = pl.col("diagnosis_date_precision").is_in(["day", "month"])
    known = dx.is_not_null() & (pl.col("diagnosis_date_precision") != "unknown")
    # a death without a date has no known survival (not the time to the last contact)
    end = pl.when(pl.col("dead")).then(pl.col("death_date")).otherwise(pl.col("last_seen"))
    return {
        "sex": pl.col("sex").cast(pl.String),
        "age_group": _age_group(_age()),
        "province": pl.col("province_code").cast(pl.String),
        "diagnosis_year": pl.when(known).then(dx.dt.year().cast(pl.String)),
        "diagnosis_month": pl.when(known & precise).then(dx.dt.strftime("%Y-%m")),
        "behaviour": pl.col("morphology").str.extract(r"^\d{4}/?(\d)$"),
        "vital_status": pl.when(pl.col("dead"))
        .then(pl.lit("2"))
        .when(pl.col("last_seen") >= dx)
        .then(pl.lit("1"))
        .otherwise(pl.lit("9")),
        "survival_days": pl.when((end - dx).dt.total_days() >= 0).then(
            (end - dx).dt.total_days().cast(pl.Int64)
        ),
        "death_year": pl.col("death_date").dt.year().cast(pl.String),
        **{name: _treatment(name) for name in ("surgery", "radiotherapy", "chemotherapy")},
    }


def _age() -> pl.Expr:
    exact = pl.col("birth_date_precision").is_in(["day", "month"])
    span = (pl.col("diagnosis_date") - pl.col("birth_date")).dt.total_days() / DAYS_PER_YEAR
    by_year = pl.col("diagnosis_date").dt.year() - pl.col("birth_date").dt.year()
    return pl.when(exact).then(span).otherwise(pl.coalesce("reported_age", by_year))


def _age_group(age: pl.Expr) -> pl.Expr:
    """The 5-year group (``0-4`` ... ``85+``) of an age in years; null if unknown."""
    start = (age.cast(pl.Float64).floor() / 5).floor().cast(pl.Int32) * 5
    closed = pl.format("{}-{}", start, start + 4)
    return pl.when(age < 0).then(None).when(age >= 85).then(pl.lit("85+")).otherwise(closed)


def _treatment(name: str) -> pl.Expr:
    value = pl.col(name).cast(pl.String)
    return pl.when(value == "1").then(pl.lit("yes")).when(value == "0").then(pl.lit("no"))


def _site_groups(codes: pl.Series) -> pl.Series:
    mapping = {c: site_group_of(c) for c in codes.drop_nulls().unique().to_list()}
    return codes.cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String)


def _regions(codes: pl.Series) -> pl.Series:
    table = province_regions()
    mapping = {c: table.get(c) for c in codes.drop_nulls().unique().to_list()}
    return codes.cast(pl.String).replace_strict(mapping, default=None, return_dtype=pl.String)
