"""Sign in and out, the signed-in user, and their password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from oncoreg.api.deps import COOKIE, AuthDep, SettingsDep, StoreDep
from oncoreg.api.models import MePublic, PasswordChange, SessionPublic, SignInRequest
from oncoreg.services import users
from oncoreg.services.access import GRANTS

router = APIRouter(prefix="/api/v1", tags=["session"])


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_session_cookie(
    response: Response, request: Request, settings, token: str, max_age: int
) -> None:
    secure = settings.cookie_secure == "always" or (
        settings.cookie_secure == "auto"
        and (
            request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "").lower() == "https"
        )
    )
    response.set_cookie(
        COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )


@router.post("/session", response_model=SessionPublic, operation_id="sign_in")
def sign_in(
    body: SignInRequest,
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Sign in; the token is set as a cookie and returned for `Authorization: Bearer`."""
    done = users.sign_in(
        store,
        body.username,
        body.password,
        client_address(request),
        settings.session_hours,
        settings.login_max_failures,
    )
    set_session_cookie(response, request, settings, done.token, int(settings.session_hours * 3600))
    return SessionPublic(
        token=done.token,
        csrf_token=done.csrf_token,
        username=done.principal.username,
        role=done.principal.role.value,
        must_change_password=done.must_change_password,
    )


@router.delete("/session", status_code=204, operation_id="sign_out")
def sign_out(auth: AuthDep, response: Response, store: StoreDep) -> None:
    """End this session."""
    users.sign_out(store, auth.token)
    response.delete_cookie(COOKIE, path="/")


@router.get("/me", response_model=MePublic, operation_id="me")
def me(auth: AuthDep) -> MePublic:
    """The signed-in user and what their role allows."""
    p = auth.principal
    return MePublic(
        username=p.username,
        display_name=p.display_name,
        role=p.role.value,
        facility_id=p.facility_id,
        permissions=sorted(g.value for g in GRANTS[p.role]),
    )


@router.post("/me/password", status_code=204, operation_id="change_password")
def change_password(body: PasswordChange, auth: AuthDep, store: StoreDep) -> None:
    """Replace the signed-in user's password (a one-time password must be replaced)."""
    users.change_password(store, auth.principal, body.current_password, body.new_password)
