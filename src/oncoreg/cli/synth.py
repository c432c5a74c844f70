"""``oncoreg synth``: generate a synthetic national registry."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from oncoreg.cli.output import console


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)


def synth(
    persons: int = typer.Option(20_000, help="Number of persons with cancer."),
    years: str = typer.Option("2015-2024", help="Years of diagnosis, e.g. 2015-2024."),
    facilities: int = typer.Option(30, help="Number of reporting facilities."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives identical files."),
    out: Path = typer.Option(Path("synth"), help="Output folder (replaced if it exists)."),
    formats: str = typer.Option("csv", help="Formats the facilities send: csv,xlsx,fhir,naaccr."),
    invalid_share: float = typer.Option(0.01, help="Share of reports made invalid on purpose."),
) -> None:
    """Generate a synthetic registry: population, hospital reports in several formats and
    the ground truth (never real patient data).

    Example: oncoreg synth --persons 20000 --years 2015-2024 --facilities 30 --seed 1 --out data
    """
    from oncoreg.synth import generate

    started = time.perf_counter()
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    result = generate(
        persons=persons,
        years=years,
        facilities=facilities,
        seed=seed,
        out=out,
        formats=chosen,
        invalid_share=invalid_share,
    )
    seconds = time.perf_counter() - started
    console.print(
        f"{result.persons} persons, {result.tumours} tumours, {result.reports} reports "
        f"({result.invalid_reports} invalid on purpose) from {result.facilities} facilities "
        f"in {seconds:.1f} s -> {result.out}"
    )
    console.print("files: " + ", ".join(f"{fmt} {n} reports" for fmt, n in result.files.items()))
