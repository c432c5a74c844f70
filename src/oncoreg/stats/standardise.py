"""Direct age standardisation, cumulative rate and risk, and rate ratios.

The age-standardised rate (ASR) of a stratum is ``sum_i w_i d_i / y_i`` with the standard's
weights ``w_i`` normalised to sum to 1 (as SEER*Stat and ``epitools::ageadjust.direct``
do; the WHO world standard's published weights add to 100,035, not 100,000) and its
variance ``sum_i w_i^2 d_i / y_i^2``. An age group without person-years (``y_i = 0``,
and then no cases) contributes nothing to either, and nothing to Fay and Feuer's
``w_M = max_i w_i / y_i``.

Confidence intervals of the ASR (``ci``):

* ``gamma`` (default; SEER*Stat's): Fay and Feuer (1997), as ``epitools::ageadjust.direct``;
* ``dobson``: Dobson et al. (1991), from Garwood's limits of the total count;
* ``normal``: ``asr +- z se`` (the lower limit no less than 0);
* ``lognormal``: ``asr * exp(+- z se / asr)``.

With no cases in a stratum the ASR is 0, its lower limit 0 and its upper limit Fay and
Feuer's (gamma) or null (the other methods have none). ``z`` is the normal quantile, e.g.
``qnorm(0.975) = 1.959963984540054``.

The cumulative rate 0-74 (as in Cancer Incidence in Five Continents) is
``100 * sum_i t_i d_i / y_i`` over the groups up to 70-74 (``t_i`` their width in years,
5 for five-year groups), in percent; its SE ``100 * sqrt(sum_i t_i^2 d_i / y_i^2)``; the
cumulative risk ``100 * (1 - exp(-cum_rate / 100))``, with limits transformed from the
cumulative rate's normal limits (the lower one no less than 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from oncoreg.codes.standard_populations import parse_age_group, standard_population, weights_for
from oncoreg.errors import InputError
from oncoreg.stats.rates import (
    as_polars,
    check_conf,
    check_per,
    complete_counts,
    garwood,
    prepare_counts,
    z_value,
)

STANDARDS = ("world-segi", "world-who-2000", "europe-1976", "europe-2013")
CI_METHODS = ("gamma", "dobson", "normal", "lognormal")
RATIO_METHODS = ("lognormal", "boyle-parkin")
ASR_COLUMNS = (
    "cases",
    "pyrs",
    "crude_rate",
    "crude_lower",
    "crude_upper",
    "asr",
    "asr_se",
    "asr_lower",
    "asr_upper",
    "cum_rate_0_74",
    "cum_risk_0_74",
    "cum_risk_lower",
    "cum_risk_upper",
)
EXTRA_COLUMNS = (
    "cum_rate_0_74_se",
    "cum_rate_0_64",
    "cum_rate_0_64_se",
    "cum_risk_0_64",
    "cum_risk_0_64_lower",
    "cum_risk_0_64_upper",
    "empty_age_groups",
)


def age_standardised_rates(
    counts: object,
    by: Sequence[str] = (),
    standard: str = "world-segi",
    ci: str = "gamma",
    per: float = 100_000,
    conf: float = 0.95,
) -> pl.DataFrame:
    """Crude and age-standardised rates, cumulative rates and risks, per stratum.

    Args:
        counts: ``age_group``, ``cases``, ``pyrs`` and the ``by`` columns; a missing
            age-group row means no cases and no person-years.
        by: the stratum columns.
        standard: ``world-segi``, ``world-who-2000``, ``europe-1976`` or ``europe-2013``
            (any shipped standard population is accepted).
        ci: ``gamma``, ``dobson``, ``normal`` or ``lognormal`` (see the module docstring).
        per: rates per this many person-years.
        conf: the confidence level.

    Returns:
        One row per stratum (in order of first appearance): the ``by`` columns, then
        :data:`ASR_COLUMNS`, then :data:`EXTRA_COLUMNS`. Rates per ``per`` person-years,
        cumulative rates and risks in percent. A stratum without person-years has null
        rates.

    Raises:
        InputError: a bad frame (every problem), an unknown standard or CI method.
    """
    _check_options(ci, per, conf)
    frame, groups = prepare_counts(counts, by, standard)
    full = complete_counts(frame, by, groups).join(_group_table(standard, groups), on="age_group")
    sums = _stratum_sums(full, by)
    out = sums.select("_stratum", *by).with_columns(
        **_crude(sums, per, conf),
        **_asr(sums, ci, per, conf),
        **_cumulative(sums, conf),
        empty_age_groups=sums["empty"],
    )
    return out.select(*by, *ASR_COLUMNS, *EXTRA_COLUMNS)


def _check_options(ci: str, per: float, conf: float) -> None:
    if ci not in CI_METHODS:
        raise InputError(f"unknown CI method {ci!r}", hint=f"use one of {', '.join(CI_METHODS)}")
    check_per(per)
    check_conf(conf)


def standard_weights(standard: str, groups: Sequence[str]) -> dict[str, float]:
    """The standard's weights on the data's age groups, normalised to sum to 1."""
    weights = weights_for(standard, tuple(groups))
    total = standard_population(standard).total
    return {label: w / total for label, w in weights.items()}


def _group_table(standard: str, groups: Sequence[str]) -> pl.DataFrame:
    """Per age group: the weight, its width in years, and whether it lies within 0-74, 0-64."""
    parsed = [parse_age_group(g) for g in groups]
    weights = standard_weights(standard, groups)
    return pl.DataFrame(
        {
            "age_group": list(groups),
            "w": [weights[g] for g in groups],
            "width": [float(g.upper - g.start + 1) for g in parsed],
            "to74": _within(parsed, 74),
            "to64": _within(parsed, 64),
        }
    )


def _within(parsed: list, age: int) -> list[bool]:
    """Which groups lie within 0..age; none if no group ends at ``age`` exactly."""
    if not any(g.upper == age for g in parsed):
        return [False] * len(parsed)
    return [g.upper <= age for g in parsed]


def _stratum_sums(full: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Sums over the age groups of each stratum (per person-year; empty groups add 0)."""
    has = pl.col("pyrs") > 0
    y = pl.when(has).then(pl.col("pyrs")).otherwise(1.0)
    rate = pl.when(has).then(pl.col("cases") / y).otherwise(0.0)
    var = pl.when(has).then(pl.col("cases") / y**2).otherwise(0.0)
    terms = full.with_columns(rate=rate, var=var, wy=pl.when(has).then(pl.col("w") / y))
    return terms.group_by("_stratum", *by, maintain_order=True).agg(
        cases=pl.col("cases").sum(),
        pyrs=pl.col("pyrs").sum(),
        asr=(pl.col("w") * pl.col("rate")).sum(),
        var=(pl.col("w") ** 2 * pl.col("var")).sum(),
        wmax=pl.col("wy").max().fill_null(0.0),
        empty=(~has).sum().cast(pl.Int64),
        cum74=_cum_sum("to74", "rate", 1),
        cumvar74=_cum_sum("to74", "var", 2),
        cum64=_cum_sum("to64", "rate", 1),
        cumvar64=_cum_sum("to64", "var", 2),
        closes74=pl.col("to74").any(),
        closes64=pl.col("to64").any(),
    )


