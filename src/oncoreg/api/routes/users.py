"""Users (administrators only)."""

from __future__ import annotations

from fastapi import APIRouter

from oncoreg.api.deps import PrincipalDep, StoreDep
from oncoreg.api.models import UserCreate, UserCreated, UserPublic, UsersPublic
from oncoreg.services import users

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", response_model=UsersPublic, operation_id="list_users")
def list_users(principal: PrincipalDep, store: StoreDep) -> UsersPublic:
    return UsersPublic(data=[vars(u) for u in users.list_users(store, principal)])


@router.post("", response_model=UserCreated, status_code=201, operation_id="create_user")
def create_user(body: UserCreate, principal: PrincipalDep, store: StoreDep) -> UserCreated:
    """Create a user with a one-time password (shown once, to be changed at sign-in)."""
    user, issued = users.create_user(
        store,
        principal,
        username=body.username,
        role=body.role,
        display_name=body.display_name,
        facility_code=body.facility_code,
    )
    return UserCreated(user=UserPublic(**vars(user)), one_time_password=issued)


@router.post("/{username}/deactivate", response_model=UserPublic, operation_id="deactivate_user")
def deactivate_user(username: str, principal: PrincipalDep, store: StoreDep) -> UserPublic:
    return UserPublic(**vars(users.set_active(store, principal, username, False)))
