"""The case summary the network passes between facilities, and capacity rules.

Summaries are worked by hand on records built here: what each field must say, that no
identifier travels, and that treatments reported by any facility are merged (yes wins).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from oncoreg.errors import InputError, NotFound
from oncoreg.model import DatePrecision, FacilityLevel, FacilityType, Sex, VitalStatus
from oncoreg.network.capacity import SERVICES, missing_capacity, service
from oncoreg.network.summary import case_summary
from oncoreg.store import Facility, FollowUp, Person, Source, Store, Tumour, upgrade

SECRET = "summary-secret-" + "s" * 40
NAME = ("Nguyễn", "Thị", "Hồng")
CCCD = "001190012345"


@pytest.fixture
def store(database_url):
    s = Store(database_url, SECRET)
    upgrade(s)
    yield s
    s.dispose()


def _facility(session, code: str) -> Facility:
    f = Facility(
        code=code,
        name_vi=code,
        province_code="01",
        level=FacilityLevel.CENTRAL,
        type=FacilityType.HOSPITAL,
    )
    session.add(f)
    session.flush()
    return f


def _case(store: Store) -> tuple[int, int]:
    """A woman born 1960 with breast cancer reported by two hospitals, and a later
    follow-up: one says surgery yes and chemotherapy no, the other chemotherapy yes."""
    with store.session() as s:
        k, bm = _facility(s, "VN-K"), _facility(s, "VN-BM")
        person = Person(
            family_name=NAME[0],
            middle_name=NAME[1],
            given_name=NAME[2],
            sex=Sex.FEMALE,
            birth_date=date(1960, 5, 1),
            birth_date_precision=DatePrecision.DAY,
            national_id=CCCD,
            address="12 Phố Huế",
            province_code="01",
        )
        s.add(person)
        s.flush()
        tumour = Tumour(
            person_id=person.id,
            topography="C50.4",
            morphology="8500/3",
            basis="7",
            grade="2",
            stage="IIA",
            diagnosis_date=date(2024, 3, 1),
            icd10="C50.4",
        )
        s.add(tumour)
        s.flush()
        common = dict(
            tumour_id=tumour.id,
            family_name=NAME[0],
            given_name=NAME[2],
            national_id=CCCD,
            topography="C50.4",
            morphology="8500/3",
            diagnosis_date=date(2024, 3, 1),
        )
        s.add_all(
            [
                Source(
                    facility_id=k.id,
                    report_id="K-1",
                    surgery="1",
                    chemotherapy="0",
                    tnm_t="T2",
                    tnm_n="N0",
                    tnm_m="M0",
                    age_at_diagnosis=63,
                    first_treatment_date=date(2024, 3, 20),
                    vital_status="1",
                    last_contact_date=date(2024, 6, 1),
                    **common,
                ),
                Source(
                    facility_id=bm.id,
                    report_id="BM-7",
                    chemotherapy="1",
                    first_treatment_date=date(2024, 4, 2),
                    vital_status="1",
                    last_contact_date=date(2024, 9, 1),
                    **common,
                ),
            ]
        )
        s.add(
            FollowUp(
                person_id=person.id,
                contact_date=date(2025, 1, 15),
                vital_status=VitalStatus.ALIVE,
            )
        )
        return person.id, tumour.id


def test_summary_of_a_case_reported_by_two_hospitals(store):
    person_id, tumour_id = _case(store)
    with store.session() as s:
        summary = case_summary(s, person_id)
    assert summary["sex"] == "2" and summary["birth_year"] == 1960
    assert summary["province_code"] == "01"
    tumour = summary["tumour"]
    assert tumour["id"] == tumour_id
    assert tumour["topography"] == "C50.4" and tumour["site"]
    assert tumour["morphology"] == "8500/3" and "duct" in tumour["histology"].lower()
    assert tumour["stage"] == "IIA" and tumour["tnm"] == "T2 N0 M0"
    assert tumour["age_at_diagnosis"] == 63
    assert tumour["reported_by"] == ["VN-BM", "VN-K"]
    treatments = summary["treatments"]
    assert treatments["surgery"] == {"given": True, "facilities": ["VN-K"]}
    assert treatments["chemotherapy"] == {"given": True, "facilities": ["VN-BM"]}
    assert treatments["radiotherapy"] == {"given": None, "facilities": []}
    assert treatments["first_treatment_date"] == "2024-03-20"
    # the follow-up is newer than any report's last contact
    assert summary["vital_status"] == {"status": "1", "as_of": "2025-01-15", "death_date": None}


def test_summary_carries_no_identifier(store):
    person_id, _ = _case(store)
    with store.session() as s:
        text = json.dumps(case_summary(s, person_id), ensure_ascii=False)
    for secret in (*NAME, CCCD, "Phố Huế", "1960-05-01"):
        assert secret not in text


def test_summary_of_an_unknown_person_or_someone_elses_tumour(store):
    person_id, tumour_id = _case(store)
    with store.session() as s:
        with pytest.raises(NotFound):
            case_summary(s, person_id + 100)
        other = Person(sex=Sex.MALE)
        s.add(other)
        s.flush()
        with pytest.raises(NotFound):
            case_summary(s, other.id, tumour_id)
        assert case_summary(s, other.id)["tumour"] is None


def test_capacity_needed_for_a_service():
    assert missing_capacity(["radiation-oncology"], {"linac": 2}, "radiotherapy") is None
    lacking = missing_capacity(["radiation-oncology"], {"linac": 0, "ct": 1}, "radiotherapy")
    assert lacking == "External beam radiotherapy needs: Linear accelerator"
    lacking = missing_capacity([], {}, "pet-ct")
    assert "Nuclear medicine" in lacking and "PET/CT scanner" in lacking
    # capacity never recorded: nothing can be told
    assert missing_capacity(None, None, "radiotherapy") is None


def test_every_service_names_known_capacity_and_unknown_services_are_refused():
    from oncoreg.network.capacity import EQUIPMENT, SPECIALTIES

    for s in SERVICES.values():
        assert set(s.specialties) <= set(SPECIALTIES) and set(s.equipment) <= set(EQUIPMENT)
    assert service(" Radiotherapy ").name == "radiotherapy"
    with pytest.raises(InputError, match="unknown service 'proton'") as err:
        missing_capacity([], {}, "proton")
    assert "radiotherapy" in err.value.hint
