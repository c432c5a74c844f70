"""Confidence intervals of survival estimates: log, log-log and plain.

Two conventions, each that of the peer the estimator is checked against:

* Kaplan–Meier (:func:`km_interval`) as R survival's ``survfit``: built from the standard
  error of the cumulative hazard (Greenwood), the upper limit capped at 1 (log and plain) and
  the lower at 0 (plain); undefined (null) where the estimate is 0.
* Relative and net survival (:func:`net_interval`) as popEpi's ``survtab`` and relsurv's
  ``rs.surv``: built from the standard error on the survival scale, never capped (net
  survival may exceed 1); log-log undefined where the estimate is not inside (0, 1).

In both, a standard error of 0 (no death yet) gives the interval [estimate, estimate].
``z`` is the standard normal quantile of (1 + conf) / 2: 1.959963984540054 for 95%.
"""

from __future__ import annotations

import numpy as np

from oncoreg.errors import InputError

CI_TYPES = ("log", "loglog", "plain")


def z_value(conf: float) -> float:
    """The two-sided standard normal quantile for confidence level ``conf``."""
    if not 0 < conf < 1:
        raise InputError(f"conf must be between 0 and 1 (got {conf})", hint="e.g. conf=0.95")
    from scipy.special import ndtri  # imported here, when needed: scipy is slow to import

    return float(ndtri(0.5 + conf / 2))


def check_ci(ci: str) -> str:
    """``ci`` itself when it is a known interval type; ``log-log`` is read as ``loglog``."""
    name = "loglog" if ci == "log-log" else ci
    if name not in CI_TYPES:
        raise InputError(
            f"unknown confidence interval type {ci!r}", hint="use log, loglog or plain"
        )
    return name


def km_interval(
    estimate: np.ndarray, se_log: np.ndarray, ci: str, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """survfit's interval from the Kaplan–Meier estimate and the SE of its cumulative hazard."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(estimate > 0, estimate, np.nan)
        if ci == "plain":
            half = z * se_log * estimate
            lower, upper = np.maximum(estimate - half, 0), np.minimum(estimate + half, 1)
        elif ci == "log":
            lower = np.exp(np.log(s) - z * se_log)
            upper = np.minimum(np.exp(np.log(s) + z * se_log), 1)
        else:
            inner = np.where(s < 1, s, np.nan)
            shift = z * se_log / np.log(inner)
            lower = np.exp(-np.exp(np.log(-np.log(inner)) - shift))
            upper = np.exp(-np.exp(np.log(-np.log(inner)) + shift))
    return _flat_where_no_error(estimate, se_log, lower, upper)


def km_interval_from_se(
    estimate: np.ndarray, se: np.ndarray, ci: str, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`km_interval` from an SE on the survival scale (e.g. of a standardised estimate)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(estimate > 0, se / estimate, np.inf)
    return km_interval(estimate, se_log, ci, z)


def net_interval(
    estimate: np.ndarray, se: np.ndarray, ci: str, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """popEpi's and relsurv's interval from an estimate and its SE on the survival scale."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if ci == "plain":
            lower, upper = estimate - z * se, estimate + z * se
        elif ci == "log":
            s = np.where(estimate > 0, estimate, np.nan)
            lower, upper = s * np.exp(-z * se / s), s * np.exp(z * se / s)
        else:
            s = np.where((estimate > 0) & (estimate < 1), estimate, np.nan)
            scaled = se / (np.abs(np.log(s)) * s)
            lower, upper = s ** np.exp(z * scaled), s ** np.exp(-z * scaled)
    return _flat_where_no_error(estimate, se, lower, upper)


def _flat_where_no_error(estimate, se, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    none = se == 0
    return np.where(none, estimate, lower), np.where(none, estimate, upper)
