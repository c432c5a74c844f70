"""Store tests: the same bodies run on SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, inspect, select, update

from oncoreg.errors import StoreError
from oncoreg.model import (
    AuditAction,
    DatePrecision,
    FacilityLevel,
    FacilityType,
    RecordStatus,
    Sex,
)
from oncoreg.store import (
    AuditEvent,
    Facility,
    FollowUp,
    Person,
    Source,
    Store,
    Tumour,
    current_revision,
    head_revision,
    upgrade,
)
from oncoreg.store.identifiers import keyed_hash, keyed_hashes
from oncoreg.store.tables import Base
from tests.store.conftest import SECRET

NAME = "Nguyễn Thị Hồng"
CCCD = "001190012345"


def _facility(session, code="VN-K") -> Facility:
    f = Facility(
        code=code,
        name_vi="Bệnh viện K",
        province_code="01",
        level=FacilityLevel.CENTRAL,
        type=FacilityType.HOSPITAL,
    )
    session.add(f)
    session.flush()
    return f


def _person(**extra) -> Person:
    values = dict(
        family_name="Nguyễn",
        middle_name="Thị",
        given_name="Hồng",
        sex=Sex.FEMALE,
        birth_date=date(1960, 1, 1),
        birth_date_precision=DatePrecision.YEAR,
        national_id=CCCD,
        province_code="01",
    )
    values.update(extra)
    return Person(**values)


def _events(store: Store, entity: str | None = None) -> list[AuditEvent]:
    with store.session() as s:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if entity:
            query = query.where(AuditEvent.entity == entity)
        return list(s.scalars(query))


def test_migrations_create_the_schema_of_the_tables(store):
    """Alembic's head schema and the SQLAlchemy tables agree (no pending migration)."""
    assert current_revision(store) == head_revision(store)
    # what only PostgreSQL's migrations make: the name search's tables, kept by triggers
    # (store/search.py), with their indexes
    derived = {"source_words", "name_words", "name_keys"}

    def include(obj, name, type_, reflected, compare_to):
        table = getattr(getattr(obj, "table", None), "name", None)
        return not (name in derived or table in derived)

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []
    names = set(inspect(store.engine).get_table_names())
    assert {
        "persons",
        "tumours",
        "sources",
        "follow_ups",
        "facilities",
        "provinces",
        "users",
        "audit_events",
        "alembic_version",
    } <= names


def test_upgrade_is_idempotent(store):
    assert upgrade(store) == head_revision(store)


def test_person_tumours_sources_and_follow_up(store):
    with store.session(actor="registrar:lan") as s:
        k = _facility(s)
        lab = _facility(s, "HN-GPB")
        person = _person()
        tumour = Tumour(
            person=person,
            topography="C50.4",
            morphology="8500/3",
            basis="7",
            diagnosis_date=date(2023, 3, 14),
            diagnosis_date_precision=DatePrecision.DAY,
        )
        s.add_all(
            [
                Source(facility=k, report_id="K-1", tumour=tumour, family_name="Nguyen"),
                Source(facility=lab, report_id="GPB-9", tumour=tumour, national_id=CCCD),
                FollowUp(person=person, contact_date=date(2024, 1, 2), vital_status="1"),
            ]
        )
    with store.session() as s:
        person = s.scalars(select(Person)).one()
        assert [len(t.sources) for t in person.tumours] == [2]
        assert person.follow_ups[0].vital_status.value == "1"
        assert person.birth_date_precision is DatePrecision.YEAR
        assert person.status is RecordStatus.PENDING


def test_identifiers_are_stored_as_given_and_as_keyed_hash(store):
    with store.session() as s:
        k = _facility(s)
        s.add(_person(insurance_number="HT 4 01 0123456789"))
        s.add(Source(facility=k, report_id="r1", national_id=" 0011 9001 2345 "))
    with store.session() as s:
        person = s.scalars(select(Person)).one()
        source = s.scalars(select(Source)).one()
    assert person.national_id == CCCD
    assert person.national_id_hash == keyed_hash(CCCD, SECRET, "national_id")
    assert source.national_id_hash == person.national_id_hash  # spacing does not matter
    assert person.insurance_hash == keyed_hash("HT4010123456789", SECRET, "insurance")
    assert CCCD not in person.national_id_hash
    assert keyed_hash(CCCD, "another-registry-secret-" + "y" * 20, "national_id") != (
        person.national_id_hash
    )


def test_hash_follows_an_identifier_change(store):
    with store.session() as s:
        s.add(_person())
    with store.session() as s:
        person = s.scalars(select(Person)).one()
        person.national_id = "079085000111"
    with store.session() as s:
        person = s.scalars(select(Person)).one()
        assert person.national_id_hash == keyed_hash("079085000111", SECRET, "national_id")
        person.national_id = None
    with store.session() as s:
        assert s.scalars(select(Person)).one().national_id_hash is None


def test_identifier_without_secret_is_refused(database_url):
    bare = Store(database_url, None)
    upgrade(bare)
    try:
        with pytest.raises(StoreError, match="no registry secret"):
            with bare.session() as s:
                s.add(_person())
        with bare.session() as s:
            assert s.scalar(select(func.count()).select_from(Person)) == 0
    finally:
        bare.dispose()


