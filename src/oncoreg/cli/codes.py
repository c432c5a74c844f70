"""``oncoreg codes``: look up ICD-O-3 and ICD-10 codes with their labels."""

from __future__ import annotations

import typer

from oncoreg.cli.output import Format, show_pairs, show_rows
from oncoreg.codes import morphology, normalise_topography, table_sources, topography

app = typer.Typer(
    help="Code tables: ICD-O-3 topography and morphology, ICD-10 conversion.", no_args_is_help=True
)
FORMAT = typer.Option(Format.TABLE, "--format", help="table or json.")


@app.command("topography")
def topography_command(
    code: str = typer.Argument(..., help="e.g. C50.9, C509, c50.9 or 509."), fmt: Format = FORMAT
) -> None:
    """Look up an ICD-O-3 topography code (unknown codes get the nearest valid ones).

    Example: oncoreg codes topography C509
    """
    t = topography(code)
    category = topography(t.category)
    show_pairs(
        [
            ("code", t.code),
            ("label_en", t.label_en),
            ("label_vi", t.label_vi or None),
            ("category", f"{category.code} {category.label_en}"),
        ],
        fmt,
    )


@app.command("morphology")
def morphology_command(
    code: str = typer.Argument(..., help="e.g. 8500/3, 85003 or M-8500/3."), fmt: Format = FORMAT
) -> None:
    """Look up an ICD-O-3.2 morphology code with its behaviour.

    Example: oncoreg codes morphology 8500/3
    """
    m = morphology(code)
    note = None if m.listed else "not listed in ICD-O-3.2: valid by the matrix principle (rule F)"
    show_pairs(
        [
            ("code", m.code),
            ("term_en", m.term_en),
            ("usual site", m.site_hint or None),
            ("obsolete", "yes" if m.obsolete else "no"),
            ("note", note),
        ],
        fmt,
    )


@app.command("icd10")
def icd10_command(
    topography_code: str = typer.Argument(..., metavar="TOPOGRAPHY", help="e.g. C50.9"),
    morphology_code: str = typer.Argument(..., metavar="MORPHOLOGY", help="e.g. 8500/3"),
    sex: int | None = typer.Option(None, help="1 male, 2 female (some conversions need it)."),
    fmt: Format = FORMAT,
) -> None:
    """Convert an ICD-O-3 topography and morphology to ICD-10 (IARC's conversion).

    Example: oncoreg codes icd10 C50.9 8500/3
    """
    from oncoreg.codes.icd10 import to_icd10

    topo = normalise_topography(topography_code)
    morph = morphology(morphology_code)
    result = to_icd10(topo, morph.code, sex)
    show_pairs(
        [
            ("topography", f"{topo} {topography(topo).label_en}"),
            ("morphology", f"{morph.code} {morph.term_en}"),
            ("icd10", result.code),
            ("flags", ", ".join(result.flags) or None),
        ],
        fmt,
    )


@app.command("sources")
def sources_command(fmt: Format = FORMAT) -> None:
    """List the code tables in use with their source, version and file.

    Example: oncoreg codes sources
    """
    rows = [[s.name, s.version, s.source, s.path] for s in table_sources()]
    show_rows(["table", "version", "source", "file"], rows, fmt, title="Code tables")
