"""Bulk inserts store the same values as the ORM does, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from oncoreg.model import AuditAction, DatePrecision, RecordStatus, Sex
from oncoreg.store import AuditEvent, Facility, Source
from oncoreg.store.bulk import (
    as_dates,
    bulk_insert,
    bulk_update,
    insert_returning_ids,
    read_frame,
)
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


def _sources(facility_id: int, n: int) -> pl.DataFrame:
    now = utcnow()
    return pl.DataFrame(
        {
            "facility_id": [facility_id] * n,
            "report_id": [f"r{i}" for i in range(n)],
            "status": ["pending"] * n,
            "birth_date_precision": ["unknown"] * n,
            "diagnosis_date": [dt.date(2023, 1, 1) + dt.timedelta(days=i % 300) for i in range(n)],
            "diagnosis_date_precision": ["day"] * n,
            "created_at": [now] * n,
            "updated_at": [now] * n,
            "received_at": [now] * n,
        }
    )


def test_staged_bulk_insert_commits_or_rolls_back_with_the_transaction(store, monkeypatch):
    """Large frames on SQLite go through a staging file attached to the transaction."""
    if store.dialect != "sqlite":
        pytest.skip("the staging path is SQLite's")
    monkeypatch.setattr("oncoreg.store.bulk.STAGED", 10)
    with store.session() as s:
        facility = Facility(
            code="VN-K", name_vi="Bệnh viện K", province_code="01", level="central", type="hospital"
        )
        s.add(facility)
    with pytest.raises(RuntimeError):
        with store.session() as s:
            bulk_insert(s.connection(), Source.__table__, _sources(facility.id, 50))
            raise RuntimeError("crash after the staged copy")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Source)) == 0
        bulk_insert(s.connection(), Source.__table__, _sources(facility.id, 50))
    with store.session() as s:
        rows = s.scalars(select(Source).order_by(Source.id)).all()
        attached = [r[1] for r in s.connection().exec_driver_sql("PRAGMA database_list")]
    assert len(rows) == 50 and rows[49].diagnosis_date == dt.date(2023, 2, 19)
    assert rows[0].diagnosis_date_precision is DatePrecision.DAY
    assert attached == ["main"] or set(attached) <= {"main", "temp"}


def test_insert_returning_ids_gives_each_row_its_id_in_order(store, monkeypatch):
    """Ids come back in the frame's order: on SQLite through several staging files
    written while the previous one is copied (parts of 7 rows here), on PostgreSQL by
    RETURNING; checked against the rows read back by report id."""
    monkeypatch.setattr("oncoreg.store.bulk.STAGED", 10)
    monkeypatch.setattr("oncoreg.store.bulk.STAGE_ROWS", 7)
    with store.session() as s:
        facility = Facility(
            code="VN-K", name_vi="Bệnh viện K", province_code="01", level="central", type="hospital"
        )
        s.add(facility)
        s.flush()
        bulk_insert(s.connection(), Source.__table__, _sources(facility.id, 3))
        frame = _sources(facility.id, 50).with_columns(
            report_id=pl.format("new-{}", pl.int_range(50, 0, -1))
        )
        ids = insert_returning_ids(s.connection(), Source.__table__, frame)
        stored = dict(s.execute(select(Source.report_id, Source.id)).all())
    assert ids.to_list() == [stored[r] for r in frame["report_id"]]
    assert len(set(ids.to_list())) == 50


def test_insert_returning_ids_refuses_ids_it_cannot_vouch_for(store, monkeypatch):
    """When the new ids are not one run after the largest (another writer got in), the
    caller is told to read them back."""
    if store.dialect != "sqlite":
        pytest.skip("the id rule is SQLite's")
    with store.session() as s:
        facility = Facility(
            code="VN-K", name_vi="Bệnh viện K", province_code="01", level="central", type="hospital"
        )
        s.add(facility)
        s.flush()
        real = bulk_insert

        def intruder(connection, table, frame):
            real(connection, table, _sources(facility.id, 1).with_columns(report_id=pl.lit("x")))
            real(connection, table, frame)

        monkeypatch.setattr("oncoreg.store.bulk.bulk_insert", intruder)
        assert (
            insert_returning_ids(s.connection(), Source.__table__, _sources(facility.id, 5)) is None
        )


AWKWARD = ["", "\\N", 'say "hi", then go', "line\nbreak", "Nguyễn Thị Đào", "\\", "NULL", " "]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12),
        max_size=6,
    )
)
def test_bulk_insert_keeps_every_text_value_as_given(store, values):
    """Text comes back exactly as given, null as null and empty as empty, whatever quotes,
    separators, backslashes or line breaks it holds (PostgreSQL: CSV through COPY)."""
    texts = [*AWKWARD, *values, None]
    with store.session() as s:
        facility = s.scalar(select(Facility).where(Facility.code == "VN-K"))
        if facility is None:
            facility = Facility(
                code="VN-K", name_vi="K", province_code="01", level="central", type="hospital"
            )
            s.add(facility)
            s.flush()
        batch = s.scalar(select(func.count()).select_from(Source))
        frame = _sources(facility.id, len(texts)).with_columns(
            report_id=pl.format("t{}-{}", pl.lit(batch), pl.int_range(len(texts))),
            given_name=pl.Series(texts, dtype=pl.String),
        )
        ids = insert_returning_ids(s.connection(), Source.__table__, frame)
        stored = dict(s.execute(select(Source.id, Source.given_name)).all())
    assert [stored[i] for i in ids] == texts


def test_bulk_update_of_a_large_frame_sets_each_row_and_rolls_back(store, monkeypatch):
    """A large update goes through a staging table (SQLite: a file; PostgreSQL: a
    temporary table filled by COPY) and vanishes with its transaction."""
    monkeypatch.setattr("oncoreg.store.bulk.STAGED", 10)
    now = utcnow()
    facilities = pl.DataFrame(
        {
            "code": [f"VN-{i}" for i in range(30)],
            "name_vi": ["K"] * 30,
            "province_code": ["01"] * 30,
            "level": ["central"] * 30,
            "type": ["hospital"] * 30,
            "status": ["confirmed"] * 30,
            "created_at": [now] * 30,
            "updated_at": [now] * 30,
        }
    )
    with store.session() as s:
        ids = insert_returning_ids(s.connection(), Facility.__table__, facilities)
    change = pl.DataFrame(
        {
            "id": ids,
            "name_vi": [AWKWARD[i % len(AWKWARD)] for i in range(30)],
            "equipment": [{"linac": i, "note": "ờ"} for i in range(30)],
        }
    )
    with pytest.raises(RuntimeError):
        with store.session() as s:
            bulk_update(
                s.connection(), Facility.__table__, change.with_columns(name_vi=pl.lit("x"))
            )
            raise RuntimeError("crash after the update")
    with store.session() as s:
        assert s.scalar(select(func.count()).where(Facility.name_vi == "x")) == 0
        bulk_update(s.connection(), Facility.__table__, change)
    with store.session() as s:
        rows = {r.id: r for r in s.scalars(select(Facility))}
    assert [rows[i].name_vi for i in ids] == change["name_vi"].to_list()
    assert rows[ids[7]].equipment == {"linac": 7, "note": "ờ"}


def test_read_frame_gives_back_what_was_stored(store):
    """Text (awkward values included), nulls, dates, timestamps, enums, numbers and
    booleans read back as stored; on PostgreSQL through COPY ... TO STDOUT."""
    texts = [*AWKWARD, None]
    with store.session() as s:
        facility = Facility(
            code="VN-K", name_vi="K", province_code="01", level="central", type="hospital"
        )
        s.add(facility)
        s.flush()
        frame = _sources(facility.id, len(texts)).with_columns(
            given_name=pl.Series(texts, dtype=pl.String),
            age_at_diagnosis=pl.Series([None, *range(len(texts) - 1)], dtype=pl.Int64),
        )
        ids = insert_returning_ids(s.connection(), Source.__table__, frame)
        query = (
            select(
                Source.id,
                Source.given_name,
                Source.age_at_diagnosis,
                Source.diagnosis_date,
                Source.status,
                Source.created_at,
                (Source.age_at_diagnosis > 3).label("older"),
                (func.coalesce(Source.age_at_diagnosis, 0) / 2.0).label("half"),
            )
            .where(Source.id.in_(list(ids)), Source.status != RecordStatus.OBSOLETE)
            .order_by(Source.id)
        )
        read = read_frame(s.connection(), query)
        stored = s.scalars(select(Source).order_by(Source.id)).all()
        nothing = read_frame(s.connection(), query.where(Source.report_id == "none"))
    assert nothing.columns == read.columns and nothing.is_empty()
    read = as_dates(read, "diagnosis_date")
    assert read["id"].to_list() == list(ids)
    assert read["given_name"].to_list() == texts
    assert read["age_at_diagnosis"].to_list() == [r.age_at_diagnosis for r in stored]
    assert read["diagnosis_date"].to_list() == [r.diagnosis_date for r in stored]
    assert read["status"].to_list() == ["pending"] * len(texts)
    assert read["older"].to_list()[:6] == [None, False, False, False, False, True]
    assert read["half"].to_list()[:3] == [0.0, 0.0, 0.5]
    if store.dialect == "postgresql":  # SQLite gives timestamps back as text
        assert read["created_at"].to_list() == [r.created_at for r in stored]
