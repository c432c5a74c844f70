"""The clinical summary of a case as the registry holds it: what a referral carries, what
a tumour board is shown and what trial matching reads.

A summary holds codes, dates and treatments, never names, identifiers, address or phone:
it travels between facilities, and the receiving hospital identifies the patient in its
own records. Treatments are those reported so far by any facility (yes wins over no).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncoreg.codes.morphology import morphology as morphology_entry
from oncoreg.codes.topography import topography as topography_entry
from oncoreg.errors import NotFound, OncoregError
from oncoreg.network.eligibility import TREATMENTS
from oncoreg.store import Facility, FollowUp, Person, Source, Tumour


def case_summary(session: Session, person_id: int, tumour_id: int | None = None) -> dict:
    """The summary of one person's tumour (their most recent one when ``tumour_id`` is
    None): person (sex, birth year, age at diagnosis, province), diagnosis, stage,
    treatments so far with the facilities that reported them, and the last vital status.

    Raises:
        NotFound: no such person, or the tumour is not theirs.
    """
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    tumour = _tumour(session, person, tumour_id)
    sources = _sources(session, tumour.id) if tumour else []
    return {
        "person_id": person.id,
        "sex": person.sex.value if person.sex else None,
        "birth_year": person.birth_date.year if person.birth_date else None,
        "province_code": person.province_code,
        "tumour": _diagnosis(tumour, sources) if tumour else None,
        "treatments": _treatments(sources),
        "vital_status": _vital_status(session, person_id, sources),
    }


def _tumour(session: Session, person: Person, tumour_id: int | None) -> Tumour | None:
    if tumour_id is not None:
        tumour = session.get(Tumour, tumour_id)
        if tumour is None or tumour.person_id != person.id:
            raise NotFound(f"no tumour {tumour_id} of person {person.id}")
        return tumour
    return session.scalars(
        select(Tumour)
        .where(Tumour.person_id == person.id)
        .order_by(Tumour.diagnosis_date.desc().nulls_last(), Tumour.id.desc())
    ).first()


def _sources(session: Session, tumour_id: int) -> list[tuple[Source, str]]:
    return list(
        session.execute(
            select(Source, Facility.code)
            .join(Facility, Facility.id == Source.facility_id)
            .where(Source.tumour_id == tumour_id)
            .order_by(Source.diagnosis_date, Source.id)
        ).all()
    )


def _diagnosis(tumour: Tumour, sources: list[tuple[Source, str]]) -> dict:
    tnm = next(((s.tnm_t, s.tnm_n, s.tnm_m) for s, _ in sources if s.tnm_t or s.tnm_m), None)
    age = next((s.age_at_diagnosis for s, _ in sources if s.age_at_diagnosis is not None), None)
    return {
        "id": tumour.id,
        "topography": tumour.topography,
        "site": _label(topography_entry, tumour.topography, "label_en"),
        "morphology": tumour.morphology,
        "histology": _label(morphology_entry, tumour.morphology, "term_en"),
        "grade": tumour.grade,
        "basis": tumour.basis,
        "icd10": tumour.icd10,
        "diagnosis_date": _iso(tumour.diagnosis_date),
        "age_at_diagnosis": age,
        "stage": tumour.stage,
        "tnm": " ".join(v for v in tnm if v) if tnm else None,
        "reported_by": sorted({code for _, code in sources}),
    }


def _label(lookup, code: str | None, attribute: str) -> str | None:
    if not code:
        return None
    try:
        return getattr(lookup(code), attribute) or None
    except OncoregError:
        return None


def _treatments(sources: list[tuple[Source, str]]) -> dict:
    """Each treatment: given (True), not given (False) or unknown (None), with the first
    treatment date and the facilities that reported it."""
    out: dict = {}
    for name in TREATMENTS:
        values = [(getattr(s, name), code) for s, code in sources if getattr(s, name) in ("0", "1")]
        given = [code for value, code in values if value == "1"]
        out[name] = {
            "given": True if given else (False if values else None),
            "facilities": sorted(set(given)),
        }
    dates = [s.first_treatment_date for s, _ in sources if s.first_treatment_date]
    out["first_treatment_date"] = _iso(min(dates)) if dates else None
    return out


def _vital_status(session: Session, person_id: int, sources: list[tuple[Source, str]]) -> dict:
    follow_up = session.scalars(
        select(FollowUp)
        .where(FollowUp.person_id == person_id)
        .order_by(FollowUp.contact_date.desc(), FollowUp.id.desc())
    ).first()
    known = [(s.last_contact_date or s.death_date, s) for s, _ in sources]
    known = [(d, s) for d, s in known if d is not None]
    if follow_up is not None and all(follow_up.contact_date >= d for d, _ in known):
        return {
            "status": follow_up.vital_status.value,
            "as_of": _iso(follow_up.contact_date),
            "death_date": _iso(follow_up.death_date),
        }
    if not known:
        return {"status": None, "as_of": None, "death_date": None}
    as_of, source = max(known, key=lambda pair: pair[0])
    return {
        "status": source.vital_status,
        "as_of": _iso(as_of),
        "death_date": _iso(source.death_date),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
