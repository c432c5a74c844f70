"""The API's routers, one module per resource."""

from oncoreg.api.routes import (
    audit,
    boards,
    checks,
    extracts,
    facilities,
    imports,
    persons,
    referrals,
    review,
    session,
    sources,
    stats,
    trials,
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
    referrals.router,
    boards.router,
    trials.router,
    extracts.router,
]
