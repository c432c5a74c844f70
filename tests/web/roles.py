"""Who may use a route, as sets of role names (rows of the access matrix)."""

from __future__ import annotations

from oncoreg.model import Role

ROLES = [r.value for r in Role]
ALL = frozenset(ROLES)
PUBLIC = "public"
STAFF = frozenset({"admin", "registrar", "hospital"})  # also the network's users
RECORDS = STAFF | {"analyst"}
STATS = RECORDS
REGISTRY = frozenset({"admin", "registrar"})
ADMIN = frozenset({"admin"})
PARTNER = frozenset({"admin", "partner"})
