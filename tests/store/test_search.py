"""Accent-insensitive name search on both backends (SQLite's registered function,
PostgreSQL's translate with the trigram index of migration 0007)."""

from __future__ import annotations

import unicodedata
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from oncoreg.model import FacilityLevel, FacilityType, Sex
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
