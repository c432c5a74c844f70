"""Accent-insensitive name search on both backends (SQLite's registered function,
PostgreSQL's words of migration 0012 with their GIN index and vocabulary)."""

from __future__ import annotations

import unicodedata
from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from oncoreg.model import FacilityLevel, FacilityType, RecordStatus, Sex
from oncoreg.services.access import SYSTEM, Principal, Role
from oncoreg.services.records import search_persons
from oncoreg.store import Facility, Person, Source, Tumour
from oncoreg.store.bulk import bulk_insert, bulk_update
from oncoreg.store.search import translation
from oncoreg.store.tables import utcnow
from oncoreg.text import fold_vietnamese

NAMES = [
    ("Nguyễn", "Thị", "Hồng"),
    ("Trần", "Văn", "Đức"),
    ("Lê", None, "Hoà"),
    ("NGUYỄN", "", "AN"),
]


def _facility(session, code: str) -> Facility:
    facility = Facility(
        code=code,
        name_vi=f"Bệnh viện {code}",
        province_code="01",
        level=FacilityLevel.CENTRAL,
        type=FacilityType.HOSPITAL,
    )
    session.add(facility)
    session.flush()
    return facility


def _registry(store) -> None:
    with store.session(actor="test") as session:
        facility = _facility(session, "VN-T")
        for number, (family, middle, given) in enumerate(NAMES, start=1):
            person = Person(
                family_name=family,
                middle_name=middle,
                given_name=given,
                sex=Sex.FEMALE,
                birth_date=date(1960 + number, 5, 1),
            )
            session.add(person)
            session.flush()
            tumour = Tumour(
                person_id=person.id, topography="C50.9", diagnosis_date=date(2024, 1, 1)
            )
            session.add(tumour)
            session.flush()
            session.add(
                Source(
                    facility_id=facility.id,
                    report_id=f"R{number}",
                    tumour_id=tumour.id,
                    family_name=family,
                    middle_name=middle,
                    given_name=given,
                    birth_date=date(1960 + number, 5, 1),
                )
            )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nguyen", {1, 4}),
        ("Nguyễn hong", {1}),
        ("TRAN VAN DUC", {2}),
        ("duc", {2}),
        ("hoa", {3}),
        ("hòa", {3}),
        ("nguyen duc", set()),
        ("guyen", set()),  # words match from their start
        ("ngu h", {1}),
        ("100%_", set()),
    ],
)
def test_names_match_with_or_without_marks_in_any_case(store, query, expected):
    _registry(store)
    page = search_persons(store, SYSTEM, name=query)
    assert {hit.id for hit in page.data} == expected
    assert page.count == len(expected)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=12))
def test_any_name_is_searched_without_error(store, name):
    """NUL, the last code point, LIKE's wildcards... none fails the search (found by
    ``str.startswith`` semantics: a name word starting with each query word)."""
    page = search_persons(store, SYSTEM, name=name)
    assert page.count == len(page.data) == 0


def test_birth_year_narrows_the_search(store):
    _registry(store)
    assert {h.id for h in search_persons(store, SYSTEM, birth_year=1962).data} == {2}


# every lower-case letter of Vietnamese with a mark (vowels by tone, then đ)
VIETNAMESE_MARKED = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"


def test_the_postgresql_table_folds_every_vietnamese_letter_to_its_base_letter():
    """Independent of the folding code: the base letter is the first of the Unicode
    decomposition (đ, which has none, is d)."""
    source, target = translation()
    for letter in VIETNAMESE_MARKED:
        base = "d" if letter == "đ" else unicodedata.normalize("NFD", letter)[0]
        assert letter in source, letter
        assert target[source.index(letter)] == base, letter


@settings(max_examples=200, deadline=None)
@given(st.characters(min_codepoint=0xC0, max_codepoint=0x1EF9))
def test_capitals_fold_in_postgresql_as_in_python(letter):
    """PostgreSQL lowers a name before translating it (the table holds lower-case letters
    only, built from the Python folding): a capital must fold there as Python folds it."""
    source, target = translation()
    lower = letter.lower()
    if letter != lower and lower in source:
        assert target[source.index(lower)] == fold_vietnamese(letter)


