"""Normalisation of read reports into the typed values the checks and the store use.

Input: canonical text columns (see :mod:`oncoreg.ingest.canonical`) as the readers give
them. Output, per report: names split family-first (and the full name as written), partial
dates as a date plus its precision (a year-only birth date is the year's first day with
precision ``year``, never "1 January"), codes in canonical form (``C509`` -> ``C50.9``,
``8500`` + ``3`` -> morphology ``8500`` and morphology code ``8500/3``), the province in
both eras, the age computed from the dates where it is missing, and a content hash of the
report. Values that cannot be parsed are kept as given and flagged (``<field>_invalid``)
so that the checks can say so; nothing is dropped or silently "fixed".
"""

from __future__ import annotations

import hashlib

import polars as pl

from oncoreg.codes.morphology import split_morphology
from oncoreg.codes.provinces import province, to_2025
from oncoreg.codes.topography import normalise_topography
from oncoreg.errors import InputError
from oncoreg.ingest.canonical import COLUMNS, NAMES

DATE_FIELDS = tuple(c.name for c in COLUMNS if c.kind == "partial-date")
ISO_PARTIAL = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def _date(name: str) -> list[pl.Expr]:
    """``name`` (Date), ``name_precision`` and ``name_invalid`` from ISO partial text."""
    text = pl.col(name)
    shape_ok = text.str.contains(ISO_PARTIAL)
    padded = (
        pl.when(text.str.len_chars() == 4)
        .then(text + "-01-01")
        .when(text.str.len_chars() == 7)
        .then(text + "-01")
        .otherwise(text)
    )
    parsed = pl.when(shape_ok).then(padded.str.to_date("%Y-%m-%d", strict=False))
    precision = (
        pl.when(text.is_null())
        .then(pl.lit("unknown"))
        .when(parsed.is_null())
        .then(pl.lit("invalid"))
        .when(text.str.len_chars() == 4)
        .then(pl.lit("year"))
        .when(text.str.len_chars() == 7)
        .then(pl.lit("month"))
        .otherwise(pl.lit("day"))
    )
    return [
        parsed.alias(f"{name}_value"),
        precision.alias(f"{name}_precision"),
        (text.is_not_null() & parsed.is_null()).alias(f"{name}_invalid"),
    ]


COMPOUND_FAMILY = r"(?i)^(c[oô]ng (t[aằ]ng|huy[eề]n) )?t[oô]n (n[uữ]|th[aấ]t) |^[aâ]u d[uư][oơ]ng "


def _split_names(frame: pl.DataFrame) -> pl.DataFrame:
    """Name parts: as given, else split from the full name (family name first).

    Vectorised: the first word is the family name, the last the given name, the words
    between the middle name; the rare compound family names (Tôn Nữ, Tôn Thất, Âu Dương,
    ...) are split by :func:`oncoreg.text.split_full_name`, on their rows only.
    """
    from oncoreg.text import split_full_name

    parts = ("family_name", "middle_name", "given_name")
    full = pl.col("full_name").str.replace_all(r"\s+", " ").str.strip_chars()
    words = full.str.split(" ")
    several = words.list.len() > 1
    simple = (
        pl.when(several).then(words.list.first()),
        pl.when(several).then(words.list.slice(1, words.list.len() - 2).list.join(" ")),
        pl.when(several).then(words.list.last()).otherwise(full),
    )
    to_split = ~pl.any_horizontal(pl.col(c).is_not_null() for c in parts) & full.is_not_null()
    rows = frame.select(pl.arg_where(to_split & full.str.contains(COMPOUND_FAMILY))).to_series()
    frame = frame.with_columns(
        pl.when(to_split).then(value.replace("", None)).otherwise(pl.col(name)).alias(name)
        for name, value in zip(parts, simple, strict=True)
    )
    if rows.is_empty():
        return frame
    splits = [split_full_name(text) for text in frame["full_name"].gather(rows).to_list()]
    columns = []
    for k, name in enumerate(parts):
        series = frame[name].clone()
        series.scatter(rows, pl.Series([s[k] or None for s in splits], dtype=pl.String))
        columns.append(series)
    return frame.with_columns(columns)


