"""The API's routers, one module per resource."""

from oncoreg.api.routes import (
    audit,
    checks,
    facilities,
    imports,
    persons,
    review,
    session,
    sources,
    stats,
    tumours,
    users,
)

ROUTERS = [
    session.router,
    persons.router,
    tumours.router,
    sources.router,
    checks.router,
    review.router,
    imports.router,
    facilities.router,
    users.router,
    audit.router,
    stats.router,
]
