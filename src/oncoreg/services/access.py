"""Who may do what: the access rules of every interface, kept once, here.

A :class:`Principal` is the signed-in user as the services see them. Each service function
that serves users takes one and calls :func:`require` for its permission, and the record
services narrow their queries with :func:`visible_persons` / :func:`visible_sources`:

- admin: everything, including users and the audit trail;
- registrar: every record of the registry, identifiers included;
- hospital: only persons with a report (source) from their own facility, and only the
  identifiers their own reports carry;
- analyst: aggregates (statistics, quality) and de-identified records (no names, IDs,
  address or phone; birth year instead of birth date), never searching by name or ID;
- partner: only the extracts approved for them (no registry records, no statistics pages).

The oncology network (``oncoreg.network``): admin, registrar and hospital users refer
cases and present them to tumour boards; a hospital user sees only the referrals its
facility sent or received and the board cases it presented or whose board it hosts.
Registrars and admins run boards and the trial registry; everyone but partners reads
trials; partners request extracts, which only an admin approves.

A record outside a user's scope is answered as not found (404), never as forbidden, so
that its existence is not disclosed; an action outside a role is forbidden (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, exists, select, true

from oncoreg.errors import Forbidden, NotFound
from oncoreg.model import RecordStatus, Role
from oncoreg.store import Person, Source


class Permission(StrEnum):
    READ_RECORDS = "read records"  # persons, tumours, sources, follow-up
    READ_IDENTIFIERS = "read identifiers"  # names, IDs, address, phone
    WRITE_RECORDS = "change records"
    IMPORT = "import reports"
    CONFIRM = "confirm warnings"
    REVIEW = "decide review pairs"
    STATISTICS = "read statistics"
    FULL_STATISTICS = "read unsuppressed statistics"
    FACILITIES = "read facilities"
    MANAGE_FACILITIES = "change facilities"
    USERS = "manage users"
    AUDIT = "read the audit trail"
    EXTRACTS = "read approved extracts"
    NETWORK = "refer cases and present them to tumour boards"
    MANAGE_NETWORK = "run tumour boards and the trial registry"
    TRIALS = "read clinical trials"
    REQUEST_EXTRACTS = "request research extracts"
    APPROVE_EXTRACTS = "approve research extracts and record data-sharing agreements"


_RECORDS = {Permission.READ_RECORDS, Permission.READ_IDENTIFIERS}
_WORK = {Permission.WRITE_RECORDS, Permission.IMPORT, Permission.CONFIRM}
_NETWORK = {Permission.NETWORK, Permission.TRIALS}
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.REGISTRAR: frozenset(
        _RECORDS
        | _WORK
        | {
            Permission.REVIEW,
            Permission.STATISTICS,
            Permission.FULL_STATISTICS,
            Permission.FACILITIES,
            Permission.MANAGE_NETWORK,
        }
        | _NETWORK
    ),
    Role.HOSPITAL: frozenset(
        _RECORDS | _WORK | _NETWORK | {Permission.STATISTICS, Permission.FACILITIES}
    ),
    Role.ANALYST: frozenset(
        {Permission.READ_RECORDS, Permission.STATISTICS, Permission.FACILITIES, Permission.TRIALS}
    ),
    Role.PARTNER: frozenset({Permission.EXTRACTS, Permission.REQUEST_EXTRACTS}),
}


@dataclass(frozen=True)
class Principal:
    """A signed-in user: name (as written in the audit trail), role and facility."""

    username: str
    role: Role
    facility_id: int | None = None
    user_id: int | None = None
    display_name: str = ""

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def facility_bound(self) -> bool:
        """True when the user sees only their facility's persons (hospital role)."""
        return self.role is Role.HOSPITAL


def require(principal: Principal, permission: Permission) -> None:
    """Refuse (Forbidden) unless the principal's role grants ``permission``."""
    if not principal.can(permission):
        raise Forbidden(
            f"the {principal.role.value} role may not {permission.value}",
            hint="ask an administrator for a role that allows it",
        )


def visible_sources(principal: Principal, facility_id=None) -> ColumnElement[bool]:
    """A filter on Source rows (or rows with their ``facility_id`` column, e.g. the name
    search's): the reports this principal may read."""
    require(principal, Permission.READ_RECORDS)
    if principal.facility_bound:
        return (Source.facility_id if facility_id is None else facility_id) == (
            principal.facility_id
        )
    return true()


def visible_persons(principal: Principal, person_id_column) -> ColumnElement[bool]:
    """A filter: persons with at least one report this principal may read."""
    from oncoreg.store import Tumour

    require(principal, Permission.READ_RECORDS)
    if not principal.facility_bound:
        return true()
    return exists(
        select(Source.id)
        .join(Tumour, Tumour.id == Source.tumour_id)
        .where(Tumour.person_id == person_id_column, visible_sources(principal))
    )


def require_visible_person(session, principal: Principal, person_id: int) -> None:
    """Refuse as not found (NotFound) a person who does not exist, is obsolete, or has no
    report this principal may read."""
    found = session.scalar(
        select(Person.id).where(
            Person.id == person_id,
            Person.status != RecordStatus.OBSOLETE,
            visible_persons(principal, Person.id),
        )
    )
    if found is None:
        raise NotFound(f"no person {person_id} that you may see", hint="search the person first")


def may_read_identifiers_of(principal: Principal, source_facility_id: int | None) -> bool:
    """Whether the identifying fields of one report may be shown to this principal."""
    if not principal.can(Permission.READ_IDENTIFIERS):
        return False
    return not principal.facility_bound or source_facility_id == principal.facility_id


def may_read_person_identifiers(principal: Principal) -> bool:
    """Whether the registry's consolidated person identity (name, IDs) may be shown."""
    return principal.can(Permission.READ_IDENTIFIERS) and not principal.facility_bound


def own_facility_code(store, principal: Principal) -> str | None:
    """The code of the facility a hospital user is bound to (None for other roles)."""
    from oncoreg.store import Facility

    if not principal.facility_bound:
        return None
    with store.session() as session:
        return session.scalar(select(Facility.code).where(Facility.id == principal.facility_id))


SYSTEM = Principal(username="system", role=Role.ADMIN)
