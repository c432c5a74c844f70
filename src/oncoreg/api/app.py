"""The web application: the REST API under /api/v1 and the pages, over the same services.

``create_app()`` builds it for a store (default: the one the settings name); nothing is
opened at import time. Errors of every route come out in one JSON shape
(``{"error", "message", "hint"?, "problems"?}``) on the API, and as a readable page on
the pages.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from oncoreg import __version__
from oncoreg.api.deps import NotSignedIn, PasswordChangeNeeded
from oncoreg.errors import Forbidden, InputError, NotFound, OncoregError, StoreError
from oncoreg.services.uploads import Uploads
from oncoreg.services.users import SignInRefused
from oncoreg.settings import Settings, get_settings, sqlite_path
from oncoreg.store import Store

log = logging.getLogger("oncoreg.api")
STATIC = Path(__file__).parent.parent / "web" / "static"
STATUS = {
    NotSignedIn: 401,
    SignInRefused: 401,
    Forbidden: 403,
    NotFound: 404,
    InputError: 422,
    StoreError: 409,
}


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """The oncoreg web application for ``store`` (default: the settings' registry)."""
    from oncoreg.api.routes import ROUTERS
    from oncoreg.web import boards, extracts, facilities, referrals, trials
    from oncoreg.web.dashboard import router as dashboard
    from oncoreg.web.pages import router as pages

    settings = settings or get_settings()
    app = FastAPI(
        title="oncoreg",
        version=__version__,
        description="Cancer registry and oncology network: REST API (v1). Sign in with "
        "POST /api/v1/session; send the token as `Authorization: Bearer <token>`.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.store = store or Store.from_settings(settings)
    app.state.settings = settings
    app.state.uploads = Uploads(app.state.store, upload_folder(settings))
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(pages)
    app.include_router(dashboard)
    for module in (facilities, referrals, boards, trials, extracts):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_errors(app)
    app.add_middleware(SecurityHeaders)
    return app


def all_routes(app: FastAPI) -> list:
    """Every route of the app (included routers flattened), with its full path."""
    found = []

    def walk(routes, prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + route.include_context.prefix)
            else:
                found.append((prefix, route))

    walk(app.routes, "")
    return found


def upload_folder(settings: Settings) -> Path:
    """Where uploaded files are kept: beside the SQLite registry, else a temporary folder."""
    database = sqlite_path(settings.database_url)
    if database is not None:
        return database.parent / "oncoreg-uploads"
    return Path(tempfile.gettempdir()) / "oncoreg-uploads"


def status_of(err: OncoregError) -> int:
    for kind, status in STATUS.items():
        if isinstance(err, kind):
            return status
    return 400


def _wants_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/openapi.json")


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(OncoregError)
    async def oncoreg_error(request: Request, err: OncoregError) -> Response:
        if _wants_page(request):
            from oncoreg.web.pages import error_page

            if isinstance(err, NotSignedIn):
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if isinstance(err, PasswordChangeNeeded):
                return RedirectResponse("/account/password", status_code=303)
            return error_page(request, err, status_of(err))
        return JSONResponse(err.as_dict(), status_code=status_of(err))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in err.errors()
        ]
        if _wants_page(request):
            from oncoreg.web.pages import error_page

            shown = [f"{p['field']}: {p['message']}" for p in problems]
            return error_page(request, InputError("the request is not valid", problems=shown), 422)
        body = {"error": "invalid_request", "message": "the request is not valid"}
        body["problems"] = problems
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> Response:
        body = {"error": "http_error", "message": str(err.detail)}
        if _wants_page(request) and err.status_code == 404:
            from oncoreg.web.pages import error_page

            return error_page(request, NotFound(str(err.detail)), 404)
        return JSONResponse(body, status_code=err.status_code, headers=err.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        log.error("unexpected %s on %s %s", type(err).__name__, request.method, request.url.path)
        body = {"error": "internal", "message": "something went wrong; it has been logged"}
        return JSONResponse(body, status_code=500)


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'",
    ),
)


class SecurityHeaders:
    """Adds the security headers to every response (and ``Cache-Control: no-store`` to all
    but static files), unless the route set its own. A plain ASGI middleware: it only
    edits the response's start message, adding no task or queue per request."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