def test_the_search_follows_changed_names_and_links(store):
    """On PostgreSQL the folded names are kept by triggers: a renamed report is found by
    its new name only, a report moved to another tumour answers for that person, and
    reports added by COPY are found at once."""
    _registry(store)
    with store.session(actor="test") as session:
        source = session.scalars(select(Source).where(Source.report_id == "R2")).one()
        source.family_name, source.given_name = "Phạm", "Minh"
        other = session.scalars(select(Tumour).join(Person).where(Person.given_name == "Hoà"))
        moved_to = other.one()
        moved = session.scalars(select(Source).where(Source.report_id == "R1")).one()
        bulk_update(
            session.connection(),
            Source.__table__,
            pl.DataFrame({"id": [moved.id], "tumour_id": [moved_to.id]}),
        )
        facility_id = source.facility_id
    assert {h.id for h in search_persons(store, SYSTEM, name="tran duc").data} == set()
    assert {h.id for h in search_persons(store, SYSTEM, name="pham minh").data} == {2}
    assert {h.id for h in search_persons(store, SYSTEM, name="nguyen hong").data} == {3}
    with store.session(actor="test") as session:
        frame = pl.DataFrame(
            {
                "facility_id": [facility_id],
                "report_id": ["R9"],
                "tumour_id": [moved_to.id],
                "family_name": ["Đỗ"],
                "given_name": ["Quyên"],
                "status": ["pending"],
                "birth_date_precision": ["unknown"],
                "diagnosis_date_precision": ["unknown"],
                "created_at": [utcnow()],
                "updated_at": [utcnow()],
                "received_at": [utcnow()],
            }
        )
        bulk_insert(session.connection(), Source.__table__, frame)
    assert {h.id for h in search_persons(store, SYSTEM, name="do quyen").data} == {3}


def test_the_search_follows_a_tumour_to_another_person(store):
    """A tumour given to another person (a linkage decision) takes its reports' names
    with it, whether changed by the ORM or in bulk."""
    _registry(store)
    with store.session(actor="test") as session:
        tumours = dict(session.execute(select(Person.given_name, Tumour.id).join(Tumour)).all())
        persons = dict(session.execute(select(Person.given_name, Person.id)).all())
        session.get(Tumour, tumours["Đức"]).person_id = persons["Hoà"]
    assert {h.id for h in search_persons(store, SYSTEM, name="tran duc").data} == {3}
    with store.session(actor="test") as session:
        frame = pl.DataFrame({"id": [tumours["Đức"]], "person_id": [persons["AN"]]})
        bulk_update(session.connection(), Tumour.__table__, frame)
    assert {h.id for h in search_persons(store, SYSTEM, name="tran duc").data} == {4}


def test_an_obsolete_person_is_not_found(store):
    _registry(store)
    with store.session(actor="test") as session:
        person = session.scalars(select(Person).where(Person.given_name == "Hồng")).one()
        person.status = RecordStatus.OBSOLETE
    assert {h.id for h in search_persons(store, SYSTEM, name="nguyen").data} == {4}
    assert search_persons(store, SYSTEM, birth_year=1961).data == []


def test_search_by_birth_year_alone_and_with_a_name(store):
    _registry(store)
    assert search_persons(store, SYSTEM, birth_year=1964, name="nguyen").count == 1
    assert search_persons(store, SYSTEM, birth_year=1963, name="nguyen").count == 0
    assert search_persons(store, SYSTEM).count == len(NAMES)
    hospital = Principal(username="h", role=Role.HOSPITAL, facility_id=10**6)
    assert search_persons(store, hospital, birth_year=1964).count == 0


def test_a_hospital_finds_names_only_on_its_own_reports(store):
    _registry(store)
    with store.session(actor="test") as session:
        other = _facility(session, "VN-O")
        own = session.scalar(select(Facility.id).where(Facility.code == "VN-T"))
        session.add(
            Source(
                facility_id=other.id,
                report_id="X1",
                tumour_id=session.scalar(select(Source.tumour_id).where(Source.report_id == "R2")),
                family_name="Vũ",
                given_name="Lan",
            )
        )
    hospital = Principal(username="h", role=Role.HOSPITAL, facility_id=own)
    elsewhere = Principal(username="o", role=Role.HOSPITAL, facility_id=other.id)
    assert search_persons(store, hospital, name="vu lan").data == []
    assert {h.id for h in search_persons(store, elsewhere, name="vu lan").data} == {2}
    assert search_persons(store, elsewhere, name="tran duc").data == []
    assert {h.id for h in search_persons(store, SYSTEM, name="vu lan").data} == {2}


