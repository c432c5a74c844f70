"""Languages of the pages: English source strings, Vietnamese from a Babel catalog.

The catalog is the gettext ``.po`` files in ``locales/vi/LC_MESSAGES/`` (``messages.po``
for the registry's pages, one file per network area), read with Babel at first use (no
compiled ``.mo`` to build or keep in step). Dates are shown dd/mm/yyyy in Vietnamese and
ISO in English, formatted by Babel.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
LOCALES = Path(__file__).parent / "locales"


@lru_cache
def catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr of a language (empty for English, the source language)."""
    if language == "en":
        return {}
    table: dict[str, str] = {}
    for path in sorted((LOCALES / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=language)
        table |= {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}
    return table


def translator(language: str):
    """A gettext-like function for templates: ``_("Search")``, with ``%(name)s`` values."""
    table = catalog(language)

    def gettext(text: str, **values) -> str:
        translated = table.get(text, text)
        return translated % values if values else translated

    return gettext


def show_date(value: date | datetime | str | None, language: str) -> str:
    """A date as users read it: 07/12/2026 in Vietnamese, 2026-12-07 in English."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10]) if len(value) >= 10 else value
        except ValueError:
            return value
        if isinstance(value, str):  # a year or year-month: shown as given
            return value if language == "en" else "/".join(reversed(value.split("-")))
    if isinstance(value, datetime):
        value = value.date()
    if language == "vi":
        return format_date(value, "dd/MM/yyyy", locale="vi")
    return value.isoformat()


def pick_language(requested: str | None, accept: str | None) -> str:
    """The language asked for (cookie), else the browser's first known one, else vi."""
    if requested in LANGUAGES:
        return requested
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
