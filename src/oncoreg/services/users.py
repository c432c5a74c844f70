"""Users, passwords and sign-in sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile);
there is no default password: the first admin is created with
``oncoreg users create --admin``, which prints a one-time password that must be changed at
first sign-in. A session token is random (256 bits) and only its SHA-256 is stored. Failed
sign-ins are recorded and limited per user name and per client address in a sliding
15-minute window, in the database so that every worker process sees them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from oncoreg.errors import Forbidden, InputError, NotFound
from oncoreg.model import Role, choices
from oncoreg.services.access import Permission, Principal, require
from oncoreg.store import Facility, LoginFailure, Store, User, WebSession
from oncoreg.store.tables import utcnow

MIN_PASSWORD = 10
WINDOW = timedelta(minutes=15)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    role: str
    facility_code: str | None
    active: bool
    must_change_password: bool


@dataclass(frozen=True)
class SignIn:
    """A new session: the token goes in the cookie, the CSRF token in every form."""

    token: str
    csrf_token: str
    principal: Principal
    must_change_password: bool


class SignInRefused(Forbidden):
    """Wrong user name or password, or too many attempts; says which only where safe."""

    code = "sign_in_refused"


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password is shorter than {MIN_PASSWORD} characters",
            hint="use a passphrase of several words",
        )


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    store: Store,
    actor: Principal,
    *,
    username: str,
    role: Role | str,
    display_name: str | None = None,
    facility_code: str | None = None,
    password: str | None = None,
) -> tuple[UserView, str | None]:
    """Create a user; returns it and, when no password was given, its one-time password."""
    require(actor, Permission.USERS)
    role = _role(role)
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise InputError("a user name is 1-64 characters without spaces", hint=repr(username))
    issued = None if password else one_time_password()
    with store.session(actor=actor.username) as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise InputError(f"user {username!r} exists already")
        facility_id = _facility_id(session, role, facility_code)
        user = User(
            username=username,
            display_name=display_name or username,
            role=role,
            facility_id=facility_id,
            password_hash=_hasher.hash(issued) if issued else hash_password(password),
            must_change_password=issued is not None,
            active=True,
        )
        session.add(user)
        session.flush()
        return _view(user, facility_code if facility_id else None), issued


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}", hint=f"one of {choices(Role)}") from None


def _facility_id(session, role: Role, facility_code: str | None) -> int | None:
    if role is Role.HOSPITAL and not facility_code:
        raise InputError("a hospital user needs a facility", hint="give --facility CODE")
    if not facility_code:
        return None
    facility_id = session.scalar(select(Facility.id).where(Facility.code == facility_code))
    if facility_id is None:
        raise NotFound(f"facility {facility_code!r} is not in the registry")
    return facility_id


def list_users(store: Store, actor: Principal) -> list[UserView]:
    require(actor, Permission.USERS)
    with store.session() as session:
        rows = session.execute(
            select(User, Facility.code).outerjoin(Facility).order_by(User.username)
        ).all()
        return [_view(user, code) for user, code in rows]


def set_active(store: Store, actor: Principal, username: str, active: bool) -> UserView:
    require(actor, Permission.USERS)
    with store.session(actor=actor.username) as session:
        user = _user(session, username)
        user.active = active
        if not active:
            _end_sessions(session, user.id)
        code = session.scalar(select(Facility.code).where(Facility.id == user.facility_id))
        return _view(user, code)


def reset_password(store: Store, actor: Principal, username: str) -> str:
    """Issue a new one-time password (ends the user's sessions)."""
    require(actor, Permission.USERS)
    issued = one_time_password()
    with store.session(actor=actor.username) as session:
        user = _user(session, username)
        user.password_hash = _hasher.hash(issued)
        user.must_change_password = True
        _end_sessions(session, user.id)
    return issued


def change_password(store: Store, principal: Principal, current: str, new: str) -> None:
    """The signed-in user replaces their password (the one-time one included)."""
    check_password(new)
    if new == current:
        raise InputError("the new password is the same as the current one")
    with store.session(actor=principal.username) as session:
        user = session.get(User, principal.user_id)
        if user is None or not _verify(user.password_hash, current):
            raise InputError("the current password is not right", hint="type it again")
        user.password_hash = _hasher.hash(new)
        user.must_change_password = False


def sign_in(
    store: Store, username: str, password: str, address: str | None, hours: float, limit: int
) -> SignIn:
    """Check a user name and password; refuses after ``limit`` failures in 15 minutes."""
    now = utcnow()
    with store.session(actor=username) as session:
        if _recent_failures(session, username, address, now) >= limit:
            raise SignInRefused(
                "too many failed sign-ins", hint="wait 15 minutes or ask an administrator"
            )
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active or not _verify(user.password_hash, password):
            session.add(LoginFailure(username=username[:64], address=address, at=now))
            session.commit()
            raise SignInRefused("the user name or password is not right")
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        session.add(
            WebSession(
                token_hash=token_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return SignIn(token, csrf, _principal(user), user.must_change_password)


def _recent_failures(session, username: str, address: str | None, now: datetime) -> int:
    since = now - WINDOW
    by_name = session.scalar(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at >= since)
    )
    by_address = 0
    if address:
        by_address = session.scalar(
            select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
        )
        by_address //= 4  # one address may serve a ward of users: allow it more
    return max(by_name, by_address)


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_user(store: Store, token: str) -> tuple[Principal, str, bool] | None:
    """The principal, CSRF token and must-change flag of a live session, or None."""
    with store.session() as session:
        row = session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == token_digest(token), WebSession.ended_at.is_(None))
        ).first()
        if row is None:
            return None
        web, user = row
        if not user.active or _aware(web.expires_at) <= utcnow():
            return None
        return _principal(user), web.csrf_token, user.must_change_password


def sign_out(store: Store, token: str) -> None:
    with store.session() as session:
        web = session.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
        if web is not None and web.ended_at is None:
            web.ended_at = utcnow()


def _end_sessions(session, user_id: int) -> None:
    now = utcnow()
    for web in session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    ):
        web.ended_at = now


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _principal(user: User) -> Principal:
    return Principal(
        username=user.username,
        role=Role(user.role),
        facility_id=user.facility_id,
        user_id=user.id,
        display_name=user.display_name,
    )


def _view(user: User, facility_code: str | None) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role).value,
        facility_code=facility_code,
        active=user.active,
        must_change_password=user.must_change_password,
    )
