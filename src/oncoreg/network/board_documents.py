"""A tumour board meeting's documents: the agenda (before) and the minutes (after), as
HTML from a Jinja2 template printed to PDF by WeasyPrint, in Vietnamese or English.

They show only the cases the reader may see (:func:`oncoreg.network.boards.meeting_detail`)
and name a case by its number and the registry's person id, never by a patient's name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from oncoreg.network import boards
from oncoreg.report.annual import check_language, pdf_bytes
from oncoreg.services.access import Principal
from oncoreg.store import Store
from oncoreg.web.i18n import show_date, translator

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def agenda_html(store: Store, principal: Principal, meeting_id: int, lang: str = "vi") -> str:
    """The agenda of a meeting as one HTML document: board, date, place, members, then
    each case (presenting facility, summary table, question)."""
    return _render("board_agenda.html", store, principal, meeting_id, lang)


def minutes_html(store: Store, principal: Principal, meeting_id: int, lang: str = "vi") -> str:
    """The minutes of a meeting as one HTML document: attendees, each case's
    recommendation, plan, trial and referral, and the minutes text."""
    return _render("board_minutes.html", store, principal, meeting_id, lang)


def agenda_pdf(store: Store, principal: Principal, meeting_id: int, lang: str = "vi") -> bytes:
    """The agenda as PDF (see :func:`agenda_html`).

    Raises:
        NotFound: no such meeting.
        InputError: an unknown language.
    """
    return pdf_bytes(agenda_html(store, principal, meeting_id, lang))


def minutes_pdf(store: Store, principal: Principal, meeting_id: int, lang: str = "vi") -> bytes:
    """The minutes as PDF (see :func:`minutes_html`)."""
    return pdf_bytes(minutes_html(store, principal, meeting_id, lang))


def _render(template: str, store: Store, principal: Principal, meeting_id: int, lang: str):
    check_language(lang)
    meeting = boards.meeting_detail(store, principal, meeting_id)
    context = {
        "lang": lang,
        "_": translator(lang),
        "show_date": lambda value: show_date(value, lang),
        "meeting": meeting,
    }
    return _environment().get_template(template).render(**context)
