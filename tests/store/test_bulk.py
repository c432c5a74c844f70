"""Bulk inserts store the same values as the ORM does, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import select

from oncoreg.model import AuditAction, DatePrecision, RecordStatus, Sex
from oncoreg.store import AuditEvent, Facility, Source
from oncoreg.store.bulk import bulk_insert
from oncoreg.store.tables import utcnow


def test_bulk_insert_round_trips_dates_enums_and_json(store):
    with store.session() as s:
        facility = Facility(
            code="VN-K", name_vi="Bệnh viện K", province_code="01", level="central", type="hospital"
        )
        s.add(facility)
        s.flush()
        now = utcnow()
        sources = pl.DataFrame(
            {
                "facility_id": [facility.id, facility.id],
                "report_id": ["r1", "r2"],
                "sex": ["2", None],
                "birth_date": [dt.date(1960, 3, 1), None],
                "birth_date_precision": ["month", "unknown"],
                "diagnosis_date": [dt.date(2023, 5, 17), dt.date(2024, 1, 1)],
                "diagnosis_date_precision": ["day", "year"],
                "topography": ["C50.4", "C34.1"],
                "status": ["pending", "pending"],
                "created_at": [now, now],
                "updated_at": [now, now],
                "received_at": [now, now],
            }
        )
        bulk_insert(s.connection(), Source.__table__, sources)
        events = pl.DataFrame(
            {
                "at": [now],
                "actor": ["bulk"],
                "action": ["insert"],
                "entity": ["sources"],
                "entity_id": [1],
                "facility_id": [facility.id],
                "changes": ['{"batch_id": {"old": null, "new": 7}}'],
            }
        )
        bulk_insert(s.connection(), AuditEvent.__table__, events)
    with store.session() as s:
        first, second = s.scalars(select(Source).order_by(Source.report_id)).all()
        event = s.scalars(select(AuditEvent).where(AuditEvent.actor == "bulk")).one()
    assert first.sex is Sex.FEMALE and second.sex is None
    assert first.birth_date == dt.date(1960, 3, 1)
    assert first.birth_date_precision is DatePrecision.MONTH
    assert second.diagnosis_date_precision is DatePrecision.YEAR
    assert first.status is RecordStatus.PENDING
    assert abs(first.created_at.replace(tzinfo=None) - now.replace(tzinfo=None)) < dt.timedelta(
        seconds=1
    )
    assert event.action is AuditAction.INSERT
    assert event.changes == {"batch_id": {"old": None, "new": 7}}
