"""The comparison columns person linkage reads, derived from stored reports.

Each report becomes one row keyed by its source id (``unique_id``), with Vietnamese-aware
keys for its name and normalised forms of its other identifying fields:

- names folded (lower case, no tone or vowel marks, ``đ`` -> ``d``): ``Nguyễn`` =
  ``Nguyen`` = ``NGUYEN``; forgiving how they were typed (Telex keystrokes left by an input
  method that was off, ``Nguyeenx``; ``Lý`` = ``Lí``): :func:`oncoreg.text.name_key`;
  a key with the marks kept (tone marks placed in the new orthography, so ``Hòa`` =
  ``Hoà``) to tell ``Hùng`` from ``Hưng`` when both reports carry marks; the whole name's
  words sorted and run together, which survives parts written in another order, merged or
  split differently;
- date of birth as year, month and day by its precision (a year-only birth date is a year,
  not 1 January), plus a birth year estimated from the age at diagnosis where the date is
  missing;
- identifier hashes (never the identifiers), sex, province in the post-2025 scheme (a
  report coded before the merger meets one coded after it), phone digits, folded address;
- the tumour's site and diagnosis month, which the model learns to weigh like any other
  field; a death certificate only report is incident at death, so its month is compared as
  "diagnosed before death".
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from oncoreg.text import fold_vietnamese, name_key, tone_placement

# Stored report columns this module reads.
SOURCE_COLUMNS = (
    "id",
    "family_name",
    "middle_name",
    "given_name",
    "sex",
    "birth_date",
    "birth_date_precision",
    "age_at_diagnosis",
    "national_id_hash",
    "insurance_hash",
    "phone",
    "address",
    "province_code",
    "province_code_2004",
    "topography",
    "diagnosis_date",
    "basis",
)


def linkage_frame(sources: pl.DataFrame) -> pl.DataFrame:
    """The linkage columns of stored reports (one row per report, ``unique_id`` = id).

    Args:
        sources: Stored reports with the columns in :data:`SOURCE_COLUMNS` (names as
            written, dates as Polars dates, precision as text).

    Returns:
        A frame with ``unique_id``, the name keys (``family``, ``middle``, ``given``,
        ``given_marked``, ``name``, ``name_marked``, ``family_given``, ``name_sorted``,
        ``name_joined``, ``has_marks``), ``dob``, ``dob_y``, ``dob_m``, ``dob_d``,
        ``birth_year`` (with ``birth_band`` and ``birth_band_odd``, two-year bands offset by
        one year, for blocking), ``sex``, ``nid``, ``ins``, ``phone``, ``province``,
        ``province_old``, ``address``, ``site``, ``diagnosis_month``, ``dco`` (a death
        certificate only report: its incidence date is the date of death) and
        ``identified``
        (the report has a name or an identifier).
    """
    frame = sources.select(SOURCE_COLUMNS)
    return frame.select(
        pl.col("id").cast(pl.Int64).alias("unique_id"),
        *_name_columns(frame),
        *_birth_columns(),
        pl.col("sex").cast(pl.String).replace({"9": None}).alias("sex"),
        pl.col("national_id_hash").alias("nid"),
        pl.col("insurance_hash").alias("ins"),
        _phone(pl.col("phone")).alias("phone"),
        pl.col("province_code").alias("province"),
        pl.col("province_code_2004").alias("province_old"),
        _mapped(frame["address"], fold_vietnamese).alias("address"),
        pl.col("topography").str.slice(0, 3).alias("site"),
        (pl.col("diagnosis_date").dt.year() * 12 + pl.col("diagnosis_date").dt.month())
        .cast(pl.Int32)
        .alias("diagnosis_month"),
        (pl.col("basis") == "0").fill_null(False).cast(pl.Int8).alias("dco"),
    ).with_columns(
        (
            pl.col("given").is_not_null()
            | pl.col("family").is_not_null()
            | pl.col("nid").is_not_null()
            | pl.col("ins").is_not_null()
        ).alias("identified")
    )


def marked_key(text: str) -> str:
    """A name key that keeps tone and vowel marks: lower case, NFC, tone marks placed as
    the new orthography places them, whitespace collapsed."""
    return " ".join(tone_placement(word, "new") for word in text.lower().split())


def _name_columns(frame: pl.DataFrame) -> list[pl.Expr]:
    parts = {p: _mapped(frame[f"{p}_name"], name_key) for p in ("family", "middle", "given")}
    marked = {p: _mapped(frame[f"{p}_name"], marked_key) for p in ("family", "middle", "given")}
    words = pl.concat_list([parts[p] for p in ("family", "middle", "given")]).list.drop_nulls()
    marked_words = pl.concat_list(
        [marked[p] for p in ("family", "middle", "given")]
    ).list.drop_nulls()
    name = _joined(words, " ")
    return [
        parts["family"].alias("family"),
        parts["middle"].alias("middle"),
        parts["given"].alias("given"),
        marked["given"].alias("given_marked"),
        name.alias("name"),
        _joined(marked_words, " ").alias("name_marked"),
        pl.when(parts["family"].is_not_null() & parts["given"].is_not_null())
        .then(pl.concat_str([parts["family"], parts["given"]], separator=" "))
        .alias("family_given"),
        _joined(words.list.join(" ").str.split(" ").list.sort(), " ").alias("name_sorted"),
        name.str.replace_all(" ", "", literal=True).alias("name_joined"),
        # 0/1 rather than boolean: the same SQL on every Splink backend
        marked["given"]
        .str.contains(r"[^\x00-\x7f]")
        .fill_null(False)
        .cast(pl.Int8)
        .alias("has_marks"),
    ]


def _joined(words: pl.Expr, separator: str) -> pl.Expr:
    text = words.list.join(separator)
    return pl.when(text != "").then(text)


def _birth_columns() -> list[pl.Expr]:
    dob, precision = pl.col("birth_date"), pl.col("birth_date_precision").cast(pl.String)
    year = pl.when(precision.is_in(["day", "month", "year"])).then(dob.dt.year())
    month = pl.when(precision.is_in(["day", "month"])).then(dob.dt.month())
    day = pl.when(precision == "day").then(dob.dt.day())
    from_age = pl.col("diagnosis_date").dt.year() - pl.col("age_at_diagnosis")
    return [
        pl.when(precision == "day").then(dob.dt.strftime("%Y-%m-%d")).alias("dob"),
        year.cast(pl.Int32).alias("dob_y"),
        month.cast(pl.Int8).alias("dob_m"),
        day.cast(pl.Int8).alias("dob_d"),
        pl.coalesce(year, from_age).cast(pl.Int32).alias("birth_year"),
        (pl.coalesce(year, from_age) // 2).cast(pl.Int32).alias("birth_band"),
        ((pl.coalesce(year, from_age) + 1) // 2).cast(pl.Int32).alias("birth_band_odd"),
    ]


def _phone(phone: pl.Expr) -> pl.Expr:
    digits = phone.str.replace_all(r"\D", "")
    national = digits.str.replace(r"^84", "0")
    return pl.when(national.str.len_chars() >= 9).then(national.str.slice(-9))


def _mapped(values: pl.Series, fn: Callable[[str], str]) -> pl.Expr:
    """``fn`` applied once per distinct non-blank value, as an expression on the column."""
    distinct = values.drop_nulls().unique().to_list()
    table = {v: (fn(v) or None) for v in distinct}
    return pl.col(values.name).replace_strict(table, default=None, return_dtype=pl.String)
