"""Survival of the registry's own tumours: the cohort (first tumour of a site per person,
vital status from every report, passive or active follow-up), the registry's life table,
and the file mode's estimators on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from oncoreg.errors import InputError
from oncoreg.services.statistics import (
    COLORECTUM,
    Selection,
    registry_tumours,
    select_tumours,
)
from oncoreg.store.database import Store

SURVIVAL_AGES = (15, 99)  # CONCORD's adult range: ages 15-99 at diagnosis
FOLLOW_UP = ("passive", "active")


def survival_cohort(
    store: Store,
    selection: Selection,
    by: tuple[str, ...] = (),
    tumours: pl.DataFrame | None = None,
) -> Cohort:
    """The registry's cohort for survival, in the columns of the file mode's COHORT.csv.

    One row per person: the first tumour of the selection's site and years (a person's
    later tumours of the same site would count the same deaths twice). Left out, and
    counted: death-certificate-only tumours (no survival time), persons of unknown sex and
    ages outside 15-99.

    Follow-up is *passive* by default, as registries that link death registrations do
    (CONCORD): a person with no known death is alive at the closing date (the selection's,
    or else the latest date the registry holds). *Active* follow-up censors at the last
    date the person was seen alive; it is biased low when deaths are found by linkage but
    survivors are not followed.
    """
    if selection.follow_up not in FOLLOW_UP:
        raise InputError(
            f"follow-up {selection.follow_up!r} is not one of {', '.join(FOLLOW_UP)}",
            hint="passive: alive at the closing date unless a death is known; "
            "active: censored at the last contact",
        )
    everyone = registry_tumours(store) if tumours is None else tumours
    tumours = select_tumours(everyone, selection)
    first = tumours.sort("diagnosis_date", "tumour_id").unique("person_id", keep="first")
    if selection.follow_up == "passive":
        closing = selection.closing or min(everyone["exit_date"].max(), date.today())
        first = first.with_columns(
            exit_date=pl.when(pl.col("status") == 1)
            .then(pl.col("exit_date"))
            .otherwise(pl.lit(closing, pl.Date))
        )
        first = first.filter(pl.col("diagnosis_date") <= pl.lit(closing, pl.Date))
    reasons = {
        "death certificate only": pl.col("basis") == "0",
        "sex unknown": ~pl.col("sex").is_in([1, 2]),
        "age unknown or outside 15-99": ~pl.col("age").is_between(*SURVIVAL_AGES),
    }
    excluded = {}
    for reason, condition in reasons.items():
        out = first.filter(condition.fill_null(True))
        excluded[reason] = out.height
        first = first.filter(~condition.fill_null(True))
    columns = {"site": "site", "sex": "sex", "year": "year", "province": "province_code"}
    unknown = [b for b in by if b not in columns]
    if unknown:
        raise InputError(
            f"cannot stratify by {', '.join(unknown)}", hint=f"use {', '.join(columns)}"
        )
    cohort = first.select(
        "sex",
        "age",
        pl.col("diagnosis_date").alias("dx_date"),
        "exit_date",
        pl.col("status").cast(pl.Int8),
        *(_cohort_column(columns[b]).alias(b) for b in by if b != "sex"),
    )
    return Cohort(cohort, excluded, selection)


def _cohort_column(name: str) -> pl.Expr:
    """A stratum column of the cohort; sites as the incidence table groups them."""
    return pl.col("site").replace(COLORECTUM) if name == "site" else pl.col(name)


@dataclass(frozen=True)
class Cohort:
    """A survival cohort and the number of tumours left out of it, by reason."""

    frame: pl.DataFrame
    excluded: dict[str, int]
    selection: Selection


def life_table(store: Store, extend: bool = False):
    """The registry's life table as :class:`oncoreg.stats.lifetable.LifeTable`.

    Raises:
        InputError: none was imported.
    """
    from oncoreg.services.population import life_table_frame
    from oncoreg.stats.lifetable import LifeTable

    frame = life_table_frame(store)
    if frame.is_empty():
        raise InputError(
            "the registry has no life table",
            hint="import one with `oncoreg lifetable import LIFETABLE.csv`",
        )
    return LifeTable.from_frame(frame, extend=extend)


def registry_survival(
    store: Store, selection: Selection, request, tumours: pl.DataFrame | None = None
) -> RegistrySurvival:
    """Survival of the registry's cohort (:func:`survival_cohort`) with the file mode's
    estimators; ``request`` is a :class:`~oncoreg.services.survival_files.SurvivalRequest`
    without files (its ``cohort`` and ``lifetable`` are not read)."""
    from oncoreg.services.survival_files import check_request, estimate
    from oncoreg.stats.survival import prepare_cohort

    check_request(request, lifetable_given=True)
    cohort = survival_cohort(store, selection, request.by, tumours)
    if cohort.frame.is_empty():
        raise InputError(
            f"no tumours to follow up: none {selection.describe()}"
            + (f" of site {selection.site}" if selection.site else ""),
            hint="choose other --years or --site",
        )
    population = request.method != "km"
    prepared = prepare_cohort(cohort.frame, request.by, population=population)
    table = life_table(store, extend=request.extend_lifetable) if population else None
    return RegistrySurvival(estimate(request, prepared, table, None), cohort)


@dataclass(frozen=True)
class RegistrySurvival:
    """Survival estimates and the cohort they come from."""

    estimates: pl.DataFrame
    cohort: Cohort
