"""``oncoreg stats`` commands: survival."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from oncoreg.cli.output import console


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``oncoreg stats``."""
    app.command("survival")(survival_command)


def survival_command(
    cohort: Path = typer.Option(
        None,
        help="COHORT.csv: sex, age, dx_date, exit_date or time_days, status (+ --by columns). "
        "Without it, the registry's own tumours (registry mode: --site, --years).",
    ),
    method: str = typer.Option(..., help="km (Kaplan-Meier), ederer2 or pohar-perme."),
    times: str = typer.Option(..., help="Years since diagnosis to report, e.g. 1,3,5."),
    out: Path = typer.Option(
        None, help="OUT.csv to write (one row per stratum and time); needed in file mode."
    ),
    lifetable: Path = typer.Option(
        None, help="LIFETABLE.csv: sex, age, year, haz (or qx); needed for ederer2/pohar-perme."
    ),
    by: str = typer.Option(
        None,
        help="Columns to stratify by: COHORT.csv columns (e.g. sex,stage), or in registry "
        "mode site, sex, year, province.",
    ),
    breaks: str = typer.Option(
        "yearly",
        help="yearly, quarterly or monthly intervals (popEpi survtab), or exact "
        "(continuous time, relsurv rs.surv).",
    ),
    period: str = typer.Option(
        None, help="FROM-TO calendar years: the period approach, e.g. 2018-2022."
    ),
    standardise: str = typer.Option(
        None, help="Age-standardise with ICSS weights: icss-1, icss-2 or icss-3."
    ),
    pp_weights: str = typer.Option(
        "exact",
        help="Pohar Perme weights in intervals: exact (1/S_p(t) integrated over each "
        "interval) or popepi (popEpi survtab's own weights, to reproduce its numbers).",
    ),
    ci: str = typer.Option("log", help="Confidence interval: log, loglog or plain."),
    conf: float = typer.Option(0.95, help="Confidence level."),
    extend_lifetable: bool = typer.Option(
        False,
        "--extend-lifetable",
        help="Carry the life table's oldest age and last year forward (logged).",
    ),
    site: str = typer.Option(
        None, help="Registry mode: a site group (liver) or ICD-10 code prefix (C22)."
    ),
    years: str = typer.Option(None, help="Registry mode: years of diagnosis, e.g. 2015-2024."),
    province: str = typer.Option(None, help="Registry mode: one province (either era's code)."),
    follow_up: str = typer.Option(
        "passive",
        help="Registry mode: passive (alive at the closing date unless a death is known) or "
        "active (censored at the last contact).",
    ),
    closing: str = typer.Option(
        None,
        help="Registry mode, passive follow-up: closing date YYYY-MM-DD (default: the "
        "latest date the registry holds).",
    ),
) -> None:
    """Survival from files or from the registry: Kaplan-Meier, relative (Ederer II) or net
    (Pohar Perme).

    Writes time, n_at_risk, estimate, se, lower, upper per stratum and time (with
    observed survival alongside for ederer2 and pohar-perme). The files and every
    convention are described in docs/stats-survival.md. Without --cohort, the cohort is the
    registry's first tumour of the --site per person diagnosed in --years (ages 15-99, no
    death-certificate-only cases) with the registry's life table.

    Example: oncoreg stats survival --cohort cohort.csv --method pohar-perme --lifetable lifetable.csv --times 1,3,5 --out net.csv
    """  # noqa: E501 - the example stays on one line to be copied
    from oncoreg.services.survival_files import SurvivalRequest, survival_from_files

    request = SurvivalRequest(
        cohort=cohort,
        method=method,
        times=_times(times),
        out=out,
        lifetable=lifetable,
        by=_names(by),
        breaks=breaks,
        period=period,
        standardise=standardise,
        ci=ci,
        conf=conf,
        extend_lifetable=extend_lifetable,
        pp_weights=pp_weights,
    )
    if cohort is None:
        _registry_mode(request, site, years, province, follow_up, closing)
        return
    if out is None:
        from oncoreg.errors import InputError

        raise InputError("--out is needed with --cohort", hint="e.g. --out net.csv")
    summary = survival_from_files(request)
    console.print(
        f"survival ({method}): {summary.patients} patients, {summary.strata} strata, "
        f"{summary.rows} rows -> {summary.out}",
        highlight=False,
    )


def _registry_mode(request, site, years, province, follow_up, closing) -> None:
    from datetime import date

    from oncoreg.cli.stats_registry import parse_years, show_survival
    from oncoreg.errors import InputError
    from oncoreg.services.registry_survival import registry_survival
    from oncoreg.services.statistics import Selection
    from oncoreg.settings import get_settings
    from oncoreg.store import Store

    if years is None:
        raise InputError(
            "--years is needed without --cohort (registry mode)", hint="e.g. --years 2015-2024"
        )
    try:
        closing_date = date.fromisoformat(closing) if closing else None
    except ValueError:
        raise InputError(f"--closing {closing!r} is not a date YYYY-MM-DD") from None
    selection = Selection(parse_years(years), province, site, follow_up, closing_date)
    store = Store.from_settings(get_settings())
    try:
        result = registry_survival(store, selection, request)
    finally:
        store.dispose()
    left_out = ", ".join(f"{n} {why}" for why, n in result.cohort.excluded.items() if n)
    title = f"Survival ({request.method}) of {result.cohort.frame.height} patients"
    title += f", {selection.describe()}" + (f", site {site}" if site else "")
    keys = list(request.by)
    if keys:
        patients = result.cohort.frame.group_by(keys).len("patients")
        table = result.estimates.join(patients, on=keys, how="left").with_columns(
            label=pl.concat_str([pl.col(c).cast(pl.String) for c in keys], separator=" / ")
        )
    else:
        table = result.estimates.with_columns(
            label=pl.lit(site or "all sites"), patients=pl.lit(result.cohort.frame.height)
        )
    names = {"km": "survival %", "ederer2": "relative %", "pohar-perme": "net %"}
    show_survival(table, title, names.get(request.method, "estimate"))
    if left_out:
        console.print(f"left out: {left_out}")
    if request.out is not None:
        result.estimates.write_csv(request.out)
        console.print(f"written: {request.out}")


def _times(text: str) -> tuple[float, ...]:
    from oncoreg.errors import InputError

    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(f"--times {text!r}: write years separated by commas, e.g. 1,3,5") from None
    if not values:
        raise InputError("--times is empty: write years separated by commas, e.g. 1,3,5")
    return values


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())
