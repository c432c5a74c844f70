"""Registry statistics: pure functions over frames of codes, dates and counts (no names).

Incidence (``rates``, ``standardise``), trends (``trend``) and survival (``survival``,
``netsurvival``, ``lifetable``, ``icss``); each function takes a Polars (or pandas) frame
and returns a tidy Polars frame with estimate, SE and CI columns.
"""

from oncoreg.stats.icss import ICSS_WEIGHTS
from oncoreg.stats.lifetable import LifeTable
from oncoreg.stats.netsurvival import net_survival
from oncoreg.stats.rates import (
    AGE_GROUPS,
    age_group_of,
    age_specific_rates,
    counts_from_cases,
    crude_rates,
    poisson_limits,
)
from oncoreg.stats.standardise import age_standardised_rates, rate_ratio
from oncoreg.stats.survival import kaplan_meier, prepare_cohort
from oncoreg.stats.trend import annual_percent_change

__all__ = [
    "AGE_GROUPS",
    "ICSS_WEIGHTS",
    "LifeTable",
    "age_group_of",
    "age_specific_rates",
    "age_standardised_rates",
    "annual_percent_change",
    "counts_from_cases",
    "crude_rates",
    "kaplan_meier",
    "net_survival",
    "poisson_limits",
    "prepare_cohort",
    "rate_ratio",
]
