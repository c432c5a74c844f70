"""Typed dependencies of the routes: the store, the settings and the signed-in user.

A client is signed in by the session cookie (browsers) or by ``Authorization: Bearer
<token>`` with the same session token (scripts; ``POST /api/v1/session`` returns it).
Requests that change something and are signed in by cookie must carry the session's CSRF
token, in the ``X-CSRF-Token`` header (htmx and scripts) or a ``csrf_token`` form field.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from oncoreg.errors import Forbidden, OncoregError
from oncoreg.services import users
from oncoreg.services.access import Permission, Principal, require
from oncoreg.settings import Settings
from oncoreg.store import Store

COOKIE = "oncoreg_session"
MAX_ID = 2**31 - 1  # record ids are 32-bit integers on every database
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="a record id")]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class NotSignedIn(OncoregError):
    code = "not_signed_in"


class PasswordChangeNeeded(Forbidden):
    code = "password_change_needed"


@dataclass(frozen=True)
class Auth:
    principal: Principal
    token: str
    csrf_token: str
    by_cookie: bool
    must_change_password: bool


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), True


async def get_auth(request: Request, store: StoreDep) -> Auth:
    """The signed-in session, or NotSignedIn (401); checks CSRF on changing requests."""
    token, by_cookie = _token(request)
    # a database lookup: on a worker thread, never blocking the event loop
    found = await run_in_threadpool(users.session_user, store, token) if token else None
    if found is None:
        raise NotSignedIn("sign in first", hint="POST /api/v1/session or open /login")
    principal, csrf, must_change = found
    if by_cookie and request.method not in SAFE_METHODS:
        await _check_csrf(request, csrf)
    request.state.principal = principal
    request.state.csrf = csrf
    return Auth(principal, token, csrf, by_cookie, must_change)


async def _check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get("csrf_token")
    if not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise Forbidden("the form has expired or did not come from oncoreg", hint="reload")


AuthDep = Annotated[Auth, Depends(get_auth)]


async def get_form(request: Request) -> FormData:
    """The request's form (read once; Starlette keeps it), so that routes needing fields
    by name or repeated fields can be plain functions that run on a worker thread."""
    return await request.form()


FormDep = Annotated[FormData, Depends(get_form)]


def get_principal(auth: AuthDep) -> Principal:
    """The signed-in user, once they have replaced a one-time password."""
    if auth.must_change_password:
        raise PasswordChangeNeeded(
            "choose your own password first", hint="POST /api/v1/me/password"
        )
    return auth.principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allowed(permission: Permission):
    """A dependency that refuses (403) users whose role lacks ``permission``."""

    def check(principal: PrincipalDep) -> Principal:
        require(principal, permission)
        return principal

    return Depends(check)