def _dco_incidence() -> pl.Expr:
    """A death certificate only report is incident at death (IARC): its missing diagnosis
    date is the date of death."""
    dco = (pl.col("basis") == "0") & pl.col("diagnosis_date").is_null()
    return (
        pl.when(dco).then(pl.col("death_date")).otherwise("diagnosis_date").alias("diagnosis_date")
    )


def _mapping(values: pl.Series, fn) -> dict[str, str | None]:
    out = {}
    for value in values.drop_nulls().unique().to_list():
        try:
            out[value] = fn(value)
        except InputError:
            out[value] = None
    return out


def _codes(frame: pl.DataFrame) -> list[pl.Expr]:
    """Topography, morphology/behaviour and province columns in canonical form."""
    topo = _mapping(frame["topography"], normalise_topography)
    pairs = frame.select(
        pl.concat_str(["morphology", pl.lit("|"), pl.col("behaviour").fill_null("")]).alias("p")
    )["p"]
    morph = _mapping(pairs, lambda p: "/".join(split_morphology(*p.split("|"))[:2]))
    new = _mapping(frame["province_code"], to_2025)
    old = _mapping(frame["province_code"], _code_2004)
    pair = pl.concat_str(["morphology", pl.lit("|"), pl.col("behaviour").fill_null("")])
    code = pair.replace_strict(morph, default=None, return_dtype=pl.String)
    return [
        pl.col("topography").replace_strict(
            topo, default=pl.col("topography"), return_dtype=pl.String
        ),
        pl.when(code.is_not_null())
        .then(code.str.slice(0, 4))
        .otherwise("morphology")
        .alias("morphology"),
        pl.when(code.is_not_null())
        .then(code.str.slice(5, 1))
        .otherwise("behaviour")
        .alias("behaviour"),
        code.alias("morph_code"),
        pl.col("province_code")
        .replace_strict(new, default=None, return_dtype=pl.String)
        .alias("province_code_2025"),
        pl.col("province_code")
        .replace_strict(old, default=None, return_dtype=pl.String)
        .alias("province_code_2004"),
    ]


def _code_2004(code: str) -> str | None:
    """The pre-2025 province of a code, when the code says it unambiguously."""
    try:
        old = province(code, era="2004")
    except InputError:
        return None
    try:
        province(code, era="2025")
    except InputError:
        return old.code  # a code that exists only before 2025
    return old.code if to_2025(old.code) == old.code else None


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Normalise a frame of canonical text columns (plus the readers' ``_`` columns)."""
    frame = frame.with_columns(pl.col(n).str.strip_chars().replace("", None) for n in NAMES)
    frame = _split_names(frame.with_columns(_dco_incidence()))
    frame = frame.with_columns(_codes(frame))
    frame = frame.with_columns([e for name in DATE_FIELDS for e in _date(name)])
    age_text = pl.col("age_at_diagnosis")
    age = age_text.cast(pl.Int64, strict=False)
    content = frame.select(
        pl.concat_str([pl.col(n).fill_null("") for n in NAMES], separator="\x1f")
    ).to_series()
    return frame.with_columns(
        age_at_diagnosis_value=age,
        age_at_diagnosis_invalid=age_text.is_not_null() & age.is_null(),
        content_hash=pl.Series([content_hash(text) for text in content.to_list()], dtype=pl.String),
    )


def content_hash(text: str) -> str:
    """A stable hash of a report's canonical values (BLAKE2b, 128 bits, hex)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def for_checks(frame: pl.DataFrame) -> pl.DataFrame:
    """The columns of the check engine (``oncoreg.checks.engine.INPUT_COLUMNS``)."""
    return frame.select(
        "facility_code",
        "report_id",
        "sex",
        "topography",
        "morphology",
        "behaviour",
        "grade",
        "basis",
        "laterality",
        "vital_status",
        *[pl.col(f"{n}_value").alias(n) for n in DATE_FIELDS],
        *[pl.col(f"{n}_precision") for n in ("birth_date", "diagnosis_date")],
        *[pl.col(f"{n}_invalid") for n in DATE_FIELDS],
        pl.col("age_at_diagnosis_value").alias("age_at_diagnosis"),
        "age_at_diagnosis_invalid",
    )
