"""Results of the registry statistics, kept until the registry's data change.

Dashboards, the API and the annual report ask the same questions many times; the answers
change only when the data do. Every change of a person, tumour, report, follow-up or
facility writes an audit event in the same transaction (``store/audit.py``), and the
population and the life table are replaced with new rows, so the newest change event and
the newest population and life-table rows name the registry's *data version*. A function
decorated with :func:`by_data_version` computes once per data version and arguments, in
each process, and computes again after any change; reads (audited as ``read``) do not
count as changes.

Concurrent callers asking the same question while it is being computed wait for that one
computation instead of each starting their own (fifty clients opening the dashboard
after an import would otherwise compute the same tables fifty times at once). The data
version is read once per outermost call: the kept functions it calls (the published
table, the incidence table, the tumours) answer for that same version.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from contextvars import ContextVar

from sqlalchemy import func, literal_column, select

from oncoreg.model import AuditAction
from oncoreg.services.access import Principal
from oncoreg.store import AuditEvent, LinkRun, Store
from oncoreg.store.tables import LifeTableCell, PopulationCell

KEPT = 64  # answers kept per function (the newest; older ones are dropped)
_lock = threading.Lock()
_caches: dict[str, OrderedDict] = {}
_flights: dict[tuple, threading.Lock] = {}  # the computation under way, per question
_versions: ContextVar[dict | None] = ContextVar("oncoreg_data_versions", default=None)


def data_version(store: Store) -> tuple:
    """What the registry's data are now: the newest change event, link run, population
    and life-table rows (lookups by primary key, in one round trip)."""
    change = (
        select(AuditEvent.id)
        # the literal (not a bound value) lets both databases use the partial index
        .where(AuditEvent.action != literal_column(f"'{AuditAction.READ.value}'"))
        .order_by(AuditEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    newest = [
        select(func.max(table.id)).scalar_subquery()
        for table in (LinkRun, PopulationCell, LifeTableCell)
    ]
    with store.engine.connect() as connection:
        return tuple(connection.execute(select(change, *newest)).one())


def by_data_version(compute):
    """Keep ``compute(store, *args)``'s answers until the registry's data change.

    The arguments after the store must be hashable (lists count as tuples). Answers are
    shared between callers: they must be treated as read-only (Polars frames are).
    """
    name = f"{compute.__module__}.{compute.__qualname__}"

    @functools.wraps(compute)
    def cached(store: Store, *args, **kwargs):
        versions = _versions.get()
        outermost = versions is None
        if outermost:
            versions = {}
            token = _versions.set(versions)
        try:
            if store.url not in versions:
                versions[store.url] = data_version(store)
            key = (store.url, versions[store.url], _frozen(args), _frozen(sorted(kwargs.items())))
            return _answer(name, key, lambda: compute(store, *args, **kwargs))
        finally:
            if outermost:
                _versions.reset(token)

    cached.uncached = compute
    return cached


def _answer(name: str, key: tuple, compute):
    """The kept answer to ``key``, else computed once: other threads asking the same
    meanwhile wait for it (a failed computation lets the next one try)."""
    with _lock:
        answers = _caches.setdefault(name, OrderedDict())
        if key in answers:
            answers.move_to_end(key)
            return answers[key]
        flight = _flights.setdefault((name, key), threading.Lock())
    with flight:
        with _lock:
            if key in answers:  # computed by the thread this one waited for
                answers.move_to_end(key)
                return answers[key]
        try:
            answer = compute()
            with _lock:
                answers[key] = answer
                while len(answers) > KEPT:
                    answers.popitem(last=False)
            return answer
        finally:
            with _lock:
                _flights.pop((name, key), None)


def _frozen(value):
    """Lists (and lists in tuples) as tuples, so that they can be part of a key; a
    principal as what access depends on (role and facility), so that users of one role
    share answers."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Principal):
        return ("principal", value.role, value.facility_id)
    return value


def clear() -> None:
    """Forget every kept answer (tests; after restoring a database file)."""
    with _lock:
        _caches.clear()
        _flights.clear()
