"""``oncoreg link``, ``review`` and ``export links``: reports into persons and tumours."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from oncoreg.cli.output import Format, console, show_pairs, show_rows
from oncoreg.settings import get_settings
from oncoreg.store import Store

review_app = typer.Typer(help="The review queue of uncertain links.", no_args_is_help=True)
export_app = typer.Typer(help="Export registry results as documented files.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("link")(link_command)
    app.add_typer(review_app, name="review")
    app.add_typer(export_app, name="export")


def _store() -> Store:
    return Store.from_settings(get_settings())


def link_command(
    since: str = typer.Option(
        None, help="Reports received on or after this date (YYYY-MM-DD) count as new."
    ),
    backend: str = typer.Option(
        None, help="duckdb (default) or spark; default from ONCOREG_LINK_BACKEND."
    ),
    threshold: float = typer.Option(
        None, help="Match probability at or above which reports link (default 0.95)."
    ),
    review_threshold: float = typer.Option(
        None, help="Lower edge of the review band (default 0.5)."
    ),
    full: bool = typer.Option(False, "--full", help="Relink every report and retrain the model."),
    user: str = typer.Option("oncoreg link", help="Who runs the linkage (audit trail)."),
) -> None:
    """Link reports into persons (Splink) and tumours (IARC/IACR multiple-primary rules).

    The first run trains the model and links everything; later runs link new and corrected
    reports against the existing persons. Registrar decisions always win.

    Example: oncoreg link --since 2025-01-01
    """
    from oncoreg.services.linkage import link_registry

    store = _store()
    try:
        summary = link_registry(
            store,
            actor=user,
            backend=backend or get_settings().link_backend,
            match_threshold=threshold,
            review_threshold=review_threshold,
            since=date.fromisoformat(since) if since else None,
            full=full,
            on_stage=lambda name, reports: console.print(
                f"link: {name} done ({reports} reports)", highlight=False
            ),
        )
    finally:
        store.dispose()
    print_link_summary(summary)


def print_link_summary(summary) -> None:
    seconds = sum(summary.seconds.values())
    console.print(
        f"link ({summary.mode}, {summary.backend}): {summary.reports} reports, "
        f"{summary.linked} linked into {summary.persons} persons and {summary.tumours} tumours "
        f"({summary.reports_per_tumour:.2f} reports per tumour), {summary.unlinked} not linked; "
        f"review queue: {summary.review_open} in {seconds:.1f} s",
        highlight=False,
    )


@review_app.command("list")
def review_list_command(
    all_items: bool = typer.Option(False, "--all", help="Include decided items."),
    limit: int = typer.Option(50, help="At most this many items."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table, csv or json."),
) -> None:
    """List the review queue, most probable pairs first.

    Example: oncoreg review list --limit 20
    """
    from oncoreg.services.review import review_list

    store = _store()
    try:
        rows = review_list(store, include_decided=all_items, limit=limit)
    finally:
        store.dispose()
    show_rows(
        ["item", "kind", "report", "other report", "probability", "reason", "decision"],
        [
            (
                r.id,
                r.kind,
                r.left,
                r.right,
                None if r.match_probability is None else round(r.match_probability, 3),
                r.reason,
                r.decision,
            )
            for r in rows
        ],
        fmt,
        title="Review queue",
    )


@review_app.command("show")
def review_show_command(
    item: int = typer.Argument(..., help="Review item number (see `oncoreg review list`)."),
    fmt: Format = typer.Option(Format.TABLE, "--format", help="table or json."),
) -> None:
    """Show a review item side by side: fields that agree and differ, weights per field.

    Example: oncoreg review show 12
    """
    from oncoreg.services.review import review_pair

    store = _store()
    try:
        pair = review_pair(store, item)
    finally:
        store.dispose()
    if fmt is Format.JSON:
        show_pairs(list(pair.items()), Format.JSON)
        return
    console.print(
        f"item {pair['id']} ({pair['kind']}): {pair['reason']}; probability "
        f"{pair['match_probability']}; decision {pair['decision'] or '-'}",
        highlight=False,
    )
    show_rows(
        ["field", pair["left"], pair["right"] or "-", "agree"],
        [(f["field"], f["left"], f["right"], "yes" if f["agree"] else "") for f in pair["fields"]],
        Format.TABLE,
    )
    if pair["weights"]:
        show_rows(
            ["comparison", "level", "match weight"],
            [(name, w["level"], w["weight"]) for name, w in pair["weights"].items()],
            Format.TABLE,
        )


@review_app.command("decide")
def review_decide_command(
    item: int = typer.Argument(..., help="Review item number."),
    match: bool = typer.Option(
        None, "--match/--no-match", help="The two reports are (not) one person."
    ),
    unsure: bool = typer.Option(False, "--unsure", help="Leave it for another look."),
    with_report: str = typer.Option(
        None,
        "--with",
        help="FACILITY/REPORT_ID of the report a single-report item belongs with.",
    ),
    note: str = typer.Option(None, help="Why (kept with the decision)."),
    user: str = typer.Option(..., help="The registrar deciding (audit trail)."),
) -> None:
    """Decide a review item; the decision wins over the model in every later run.

    Example: oncoreg review decide 12 --match --user lan --note "same CCCD on paper file"
    """
    from oncoreg.errors import InputError
    from oncoreg.services.review import decide

    if unsure == (match is not None):
        raise InputError("say one of --match, --no-match or --unsure")
    decision = "unsure" if unsure else ("match" if match else "non_match")
    store = _store()
    try:
        decide(
            store,
            item,
            decision,
            actor=user,
            note=note,
            with_report=_report_key(with_report) if with_report else None,
        )
    finally:
        store.dispose()
    console.print(
        f"review item {item}: {decision} (by {user}); run `oncoreg link` to apply it",
        highlight=False,
    )


def _report_key(text: str) -> tuple[str, str]:
    from oncoreg.errors import InputError

    facility, _, report = text.partition("/")
    if not facility or not report:
        raise InputError(f"--with {text!r}: write FACILITY/REPORT_ID, e.g. VN-K/VN-K-0000017")
    return facility, report


@export_app.command("links")
def export_links_command(
    out: Path = typer.Option(..., help="LINKS.csv to write."),
) -> None:
    """Write one row per report with facility_code, report_id, person_id, tumour_id.

    Example: oncoreg export links --out links.csv
    """
    from oncoreg.services.review import export_links

    store = _store()
    try:
        rows = export_links(store, out)
    finally:
        store.dispose()
    console.print(f"links: {rows} reports -> {out}", highlight=False)
