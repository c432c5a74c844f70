"""Rendering pages: one Jinja2 environment, the language, the signed-in user and the
CSRF token in every template's context."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from oncoreg.api.deps import Auth
from oncoreg.services.access import Permission
from oncoreg.web.i18n import pick_language, show_date, translator

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "oncoreg_lang"


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=TEMPLATES)


def language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(
    request: Request,
    template: str,
    context: dict | None = None,
    auth: Auth | None = None,
    status_code: int = 200,
    twin: str | None = None,
) -> HTMLResponse:
    """A page: ``template`` with ``context``; ``twin`` is the URL of its JSON twin."""
    lang = language(request)
    principal = auth.principal if auth else None
    values = {
        "request": request,
        "lang": lang,
        "_": translator(lang),
        "show_date": lambda value: show_date(value, lang),
        "principal": principal,
        "can": (lambda name: principal is not None and principal.can(Permission[name])),
        "csrf_token": auth.csrf_token if auth else "",
        "twin": twin,
        **(context or {}),
    }
    return templates().TemplateResponse(request, template, values, status_code=status_code)


def fragment(template: str, lang: str, context: dict) -> Markup:
    """A part of a page, the same for every request (no user, request or CSRF token in
    it): rendered once and kept by its caller, then put in a page as ``{{ content }}``."""
    values = {"lang": lang, "_": translator(lang), **context}
    return Markup(templates().env.get_template(template).render(values))
