"""Benchmark: survival statistics on a synthetic cohort with a synthetic life table.

Run: .venv/bin/python bench/survival.py [--patients 1000000] [--times 1,3,5] [--exact]

Generates (not timed) a cohort of N patients diagnosed 2005-2019 and followed to the end
of 2020: sex at random, age at diagnosis about 65 (sd 12, 15 to 99), death at a Gompertz
population hazard plus a constant excess hazard of 0.08 a year; and a life table of
Gompertz hazards (ages 0-110, years 2000-2025). Then times, each in a fresh child process
so that peak memory is that of one computation, Pohar Perme and Ederer II with yearly
breaks (and monthly), and Kaplan-Meier, at the requested times; ``--exact`` adds the
continuous-time estimators (relsurv's convention, much slower). It prints seconds and the
child's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, which includes
the generated cohort the child receives, about 60 bytes per patient).

Target (issue: survival statistics): Pohar Perme on 1,000,000 patients in under 3.5 s and
3 GiB on 2 cores (popEpi::survtab takes 35 s, relsurv::rs.surv 328 s).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import polars as pl

from oncoreg.stats.lifetable import LifeTable, jan1_days
from oncoreg.stats.netsurvival import net_survival
from oncoreg.stats.survival import kaplan_meier

EXCESS = 0.08
END = "2020-12-31"


def gompertz(age: np.ndarray, sex: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Synthetic annual population hazard: Gompertz in age, men higher, falling 1% a year."""
    return np.exp(-10.0 + 0.095 * age + 0.35 * (sex == 1) - 0.01 * (year - 2010))


def life_table() -> LifeTable:
    sex, age, year = (g.ravel() for g in np.meshgrid([1, 2], np.arange(111), np.arange(2000, 2026)))
    frame = pl.DataFrame({"sex": sex, "age": age, "year": year, "haz": gompertz(age, sex, year)})
    return LifeTable.from_frame(frame, extend=True)


def cohort(n: int, seed: int = 1) -> pl.DataFrame:
    """A synthetic cohort in COHORT.csv's columns (``time_days``, no dates of exit)."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, n)
    age = np.clip(rng.normal(65, 12, n), 15, 99)
    dx = rng.integers(jan1_days(2005), jan1_days(2020), n)
    end = float(np.datetime64(END, "D").astype(np.int64)) + 1
    hazard = gompertz(age + 2, sex, 2012) + EXCESS  # a constant approximation, enough here
    death = rng.exponential(1 / hazard) * 365.25
    days = np.floor(np.minimum(death, end - dx)).astype(np.int64)
    status = (death < end - dx).astype(np.int8)
    return pl.DataFrame(
        {
            "sex": sex.astype(np.int8),
            "age": age,
            "dx_date": pl.Series(dx.astype("datetime64[D]")),
            "time_days": np.maximum(days, 0).astype(np.float64),
            "status": status,
        }
    )


def _run(task: str, frame: pl.DataFrame, table: LifeTable, times: list[float]):
    started = time.perf_counter()
    if task == "kaplan-meier":
        result = kaplan_meier(frame, times)
    else:
        method, breaks = task.split(" ")
        result = net_survival(frame, table, times, method=method, breaks=breaks)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return seconds, peak, result["estimate"].to_list()


def _in_child(*args):
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_run, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--times", default="1,3,5")
    parser.add_argument("--exact", action="store_true")
    args = parser.parse_args()
    times = [float(t) for t in args.times.split(",")]
    frame, table = cohort(args.patients), life_table()
    tasks = ["pohar-perme yearly", "ederer2 yearly", "pohar-perme monthly", "kaplan-meier"]
    tasks += ["pohar-perme exact", "ederer2 exact"] if args.exact else []
    print(f"{args.patients:,} patients, {int(frame['status'].sum()):,} deaths, times {times}")
    print(f"{'estimator':<24}{'seconds':>10}{'peak GiB':>10}  estimates")
    for task in tasks:
        seconds, peak, estimates = _in_child(task, frame, table, times)
        shown = ", ".join(f"{e:.4f}" for e in estimates)
        print(f"{task:<24}{seconds:>10.2f}{peak:>10.2f}  {shown}")


if __name__ == "__main__":
    main()