def _cum_sum(flag: str, term: str, power: int) -> pl.Expr:
    return (pl.col("width") ** power * pl.col(term)).filter(pl.col(flag)).sum()


def _null_where(values: np.ndarray, empty: np.ndarray) -> pl.Series:
    """A float column, null where ``empty`` is true or the value is NaN."""
    out = np.where(empty, np.nan, np.asarray(values, dtype=float))
    return pl.Series(out, dtype=pl.Float64).fill_nan(None)


def _crude(sums: pl.DataFrame, per: float, conf: float) -> dict[str, pl.Series]:
    cases, pyrs = sums["cases"].to_numpy(), sums["pyrs"].to_numpy()
    none = pyrs <= 0
    y = np.where(none, 1.0, pyrs)
    lower, upper = garwood(cases, conf)
    return {
        "cases": sums["cases"].cast(pl.Int64),
        "pyrs": sums["pyrs"],
        "crude_rate": _null_where(cases / y * per, none),
        "crude_lower": _null_where(lower / y * per, none),
        "crude_upper": _null_where(upper / y * per, none),
    }


def _asr(sums: pl.DataFrame, ci: str, per: float, conf: float) -> dict[str, pl.Series]:
    asr, var = sums["asr"].to_numpy(), sums["var"].to_numpy()
    cases, wmax = sums["cases"].to_numpy(), sums["wmax"].to_numpy()
    lower, upper = asr_interval(asr, var, cases, wmax, ci, conf)
    none = sums["pyrs"].to_numpy() <= 0
    return {
        "asr": _null_where(asr * per, none),
        "asr_se": _null_where(np.sqrt(var) * per, none),
        "asr_lower": _null_where(lower * per, none),
        "asr_upper": _null_where(upper * per, none),
    }


