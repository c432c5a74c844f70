"""The check engine: rules as vectorised Polars expressions over a frame of reports.

A rule is one function that returns a boolean expression, true where a report breaks the
rule, registered with :func:`rule` together with its id, severity, the fields it reads and
its message in English and Vietnamese. :func:`run` evaluates every rule in one pass over
the frame and returns one row per finding.

The frame holds the normalised report columns (see :data:`INPUT_COLUMNS`); :func:`prepare`
adds the derived columns the rules share (``site3``, ``histology``, ``age``, validity
flags, ...), so that each rule stays a short expression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import polars as pl


class Severity(StrEnum):
    """error: cannot be accepted as is; warning: rare, a registrar must confirm; info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Rule:
    """One check: ``check()`` gives an expression true where a report breaks the rule."""

    id: str
    severity: Severity
    fields: tuple[str, ...]
    message_en: str
    message_vi: str
    check: Callable[[], pl.Expr]
    family: str = ""


# Columns the engine expects (dtypes): keys and normalised values; missing ones are null.
INPUT_COLUMNS: dict[str, pl.DataType] = {
    "facility_code": pl.String(),
    "report_id": pl.String(),
    "sex": pl.String(),  # "1" male, "2" female, "9" unknown, or an invalid raw value
    "birth_date": pl.Date(),  # first day of the known period when partial
    "birth_date_precision": pl.String(),  # day, month, year, unknown
    "age_at_diagnosis": pl.Int64(),
    "diagnosis_date": pl.Date(),
    "diagnosis_date_precision": pl.String(),
    "topography": pl.String(),  # C50.9 when valid, else the raw value
    "morphology": pl.String(),  # 4 digits when valid, else the raw value
    "behaviour": pl.String(),
    "grade": pl.String(),
    "basis": pl.String(),
    "laterality": pl.String(),
    "vital_status": pl.String(),
    "last_contact_date": pl.Date(),
    "death_date": pl.Date(),
    "first_treatment_date": pl.Date(),
    # set by the importer when a value could not be parsed (kept as given in the raw record)
    "birth_date_invalid": pl.Boolean(),
    "diagnosis_date_invalid": pl.Boolean(),
    "last_contact_date_invalid": pl.Boolean(),
    "death_date_invalid": pl.Boolean(),
    "first_treatment_date_invalid": pl.Boolean(),
    "age_at_diagnosis_invalid": pl.Boolean(),
}

_RULES: dict[str, Rule] = {}


def rule(id: str, severity: Severity, fields: tuple[str, ...], en: str, vi: str, family: str = ""):
    """Register the decorated function (returning a pl.Expr) as a check rule."""

    def register(fn: Callable[[], pl.Expr]) -> Callable[[], pl.Expr]:
        if id in _RULES:
            raise ValueError(f"rule id {id} is registered twice")
        _RULES[id] = Rule(id, severity, fields, en, vi, fn, family)
        return fn

    return register


def rules() -> dict[str, Rule]:
    """Every registered rule by id (importing the rule modules registers them)."""
    from oncoreg.checks import load_rules

    load_rules()
    return dict(_RULES)


def conform(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The frame with every input column present in its dtype (absent ones null; columns
    that hold only nulls, of Polars type Null, are given their type)."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    return lazy.with_columns(
        [
            pl.lit(None, dtype=dtype).alias(name)
            if name not in schema
            else pl.col(name).cast(dtype)
            for name, dtype in INPUT_COLUMNS.items()
            if name not in schema or schema[name] == pl.Null
        ]
    )


def prepare(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Add the derived columns that rules share; see the module docstring."""
    from oncoreg.checks.derived import derived_columns

    return derived_columns(conform(frame))


FINDING_COLUMNS = (
    "facility_code",
    "report_id",
    "rule_id",
    "severity",
    "field",
    "message_en",
    "message_vi",
)


def run(
    frame: pl.DataFrame | pl.LazyFrame,
    selected: list[str] | None = None,
    confirmed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """All findings of the selected rules (default all), one row per report and rule.

    Args:
        frame: reports with (some of) :data:`INPUT_COLUMNS`.
        selected: rule ids to run; None runs every rule.
        confirmed: (facility_code, report_id, rule_id) of warnings a registrar confirmed;
            those findings are left out.
    """
    table = rules()
    chosen = [table[i] for i in (selected or sorted(table))]
    keys = ["facility_code", "report_id"]
    wide = prepare(frame).select(*keys, *[r.check().fill_null(False).alias(r.id) for r in chosen])
    long = wide.unpivot(index=keys, variable_name="rule_id", value_name="fails").filter("fails")
    meta = pl.DataFrame(
        {
            "rule_id": [r.id for r in chosen],
            "severity": [r.severity.value for r in chosen],
            "field": [",".join(r.fields) for r in chosen],
            "message_en": [r.message_en for r in chosen],
            "message_vi": [r.message_vi for r in chosen],
        }
    ).lazy()
    found = long.join(meta, on="rule_id", how="left").select(FINDING_COLUMNS)
    if confirmed is not None:
        found = found.join(
            confirmed.lazy().select(*keys, "rule_id"), on=[*keys, "rule_id"], how="anti"
        )
    return found.collect().sort([*keys, "rule_id"])
