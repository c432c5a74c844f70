"""Accent-insensitive name search on both backends (SQLite's registered function,
PostgreSQL's translate with the trigram index of migration 0007)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoreg.model import FacilityLevel, FacilityType, Sex
from oncoreg.services.access import SYSTEM
from oncoreg.services.records import search_persons
from oncoreg.store import Facility, Person, Source, Tumour
from oncoreg.store.search import translation
from oncoreg.text import fold_vietnamese

NAMES = [
    ("Nguyễn", "Thị", "Hồng"),
    ("Trần", "Văn", "Đức"),
    ("Lê", None, "Hoà"),
    ("NGUYỄN", "", "AN"),
]


def _registry(store) -> None:
    with store.session(actor="test") as session:
        facility = Facility(
            code="VN-T",
            name_vi="Bệnh viện",
            province_code="01",
            level=FacilityLevel.CENTRAL,
            type=FacilityType.HOSPITAL,
        )
        session.add(facility)
        session.flush()
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
def test_the_postgresql_table_agrees_with_python_where_it_folds(letter):
    source, target = translation()
    if letter.lower() in source:
        assert target[source.index(letter.lower())] == fold_vietnamese(letter)