def asr_interval(
    asr: np.ndarray,
    var: np.ndarray,
    cases: np.ndarray,
    wmax: np.ndarray,
    method: str = "gamma",
    conf: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits of ASRs (per person-year) by one of :data:`CI_METHODS`.

    Args:
        asr: the ASRs, ``sum w_i d_i / y_i`` with weights summing to 1.
        var: their variances, ``sum w_i^2 d_i / y_i^2``.
        cases: the total counts ``sum d_i``.
        wmax: ``max w_i / y_i`` over the groups with person-years (gamma only).
        method: ``gamma``, ``dobson``, ``normal`` or ``lognormal``.
        conf: the confidence level.

    Returns:
        ``(lower, upper)``; NaN where a method has no limit (no cases).
    """
    alpha = 1 - conf
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "gamma":
            return _gamma_ci(asr, var, wmax, alpha)
        if method == "dobson":
            return _dobson_ci(asr, var, cases, conf)
        se = np.sqrt(var)
        z = z_value(conf)
        if method == "normal":
            return _zero_cases(asr, np.maximum(asr - z * se, 0.0), asr + z * se)
        if method == "lognormal":
            return _zero_cases(asr, asr * np.exp(-z * se / asr), asr * np.exp(z * se / asr))
    raise InputError(f"unknown CI method {method!r}", hint=f"use one of {', '.join(CI_METHODS)}")


def _zero_cases(asr: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """Lower limit 0 and no upper limit where the ASR is 0 (no cases)."""
    zero = asr <= 0
    return np.where(zero, 0.0, lower), np.where(zero, np.nan, upper)


def _gamma_ci(asr: np.ndarray, var: np.ndarray, wmax: np.ndarray, alpha: float):
    """Fay and Feuer (1997), as ``epitools::ageadjust.direct`` computes it."""
    some = asr > 0
    safe_asr, safe_var = np.where(some, asr, 1.0), np.where(some, var, 1.0)
    lower = stats.gamma.ppf(alpha / 2, safe_asr**2 / safe_var, scale=safe_var / safe_asr)
    shape = (asr + wmax) ** 2 / (var + wmax**2)
    upper = stats.gamma.ppf(1 - alpha / 2, shape, scale=(var + wmax**2) / (asr + wmax))
    return np.where(some, lower, 0.0), np.where(wmax > 0, upper, np.nan)


def _dobson_ci(asr: np.ndarray, var: np.ndarray, cases: np.ndarray, conf: float):
    """Dobson, Kuulasmaa, Eberle and Scherer (1991): Garwood's limits of the total count
    ``D``, mapped to the ASR scale by ``asr + sqrt(var / D) * (D_limit - D)``."""
    low, high = garwood(cases, conf)
    scale = np.sqrt(var / np.where(cases > 0, cases, 1.0))
    lower, upper = asr + scale * (low - cases), asr + scale * (high - cases)
    return _zero_cases(asr, lower, upper)


_CUMULATIVE = {
    "74": (
        "cum_rate_0_74",
        "cum_rate_0_74_se",
        "cum_risk_0_74",
        "cum_risk_lower",
        "cum_risk_upper",
    ),
    "64": (
        "cum_rate_0_64",
        "cum_rate_0_64_se",
        "cum_risk_0_64",
        "cum_risk_0_64_lower",
        "cum_risk_0_64_upper",
    ),
}


def _cumulative(sums: pl.DataFrame, conf: float) -> dict[str, pl.Series]:
    """Cumulative rates 0-74 and 0-64 (percent), their SEs, and the cumulative risks."""
    z = z_value(conf)
    out: dict[str, pl.Series] = {}
    for top, names in _CUMULATIVE.items():
        rate = 100 * sums[f"cum{top}"].to_numpy()
        se = 100 * np.sqrt(sums[f"cumvar{top}"].to_numpy())
        none = (sums["pyrs"].to_numpy() <= 0) | ~sums[f"closes{top}"].to_numpy()
        low, high = cum_risk(np.maximum(rate - z * se, 0.0)), cum_risk(rate + z * se)
        values = (rate, se, cum_risk(rate), low, high)
        out |= {name: _null_where(v, none) for name, v in zip(names, values, strict=True)}
    return out


def cum_risk(cum_rate: np.ndarray) -> np.ndarray:
    """Cumulative risk from the cumulative rate, both in percent: ``100 (1 - exp(-r/100))``."""
    return 100 * -np.expm1(-np.asarray(cum_rate, dtype=float) / 100)


def rate_ratio(
    rates: object,
    compare: str,
    numerator: object,
    denominator: object,
    by: Sequence[str] = (),
    method: str = "lognormal",
    conf: float = 0.95,
) -> pl.DataFrame:
    """Ratios of two strata's ASRs with a confidence interval.

    Methods (``method``):

    * ``lognormal`` (default): ``exp(ln RR +- z sqrt((se1/asr1)^2 + (se2/asr2)^2))``, the
      delta method on the log scale;
    * ``boyle-parkin``: the test-based limits ``RR^(1 +- z/chi)`` with
      ``chi = (asr1 - asr2) / sqrt(se1^2 + se2^2)`` (Boyle and Parkin 1991, IARC Sci Publ
      95, as Cancer Incidence in Five Continents uses); no limits when ``chi`` is 0.

    Args:
        rates: the output of :func:`age_standardised_rates` (``asr``, ``asr_se``, the
            ``compare`` column and the ``by`` columns).
        compare: the column whose values are compared, e.g. ``sex``.
        numerator: its value in the numerator, e.g. ``"M"``.
        denominator: its value in the denominator, e.g. ``"F"``.
        by: the other stratum columns: one ratio per stratum of them.
        method: ``lognormal`` or ``boyle-parkin``.
        conf: the confidence level.

    Returns:
        The ``by`` columns, ``asr_numerator``, ``asr_denominator``, ``rate_ratio``,
        ``rate_ratio_lower``, ``rate_ratio_upper`` (null where a ratio or limit is not
        defined: an ASR of 0).

    Raises:
        InputError: an unknown method, a missing column, or a stratum without exactly one
            numerator and one denominator row.
    """
    if method not in RATIO_METHODS:
        raise InputError(f"unknown rate ratio method {method!r}", hint="lognormal or boyle-parkin")
    z = z_value(conf)
    pairs = _ratio_pairs(as_polars(rates), compare, numerator, denominator, list(by))
    a1, a2 = pairs["asr_numerator"].to_numpy(), pairs["asr_denominator"].to_numpy()
    s1, s2 = pairs["se_numerator"].to_numpy(), pairs["se_denominator"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a1 / a2
        if method == "lognormal":
            half = z * np.sqrt((s1 / a1) ** 2 + (s2 / a2) ** 2)
            lower, upper = ratio * np.exp(-half), ratio * np.exp(half)
        else:
            chi = (a1 - a2) / np.sqrt(s1**2 + s2**2)
            ends = ratio ** (1 - z / chi), ratio ** (1 + z / chi)
            equal = chi == 0  # equal ASRs: the method has no limits
            lower = np.where(equal, np.nan, np.fmin(*ends))
            upper = np.where(equal, np.nan, np.fmax(*ends))
    valid = (a1 > 0) & (a2 > 0)
    return pairs.select(*by, "asr_numerator", "asr_denominator").with_columns(
        rate_ratio=_null_where(ratio, a2 <= 0),
        rate_ratio_lower=_null_where(lower, ~valid | ~np.isfinite(lower)),
        rate_ratio_upper=_null_where(upper, ~valid | ~np.isfinite(upper)),
    )


def _ratio_pairs(
    rates: pl.DataFrame, compare: str, numerator: object, denominator: object, by: list[str]
) -> pl.DataFrame:
    missing = [c for c in (compare, "asr", "asr_se", *by) if c not in rates.columns]
    if missing:
        raise InputError(f"rates: missing column(s) {', '.join(missing)}")
    top = _ratio_side(rates, compare, numerator, "numerator", by)
    bottom = _ratio_side(rates, compare, denominator, "denominator", by)
    if not by:
        return pl.concat([top, bottom], how="horizontal")
    pairs = top.join(bottom, on=by, how="inner", maintain_order="left")
    if pairs.height != top.height or pairs.height != bottom.height:
        raise InputError(f"rates: a stratum lacks its {compare}={numerator} or ={denominator} row")
    return pairs


def _ratio_side(
    rates: pl.DataFrame, compare: str, value: object, side: str, by: list[str]
) -> pl.DataFrame:
    part = rates.filter(pl.col(compare) == value).select(
        *by, pl.col("asr").alias(f"asr_{side}"), pl.col("asr_se").alias(f"se_{side}")
    )
    duplicated = part.select(by).is_duplicated().any() if by else part.height > 1
    if part.height == 0 or duplicated:
        raise InputError(f"rates: need exactly one row with {compare}={value} per stratum")
    return part