@pytest.mark.postgres
def test_the_words_are_built_from_reports_made_before_migration_0012_and_0013(pg_url):
    """A registry searched by trigrams (0011) gets its words and vocabulary when
    migrated, and goes back to 0011's table of folded names when downgraded."""
    from alembic import command

    from oncoreg.store import Store, upgrade
    from oncoreg.store.migrate import alembic_config

    store = Store(pg_url, "test-secret-" + "x" * 40)
    try:
        upgrade(store, "0011")
        _registry(store)
        upgrade(store)
        assert {h.id for h in search_persons(store, SYSTEM, name="ng hong").data} == {1}
        with store.session() as session:
            words = set(session.scalars(text("SELECT word FROM name_words")))
        assert {"nguyen", "thi", "hong", "tran", "van", "duc", "le", "hoa", "an"} == words
        cfg = alembic_config(store)
        with store.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.downgrade(cfg, "0011")
        with store.session() as session:
            assert session.scalar(text("SELECT count(*) FROM source_names")) == len(NAMES)
        upgrade(store)
        assert {h.id for h in search_persons(store, SYSTEM, name="tran").data} == {2}
    finally:
        store.dispose()


def _lan(session) -> Tumour:
    """A new person, Nguyễn Lan, with a tumour."""
    person = Person(family_name="Nguyễn", given_name="Lan", sex=Sex.FEMALE)
    session.add(person)
    session.flush()
    tumour = Tumour(person_id=person.id, topography="C50.9")
    session.add(tumour)
    session.flush()
    return tumour


def test_the_walk_in_chunks_finds_every_person_once_in_order(store, monkeypatch):
    """Persons with several reports straddle the chunks of PostgreSQL's walk, or fill one
    alone; with tiny chunks and cap, each backend gives the same persons, pages and
    capped count. Only each person's last report is from the facility searched for."""
    from oncoreg.services import records

    monkeypatch.setattr(records, "WALK_CHUNK", 2)
    monkeypatch.setattr(records, "WALK_CHUNK_MAX", 3)
    monkeypatch.setattr(records, "COUNT_CAP", 4)
    with store.session(actor="test") as session:
        usual, last = _facility(session, "VN-W"), _facility(session, "VN-X")
        for number in range(1, 9):
            tumour = _lan(session)
            for copy in range(number % 4 + 1):  # 1 to 4 reports each, more than a chunk
                session.add(
                    Source(
                        facility_id=(last if copy == number % 4 else usual).id,
                        report_id=f"W{number}-{copy}",
                        tumour_id=tumour.id,
                        family_name="Nguyễn",
                        middle_name="Thị",
                        given_name="Lan",
                    )
                )
        tumour = _lan(session)
        many = tumour.person_id
        for copy in range(7):  # more reports than the largest chunk, one at a time
            facility = last if copy == 6 else usual
            report = Source(facility_id=facility.id, report_id=f"M{copy}", tumour_id=tumour.id)
            report.family_name, report.middle_name, report.given_name = "Nguyễn", "Thị", "Lan"
            session.add(report)
            session.flush()
    with store.session() as session:
        persons = sorted(session.scalars(select(Person.id)))

    def search(**criteria):
        return search_persons(store, SYSTEM, facility_code="VN-X", **criteria)

    page = search(name="nguyen lan", limit=2)
    assert [h.id for h in page.data] == persons[:2] and page.count == 5  # more than 4
    assert [h.id for h in search(name="nguyen", offset=5, limit=2).data] == persons[5:7]
    page = search(name="ng l", offset=6, limit=5)
    assert [h.id for h in page.data] == persons[6:] and page.count == 5
    assert [h.id for h in search(name="lan", offset=8).data] == [many]
    page = search(name="nguyen thi lan", offset=5)  # pairs of words, two walked at once
    assert [h.id for h in page.data] == persons[5:] and page.count == 5
    several = search_persons(store, SYSTEM, name="lan", facility_code="VN-W", offset=4)
    assert [h.id for h in several.data] == persons[5:7] + [many]  # of 1-3, 5-7, 9


@pytest.mark.postgres
def test_a_deleted_report_takes_its_words_and_keys_with_it(pg_url):
    from oncoreg.store import Store, upgrade

    store = Store(pg_url, "test-secret-" + "x" * 40)
    try:
        upgrade(store)
        _registry(store)
        with store.session() as session:
            gone = session.scalar(select(Source.id).where(Source.report_id == "R2"))
            session.execute(text("DELETE FROM sources WHERE id = :id"), {"id": gone})
        with store.session() as session:
            for table in ("source_words", "name_keys"):
                left = f"SELECT count(*) FROM {table} WHERE source_id = :id"
                assert session.scalar(text(left), {"id": gone}) == 0, table
            assert session.scalar(text("SELECT count(*) FROM name_keys")) > 0
        assert search_persons(store, SYSTEM, name="tran").data == []
    finally:
        store.dispose()