def test_insert_writes_an_audit_event_with_identifiers_apart(store):
    with store.session(actor="registrar:lan") as s:
        s.add(_person())
    [event] = _events(store, "persons")
    assert event.action is AuditAction.INSERT
    assert event.actor == "registrar:lan"
    assert event.entity_id == 1
    assert event.changes["sex"] == {"old": None, "new": "2"}
    assert event.changes["status"] == {"old": None, "new": "pending"}
    assert "national_id_hash" in event.changes
    assert event.identifier_changes["given_name"] == {"old": None, "new": "Hồng"}
    assert event.identifier_changes["birth_date"] == {"old": None, "new": "1960-01-01"}
    for key in ("family_name", "national_id", "birth_date"):
        assert key not in event.changes


def test_update_writes_old_and_new_values(store):
    with store.session() as s:
        k = _facility(s)
        s.add(Source(facility=k, report_id="r1", topography="C34.9", morphology="8000/3"))
    with store.session(actor="registrar:minh") as s:
        source = s.scalars(select(Source)).one()
        source.topography = "C34.1"
        source.morphology = "8070/3"
    events = _events(store, "sources")
    assert [e.action for e in events] == [AuditAction.INSERT, AuditAction.UPDATE]
    update_event = events[-1]
    assert update_event.actor == "registrar:minh"
    assert update_event.facility_id == 1
    assert update_event.changes == {
        "topography": {"old": "C34.9", "new": "C34.1"},
        "morphology": {"old": "8000/3", "new": "8070/3"},
    }
    assert update_event.identifier_changes is None


def test_no_event_when_nothing_changed(store):
    with store.session() as s:
        s.add(_person())
    with store.session() as s:
        person = s.scalars(select(Person)).one()
        person.given_name = "Hồng"
    assert len(_events(store, "persons")) == 1


def test_obsolete_and_restore_are_audited_and_nothing_is_deleted(store):
    with store.session() as s:
        s.add(_person())
    with store.session(actor="registrar:lan") as s:
        s.scalars(select(Person)).one().status = RecordStatus.OBSOLETE
    with store.session(actor="registrar:lan") as s:
        s.scalars(select(Person)).one().status = RecordStatus.CONFIRMED
    actions = [e.action for e in _events(store, "persons")]
    assert actions == [AuditAction.INSERT, AuditAction.OBSOLETE, AuditAction.RESTORE]


def test_delete_is_refused_and_rolls_back_the_unit_of_work(store):
    with store.session() as s:
        s.add(_person())
    with pytest.raises(StoreError, match="never deleted") as info:
        with store.session() as s:
            s.add(_person(given_name="Lan", national_id=None))
            s.delete(s.scalars(select(Person)).first())
    assert "obsolete" in info.value.hint
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 1
    assert len(_events(store, "persons")) == 1


@pytest.mark.parametrize(
    "statement",
    [
        update(Person).values(sex=Sex.MALE),
        delete(Person),
    ],
)
def test_bulk_writes_that_bypass_the_audit_are_refused(store, statement):
    with store.session() as s:
        s.add(_person())
    with pytest.raises(StoreError, match="bypass the audit trail"):
        with store.session() as s:
            s.execute(statement)
    with store.session() as s:
        assert s.scalars(select(Person)).one().sex is Sex.FEMALE


def test_failed_transaction_leaves_neither_data_nor_audit(store):
    with pytest.raises(RuntimeError):
        with store.session() as s:
            s.add(_person())
            s.flush()
            raise RuntimeError("crash in the middle of a batch")
    assert _events(store) == []
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_database_errors_name_table_and_operation_not_personal_data(store):
    with store.session() as s:
        k = _facility(s)
        s.add(Source(facility=k, report_id="K-1", family_name=NAME, national_id=CCCD))
    with pytest.raises(StoreError) as info:
        with store.session() as s:
            k = s.scalars(select(Facility)).one()
            s.add(Source(facility=k, report_id="K-1", family_name=NAME, national_id=CCCD))
    message = str(info.value)
    assert "insert on table sources refused" in message
    assert "already exists" in message
    for secret in (NAME, CCCD, "K-1"):
        assert secret not in message
        assert secret not in str(info.value.__cause__ or "")


def test_bad_code_value_is_refused_by_the_schema(store):
    with pytest.raises(StoreError, match="facilities"):
        with store.session() as s:
            s.add(
                Facility(
                    code="X",
                    name_vi="x",
                    province_code="01",
                    level="region",
                    type=FacilityType.HOSPITAL,
                )
            )


def test_unmigrated_database_gives_a_store_error_with_a_hint(tmp_path):
    bare = Store(f"sqlite:///{tmp_path / 'empty.db'}", SECRET)
    try:
        with pytest.raises(StoreError) as info:
            with bare.session() as s:
                s.scalars(select(Person)).all()
    finally:
        bare.dispose()
    assert "select on table persons failed" in str(info.value)
    assert "oncoreg db upgrade" in info.value.hint


def test_identifier_and_link_indexes_are_partial(store):
    """Migration 0003: the hash and link indexes hold only rows where the value is set."""
    names = [
        "ix_sources_national_id_hash",
        "ix_sources_insurance_hash",
        "ix_sources_tumour_id",
        "ix_persons_national_id_hash",
        "ix_persons_insurance_hash",
    ]
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        else:
            rows = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes")
        definitions = {name: sql for name, sql in rows if name in names}
    assert set(definitions) == set(names)
    assert all("IS NOT NULL" in sql for sql in definitions.values())
    assert "ix_sources_facility_id" not in definitions


@given(st.lists(st.one_of(st.none(), st.text(max_size=16)), max_size=20))
def test_batch_hashes_equal_one_by_one(values):
    """The importer's batch hashing gives exactly :func:`keyed_hash` of each value."""
    expected = [keyed_hash(v, SECRET, "insurance") for v in values]
    assert keyed_hashes(values, SECRET, "insurance") == expected
